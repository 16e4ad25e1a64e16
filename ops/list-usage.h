/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `vpsctl list` and `vpsctl stats --all` show of each VPS besides its state: processes,
 * CPU, memory, disk and traffic, read in one pass over the node (one link dump for every
 * veth, a handful of cgroup files per running VPS).
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "config.h"
#include "counters.h"
#include "paths.h"
#include "netsetup.h"

struct vps_usage {
	bool running;                  /* the counters below were read */
	uint64_t tasks;                /* processes and threads (pids.current) */
	uint64_t cpu_usec;             /* CPU time since its cgroup was made */
	uint64_t cpu_permille;         /* cpu_usec over its uptime, 1000 = one CPU busy all along */
	uint64_t mem_used, mem_limit;  /* bytes; limit VALUE_UNLIMITED = none */
	bool have_disk;                /* a disk quota (vps.conf DISK) */
	uint64_t disk_used, disk_size; /* bytes used and allowed */
	uint64_t disk_inodes_used, disk_inodes;
	bool have_net;                     /* its node-side veth exists */
	const struct vps_usage_link *link; /* that veth in the node's link dump, NULL: none */
	uint64_t rx_bytes, tx_bytes;       /* as the VPS sees it: received, sent */
};

/* The traffic counters of every link of the node, read once (one RTM_GETSTATS dump), by
 * ifindex; a VPS's veth is found by name with one ioctl on index_fd (thread-safe). */
struct vps_usage_links {
	size_t n;
	int index_fd;
	struct vps_usage_link {
		int ifindex;
		struct netsetup_link_stats st;
	} * v;
};
#define VPS_USAGE_LINKS_INIT                                                                       \
	{                                                                                          \
		.index_fd = -EBADF                                                                 \
	}

int vps_usage_links_load(struct vps_usage_links *ret);
void vps_usage_links_done(struct vps_usage_links *l);

/* What a node-wide reader (list, stats --all) opens once for all VPSes rather than once per
 * VPS: the veths (one link dump), the VPS base directory, the boot id (traffic counters) and
 * the cgroup parent directories, by parent path. Rows beyond those read by path. */
struct vps_usage_node {
	pthread_mutex_t lock; /* the parents below: rows may be built on several threads */
	bool links_read;
	struct vps_usage_links links;
	int vps_base;
	char boot_id[64];
	size_t n_cgp;
	struct vps_usage_cgp {
		char path[256];
		struct vps_cgroup_parent *p;
	} cgp[4];
};
#define VPS_USAGE_NODE_INIT                                                                        \
	{                                                                                          \
		.lock = PTHREAD_MUTEX_INITIALIZER, .vps_base = -EBADF,                             \
		.links = VPS_USAGE_LINKS_INIT                                                      \
	}

/* vps_base: the VPS base directory (NULL: none, each VPS read by path); the link dump is made
 * at the first vps_usage_node_links(). */
void vps_usage_node_open(struct vps_usage_node *n, const char *vps_base);
void vps_usage_node_done(struct vps_usage_node *n);
/* The link dump, made once; no traffic figures rather than no list without netlink access.
 * The first call is made before rows are built on several threads. */
const struct vps_usage_links *vps_usage_node_links(struct vps_usage_node *n);
/* The parent's directories, opened at its first use; NULL: open by path. */
const struct vps_cgroup_parent *vps_usage_node_cgroup(struct vps_usage_node *n, const char *path);
/* NAME's metered traffic (net/counters.h) with its veth as the dump saw it, or through
 * vps_counters_read() (p) when n has no base directory. */
int vps_usage_node_counters(struct vps_usage_node *n, const struct vps_paths *p, const char *name,
                            struct vps_counters *ret);
/* The same with NAME's veth as the caller found it in the dump (vps_usage.link, NULL: none). */
int vps_usage_node_counters_of(struct vps_usage_node *n, const struct vps_paths *p,
                               const char *name, const struct vps_usage_link *l,
                               struct vps_counters *ret);

/* The veth of NAME in links, NULL if none. */
const struct vps_usage_link *vps_usage_link_find(const struct vps_usage_links *links,
                                                 const char *name);

/* Fills ret for the VPS cfg->name whose init (init_pid, 0: not running) was started at unix
 * time started, in cgroup_parent (its directories opened once: cgp, NULL to open by path);
 * links may be NULL (no traffic). Never fails: what cannot be read stays 0 / false. */
void vps_usage_get(const struct vps_config *cfg, uint64_t init_pid, uint64_t uptime,
                   const char *cgroup_parent, const struct vps_cgroup_parent *cgp,
                   const struct vps_usage_links *links, struct vps_usage *ret);

/* The -o fields of list these give, in --help's order. */
extern const char *const vps_usage_fields[];
extern const size_t vps_usage_fields_n;
/* The disk quota's use and limits into ret (vps_usage_get leaves them): a project quota's
 * always, an image's used figures while it runs (its limits otherwise); nothing without one.
 * dir: the VPS directory. */
void vps_usage_disk(const char *dir, const struct vps_config *cfg, uint64_t init_pid,
                    struct vps_usage *ret);
/* One of them as list -o prints it: numbers in bytes, microseconds and per cent (one
 * decimal), "unlimited", "-" where it does not apply (stopped, no disk, no veth); -ENOKEY for
 * a field that is not one of them. */
int vps_usage_field(const struct vps_usage *u, const char *field, char *buf, size_t len);
/* bytes, short: 1023, 1.5K, 12.3M, 2.0G */
const char *vps_usage_bytes(uint64_t v, char *buf, size_t len);
