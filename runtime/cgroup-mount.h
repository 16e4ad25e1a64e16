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

/* Host side, before the VPS init unshares its cgroup namespace: makes UNIFIED/parent/name and
 * moves pid into it. With owner >= 0 (a user-namespace VPS's root on the host) the group is
 * delegated to it: it owns the directory and the files that let systemd inside manage it. */
int vps_cgroup2_join(const char *parent, const char *name, pid_t pid, long long owner);
/* Host side, for `vpsctl exec`: moves the caller into UNIFIED/parent/name, so what it runs
 * is inside the VPS's cgroup2 tree like the rest of the VPS. */
int vps_cgroup2_attach_self(const char *parent, const char *name);
/* Mount namespace: the VPS's, /sys mounted under rootfd, not pivoted. Mounts cgroup2 (rooted
 * at the cgroup namespace's root) on rootfd/sys/fs/cgroup. */
int vps_cgroup2_mount(int rootfd, const char **what);
/* Once the VPS's processes are gone: removes UNIFIED/parent/name with every group the VPS made
 * inside it, then parent if that became empty. A missing group is fine. */
int vps_cgroup2_remove(const char *parent, const char *name);
