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
 * VPS's reach. The host side (make, open, freeze, remove) is the hybrid backend's (cg_tree_* in
 * cg-internal.h); other hosts have no such tree (a pure v2 host needs the limited group and the
 * delegated one to differ first: see the note in cgroup-mount.c).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* In the VPS's mount namespace (pivoted or not), where the host made a group of its own
 * (vps_cgroup_spawn's own_tree): mounts cgroup2, rooted at the cgroup namespace's root, on
 * rootfd/sys/fs/cgroup (the VPS's fresh sysfs), with every writable file of that root (the
 * VPS's own group: cgroup.freeze, cgroup.kill, cgroup.procs, cgroup.max.*...) bound read-only
 * over itself, so that no VPS, privileged or not, can freeze, kill, limit or re-populate its
 * own group; the groups it makes below stay its own. A VPS without CAP_SYS_ADMIN cannot lift
 * those binds; one in a user namespace with it can, but then meets the ownership of
 * vps_cgroup_spawn_prepare(): only the files of the kernel's delegation model are its own. */
int vps_cgroup2_mount(int rootfd, struct vps_error *err);
