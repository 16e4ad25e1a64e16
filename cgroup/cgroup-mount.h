/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS's own cgroup2 tree at its /sys/fs/cgroup, which systemd inside needs to run (it
 * creates init.scope, system.slice... and moves its services there).
 *
 * On a hybrid host (v1 controllers, cgroup2 at /sys/fs/cgroup/unified without controllers, like
 * this node), the VPS init is put into UNIFIED/PARENT/NAME before it unshares its cgroup
 * namespace, so that group is the namespace's root, and later mounts cgroup2 on the VPS's
 * /sys/fs/cgroup: what it sees there is its own group and nothing above it. The group has no
 * controllers, which systemd does not need; the limits stay on the v1 controllers outside the
 * VPS's reach. On other hosts these are no-ops (a pure v2 host needs the limited group and the
 * delegated one to differ first: see the note in cgroup-mount.c).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Host side, before the VPS init is cloned: makes UNIFIED/parent/name and returns an fd of it
 * (-EBADF and 0 on other hosts) that clone3 puts the init into (CLONE_INTO_CGROUP), before it
 * unshares its cgroup namespace. With owner >= 0 (a user-namespace VPS's root on the host) the
 * group is delegated to it: it owns the directory and the files that let systemd inside
 * manage it. */
int vps_cgroup2_make(const char *parent, const char *name, long long owner, int *ret_fd);
/* The same group, for `vpsctl exec` to clone into; -EBADF and 0 where there is none. */
int vps_cgroup2_open(const char *parent, const char *name, int *ret_fd);
/* Moves pid (0: the caller) into the group of fd (a kernel without CLONE_INTO_CGROUP); a no-op
 * for fd < 0. */
int vps_cgroup2_attach_fd(int fd, pid_t pid);
/* In the VPS's mount namespace (pivoted or not), where the host made a group with
 * vps_cgroup2_make(): mounts cgroup2, rooted at the cgroup namespace's root, on
 * rootfd/sys/fs/cgroup (the VPS's fresh sysfs), with every writable file of that root (the
 * VPS's own group: cgroup.freeze, cgroup.kill, cgroup.procs, cgroup.max.*...) bound read-only
 * over itself, so that no VPS, privileged or not, can freeze, kill, limit or re-populate its
 * own group; the groups it makes below stay its own. A VPS without CAP_SYS_ADMIN cannot lift
 * those binds; one in a user namespace with it can, but then meets the ownership of
 * vps_cgroup2_make(): only the files of the kernel's delegation model are its own. */
int vps_cgroup2_mount(int rootfd, struct vps_error *err);
/* Whether the host froze (or is freezing) the VPS's cgroup2 group on a hybrid host; false
 * where there is none. */
int vps_cgroup2_frozen(const char *parent, const char *name, bool *ret);
/* Thaws that group; a no-op where there is none. */
int vps_cgroup2_thaw(const char *parent, const char *name);
/* Once the VPS's processes are gone: removes UNIFIED/parent/name with every group the VPS made
 * inside it, then parent if that became empty. A missing group is fine. */
int vps_cgroup2_remove(const char *parent, const char *name);
