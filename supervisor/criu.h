/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checkpoint and restore of a whole VPS with the criu binary (Debian 12 has no libcriu-dev),
 * run with an argv, never a shell. What a VPS holds from outside its own namespaces is named
 * to criu as external: the console pty (init's stdio) and its /dev/console bind mount.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"

/* Where criu is looked for: a fixed path, never $PATH (vpsctl runs as root). */
#define VPS_CRIU_PATH "/usr/sbin/criu"

/* Whether criu can checkpoint on this kernel (`criu check`); the reason is criu's own first
 * error ("vdso: Unexpected rt vDSO area bounds"). */
int vps_criu_check(struct vps_error *err);

/* Dumps the process tree of init (pid, in our pid namespace) into dir (made 0700 if missing,
 * refused if it holds a checkpoint already). stop: the tree is killed after the dump (criu's
 * default), else it runs on (--leave-running). Writes dir/vpsctl-checkpoint (what a restore
 * needs to know of the host side). On failure the reason is criu's first error in
 * dir/dump.log. */
int vps_criu_dump(pid_t init, const char *dir, bool stop, struct vps_error *err);

/* A dump for a migration (cli/cmd-migrate.c): PREDUMP copies memory while the tree runs
 * (pre-dump --track-mem), LEAVE_STOPPED is the final dump that leaves the tree frozen
 * (SIGSTOPped) so that it can be resumed if the target fails; prev (relative to dir) is the
 * previous iteration's directory, NULL for the first. */
enum vps_criu_dump_mode {
	VPS_CRIU_KILL,
	VPS_CRIU_LEAVE_RUNNING,
	VPS_CRIU_LEAVE_STOPPED,
	VPS_CRIU_PREDUMP,
};
int vps_criu_dump_mode(pid_t init, const char *dir, enum vps_criu_dump_mode mode, const char *prev,
                       struct vps_error *err);
/* Deletes the network lock a dump put into init's network namespace (table inet CRIU-INIT),
 * when the dumped tree is resumed in place instead of restored elsewhere. */
int vps_criu_unlock(pid_t init);

/* What a restore is given of the host side: the directory, the VPS's root filesystem, the new
 * console pty (its slave fd and path take the place of the dumped one) and its cgroup, which
 * criu runs in (--manage-cgroups=ignore: the group is the runtime's, with vps.conf's limits). */
struct vps_criu_restore {
	const char *dir;
	const char *rootfs;
	const char *pidfile; /* where criu writes the restored init's pid */
	int console_fd;
	const char *console_path;
	struct vps_cgroup *cg;
	/* The VPS's veth: criu makes the pair again, the VPS's end as dumped, the node's end named
	 * host_ifname (NULL: the VPS has no network); the runtime plumbs the node's end after. */
	const char *vps_ifname;
	const char *host_ifname;
	/* A VPS in a user namespace: its root's host uid and gid, which read some of the images
	 * (criu-args.h); -1 for a privileged VPS. */
	uid_t userns_root;
	gid_t userns_group;
};

/* Restores dir's tree as a child of the caller (--restore-sibling --restore-detached): the
 * caller supervises it as it would an init it spawned. Returns the restored init's pid (in
 * our pid namespace) or -errno with the reason, criu's first error in dir/restore.log. */
pid_t vps_criu_restore(const struct vps_criu_restore *r, struct vps_error *err);
