/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clones a VPS init into fresh namespaces and walks it to exec, in sync with the host side. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"

struct vps_spawn {
	const struct vps_config *cfg;
	const struct node_config *node;
	const struct vps_paths *paths; /* the node-services lock (network.h) */
	const char *cgroup_parent;     /* where the VPS cgroup is (the node's, or a unit's) */
	const char *rootfs;
	const char *console_path; /* pty slave the init gets as its console */
	int console_fd;           /* an open fd of that slave */
	uint64_t ptys;            /* the cap of its devpts (devpts.h) */
	struct vps_cgroup *cg;
	int lower_fd; /* host side: the id-mapped template tree for an overlay (-1: none) */
	int disk_fd;  /* host side: the detached mount of the VPS's disk image (-1: none) */
	/* the first boot: make the cgroup with this quota; NULL: it exists */
	const struct vps_quota *create_quota;
	/* host side, during the start: the groups init joins (cgroup.h) */
	struct vps_cgroup_spawn cgsp;
	bool proc_view; /* lxcfs's files go over the VPS's /proc (procview.h) */
	/* results */
	pid_t pid;
	int pidfd;
	struct vps_error error; /* the failed step, from the child or the host */
};

/* Returns once init was exec'd (0) or after it failed and was reaped (-errno, error set). */
int vps_spawn_init(struct vps_spawn *s);

/* The host's steps of the start (vps-spawn-host.c, called by vps_spawn_init only), each
 * filling s->error when it fails. */
/* Before the clone: the VPS cgroup (made when s->create_quota says so) and what init joins
 * (s->cgsp). */
int vps_spawn_host_open(struct vps_spawn *s);
/* Once init exists: its cgroup join on an old kernel, the id maps, the disk image's mount and
 * the id-mapped template tree (s->disk_fd, s->lower_fd). */
int vps_spawn_host_map(struct vps_spawn *s);
/* While init makes its root filesystem: the quota of a new cgroup, the device policy, the
 * network. */
int vps_spawn_host_rest(struct vps_spawn *s);
