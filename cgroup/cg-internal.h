/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to cgroup/: the pure value mappings and the write planner (unit-tested without
 * cgroupfs), the host probe, and the small cgroupfs file helpers the backends share.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "cleanup.h"

/* The CFS period every VPS uses; quotas are expressed per period. */
#define CG_PERIOD_US 100000ULL
/* The smallest memory cap: below this even a shell cannot start. */
#define CG_MEMORY_MIN (4ULL << 20)
/* v1 prints "unlimited" as a huge page-rounded number; anything this large means no cap. */
#define CG_V1_UNLIMITED_MIN (1ULL << 62)
#define CG_WEIGHT_MIN       1
#define CG_WEIGHT_MAX       10000
#define CG_WEIGHT_DEFAULT   100
#define CG_CPUSET_CPU_MAX   8191
/* v1 weight files: blkio.weight (CFQ) 10..1000, default 500; blkio.bfq.weight 1..1000, default
 * 100 (Documentation/admin-guide/cgroup-v1/blkio-controller.rst, block/bfq-iosched.rst) */
#define CG_BLKIO_WEIGHT_MIN     10
#define CG_BLKIO_WEIGHT_DEFAULT 500
#define CG_BFQ_WEIGHT_MIN       1
#define CG_BFQ_WEIGHT_DEFAULT   100
#define CG_BLKIO_WEIGHT_MAX     1000
/* The smallest I/O throttle in bytes per second: one page. */
#define CG_IO_BPS_MIN 4096ULL
/* How often usage and emptiness are polled while waiting. */
#define CG_POLL_MS 50

/* The controllers a VPS group lives in. On v2 they share one directory; on v1 each is a
 * hierarchy of its own unless co-mounted (e.g. "cpu,cpuacct"). */
enum cg_ctrl {
	CG_CPU,
	CG_CPUACCT,
	CG_MEMORY,
	CG_PIDS,
	CG_IO, /* "io" on v2, "blkio" on v1 */
	CG_CPUSET,
	CG_FREEZER, /* v1 only; v2 has cgroup.freeze in every group */
	CG_DEVICES, /* v1 only: the runtime's device allow-list (v2 needs an eBPF program) */
	_CG_CTRL_MAX,
	_CG_CTRL_INVALID = -EINVAL,
};

const char *cg_ctrl_to_string(enum cg_ctrl c, enum vps_cgroup_backend b);

/* What the group's directory offers, probed from the files present (or filled by hand in the
 * unit tests). A missing feature is refused only when the quota actually needs it. */
struct cg_features {
	enum vps_cgroup_backend backend;
	bool pids;
	bool cpuset;
	bool burst;                       /* cpu.max.burst / cpu.cfs_burst_us */
	bool swap;                        /* memory.swap.max / memory.memsw.limit_in_bytes */
	const char *io_file;              /* io.weight, blkio.weight, blkio.bfq.weight or NULL */
	bool io_throttle;                 /* io.max / blkio.throttle.*_device */
	char parent_cpus[VPS_CPUSET_MAX]; /* v1: the CPUs "" stands for */
};

/* One file write of a plan: value is what to write, undo what it held before. */
struct cg_write {
	enum cg_ctrl ctrl;
	const char *file;
	char value[VPS_CPUSET_MAX];
	char undo[VPS_CPUSET_MAX];
	uint64_t from, to;  /* numeric old/new (unlimited = UINT64_MAX), for ordering */
	unsigned rank;      /* place in a chain of limits: reserve 0 < cap 1 < memsw 2 */
	bool memory_shrink; /* the hard memory cap goes down: apply with a safe shrink */
};

#define CG_PLAN_MAX 32
struct cg_plan {
	size_t n;
	struct cg_write w[CG_PLAN_MAX];
};

/* Value mappings (quota.c). Buffers are at least 32 bytes. */
uint64_t cg_cpus_to_quota_us(uint64_t milli);
uint64_t cg_quota_us_to_cpus(uint64_t quota_us, uint64_t period_us);
const char *cg_format_cpu_max(uint64_t milli, char *buf, size_t len);
const char *cg_format_cfs_quota(uint64_t milli, char *buf, size_t len);
uint64_t cg_weight_to_shares(uint64_t weight);
uint64_t cg_shares_to_weight(uint64_t shares);
uint64_t cg_io_weight_to_blkio(uint64_t weight, bool bfq);
uint64_t cg_blkio_to_io_weight(uint64_t blkio, bool bfq);
/* Whether an I/O throttle value limits anything (0 and VALUE_UNLIMITED do not). */
bool cg_io_limited(uint64_t v);
uint64_t cg_memsw(uint64_t memory, uint64_t swap);
uint64_t cg_swap_from_memsw(uint64_t memsw, uint64_t memory);
/* "max" / "-1" for unlimited, else the decimal number. */
const char *cg_format_limit(enum vps_cgroup_backend b, uint64_t v, char *buf, size_t len);
bool cg_cpuset_is_valid(const char *s);
/* libcgroup's ECG* codes (and plain errnos) to -errno. */
int cg_libcgroup_to_errno(int ecg, int last_errno);

/* Write planning (plan.c): the ordered writes taking a group from old to new. With all, every
 * value is written even when unchanged (creation). -EOPNOTSUPP when new needs a missing
 * feature, with err saying which. */
int cg_plan_build(const struct cg_features *f, const struct vps_quota *old,
                  const struct vps_quota *new, bool all, struct cg_plan *ret,
                  struct vps_error *err);
/* The undo of writes 0..failed-1: reverse order, old values. */
void cg_plan_rollback(const struct cg_plan *p, size_t failed, struct cg_plan *ret);

/* The I/O throttle (io-limit.c): each device's read/write bps and iops, VALUE_UNLIMITED for
 * none, as the kernel's files hold them. */
#define CG_IO_KINDS     4
#define CG_IO_LINES_MAX 16
struct cg_io_line {
	dev_t dev;
	uint64_t v[CG_IO_KINDS]; /* read bps, write bps, read iops, write iops */
};
struct cg_io_state {
	size_t n;
	struct cg_io_line l[CG_IO_LINES_MAX];
};
/* One v1 file (kind k) or io.max into st (start from {0}). */
int cg_io_parse_v1(const char *buf, size_t k, struct cg_io_state *st);
int cg_io_parse_v2(const char *buf, struct cg_io_state *st);
/* The writes taking the group from cur to q on each of devs and no limit anywhere else; each
 * write's undo restores cur. -E2BIG: more devices than a plan holds. */
int cg_plan_io_limits(enum vps_cgroup_backend b, const struct cg_io_state *cur,
                      const struct vps_quota *q, const dev_t *devs, size_t n_devs,
                      struct cg_plan *ret);
/* The counters: v1 io_service_bytes / io_serviced lines, v2 io.stat, summed over devs (every
 * device when n is 0). */
int cg_io_sum_v1(const char *buf, const dev_t *devs, size_t n, uint64_t *ret_read,
                 uint64_t *ret_write);
int cg_io_sum_v2(const char *buf, const dev_t *devs, size_t n, struct vps_cgroup_stats *st);

/* cgroupfs helpers (cgfs.c). */
int cg_read_string(int dfd, const char *file, char **ret);
/* A file the kernel writes in one record (a counter, cpu.stat, memory.events, freezer.state,
 * cgroup.events; not cgroup.procs, whose short read is no end) with one read(2) into buf,
 * trailing newline cut: -EFBIG if it may not fit (read it with cg_read_string). */
int cg_read_record(int dfd, const char *file, char *buf, size_t size);
/* A number, "max" or "-1" (both unlimited); v1's huge values also read as unlimited. */
int cg_read_u64(int dfd, const char *file, uint64_t *ret);
int cg_parse_keyed(const char *buf, const char *key, uint64_t *ret);
int cg_read_keyed(int dfd, const char *file, const char *key, uint64_t *ret);
int cg_write(int dfd, const char *file, const char *value);
bool cg_has_file(int dfd, const char *file);
/* Whether word is one of the space-separated words of list (cgroup.controllers). */
bool cg_word_in(const char *list, const char *word);
/* Where controller c's hierarchy is mounted ("" if nowhere). */
const char *cg_host_mount(enum cg_ctrl c);
/* Whether the host is known (probed, or set from a handover). */
bool cg_host_known(void);
/* 0 once it is, probing now if vps_cgroup_init_on_demand() asked for that; else -ENXIO. */
int cg_host_need(void);
void cg_host_probe_with(int (*probe)(void));
/* The pids in cgroup.procs of dfd and, recursively, of its child groups. */
int cg_read_procs(int dfd, pid_t **ret, size_t *ret_n);
/* rmdir of dfd/name and its child groups, depth first (rmdir_tree_at), retried while busy. */
int cg_rmdir_tree(int dfd, const char *name);
uint64_t cg_now_ms(void);
void cg_sleep_ms(unsigned ms);

/* The handle (cgroup.c). Each hierarchy is one directory tree holding some controllers. */
struct cg_hier {
	char *mount;
	unsigned ctrls; /* bit (1u << enum cg_ctrl) */
};

struct vps_cgroup {
	enum vps_cgroup_backend backend;
	const struct cg_ops *ops;
	char *parent; /* "" or "/a/b": inside each hierarchy */
	char *name;
	size_t n_hier;
	struct cg_hier hier[_CG_CTRL_MAX];
	/* per hierarchy: the trailing path components cg_group_make() created (the group is the
	 * last), so that cg_group_unmake() removes exactly those */
	unsigned n_created[_CG_CTRL_MAX];
	/* vps_cgroup_new_at(): the parent directory per hierarchy and of the cgroup2 tree,
	 * borrowed from a struct vps_cgroup_parent; -EBADF: open by the full path */
	int parent_fd[_CG_CTRL_MAX];
	int tree_parent_fd;
};

/* Open fds of the group's directory per controller; -EBADF where not mounted. */
struct cg_dirs {
	int fd[_CG_CTRL_MAX];
};

const struct cg_hier *cg_hier_of(const struct vps_cgroup *cg, enum cg_ctrl c);
int cg_group_path(const struct vps_cgroup *cg, const struct cg_hier *h, bool parent_only, char *buf,
                  size_t len);
/* Where the group's file (NULL: its directory) in h is: *ret_dfd and buf, NAME/FILE relative
 * to the parent's open directory, else the full path and AT_FDCWD. */
int cg_group_at(const struct vps_cgroup *cg, const struct cg_hier *h, const char *file, char *buf,
                size_t len, int *ret_dfd);
/* open() of the group's directory in h through cg_group_at(); -errno. */
int cg_group_open(const struct vps_cgroup *cg, const struct cg_hier *h, int flags);
/* Opens the group in every hierarchy; -ENOENT when it does not exist in the primary one. */
int cg_dirs_open(const struct vps_cgroup *cg, struct cg_dirs *ret);
void cg_dirs_close(struct cg_dirs *d);
/* The hierarchy holding the processes we count and kill (v1: freezer, else memory). */
enum cg_ctrl cg_primary_ctrl(const struct vps_cgroup *cg);
int cg_features_probe(const struct vps_cgroup *cg, const struct cg_dirs *d,
                      struct cg_features *ret);
/* The group's I/O counters into st (io-limit.c). */
int cg_io_stats(const struct vps_cgroup *cg, const struct cg_dirs *d, struct vps_cgroup_stats *st);

/* Sends sig to those of pids still in dfd's group, through pidfds so a pid reused by a
 * stranger is never hit (kill.c). */
int cg_signal_verified(int dfd, const pid_t *pids, size_t n, int sig);

/* The executor and the read-back (apply.c). */
int cg_read_quota_dirs(const struct vps_cgroup *cg, const struct cg_dirs *d,
                       const struct cg_features *f, struct vps_quota *ret);
int cg_plan_execute(const struct vps_cgroup *cg, const struct cg_dirs *d, const struct cg_plan *p,
                    unsigned shrink_timeout_ms, bool force, struct vps_error *err);

/* Making a group in two steps (create.c): the directories, empty, then the settings and the
 * quota, which a process may already be in (init, born in the group on v2). unmake removes what
 * make created, in the same process. */
int cg_group_make(struct vps_cgroup *cg, struct vps_error *err);
int cg_group_apply(const struct vps_cgroup *cg, const struct vps_quota *q, struct vps_error *err);
void cg_group_unmake(struct vps_cgroup *cg);
/* The group in every hierarchy, and the parents it emptied. */
int cg_group_remove(const struct vps_cgroup *cg);

/* The freezer of the primary hierarchy (kill.c). */
int cg_primary_frozen(const struct vps_cgroup *cg, bool *ret);
int cg_primary_thaw(const struct vps_cgroup *cg);

/* A hybrid host's cgroup2 tree of a VPS, UNIFIED/PARENT/NAME (cgroup-mount.c): made (owned by
 * owner >= 0) and opened, opened (-EBADF and 0 for a VPS started without one), frozen, thawed
 * and removed with every group the VPS made in it. */
int cg_tree_make(const struct vps_cgroup *cg, long long owner, int *ret_fd);
int cg_tree_open(const struct vps_cgroup *cg, int *ret_fd);
/* UNIFIED/PARENT, for vps_cgroup_parent_open(); -errno. */
int cg_tree_parent_open(const struct vps_cgroup *cg);
int cg_tree_frozen(const struct vps_cgroup *cg, bool *ret);
int cg_tree_thaw(const struct vps_cgroup *cg);
int cg_tree_remove(const struct vps_cgroup *cg);

/* The backends (backend.c): one table per kind of host, chosen once when the host is known. */
enum cg_kind {
	CG_KIND_V1,     /* v1 hierarchies only */
	CG_KIND_HYBRID, /* v1 hierarchies, and a cgroup2 tree without controllers */
	CG_KIND_V2,     /* the unified hierarchy */
	_CG_KIND_MAX,
	_CG_KIND_INVALID = -EINVAL,
};

struct cg_ops {
	enum vps_cgroup_backend backend; /* the quota model's (plan.c) */
	/* The child is cloned into the group, so the spawn makes it before the clone; else while
	 * init makes its root filesystem, where it costs the start nothing (a v1 group's mkdirs
	 * take 1 ms here, 5-10 ms just after a group beside it went). */
	bool born_in_group;
	/* Before the clone: the group the child is born in (*ret_fd, -EBADF for none) and whether
	 * init mounts it as its own tree; make: the first boot, owner as for the spawn. */
	int (*open_clone)(const struct vps_cgroup *cg, bool make, long long owner, int *ret_fd,
	                  bool *ret_own_tree);
	/* The files a child writes itself into (v1 tasks; none on v2). */
	int (*open_join)(const struct vps_cgroup *cg, int fds[VPS_CGROUP_HIER_MAX], size_t *ret_n);
	int (*restrict_devices)(const struct vps_cgroup *cg, pid_t pid);
	int (*frozen)(const struct vps_cgroup *cg, bool *ret);
	int (*thaw)(const struct vps_cgroup *cg);
	int (*remove)(const struct vps_cgroup *cg);
	/* v2 under a systemd unit with Delegate=yes (delegate.c); -ENOENT elsewhere. */
	int (*delegated_parent)(char *ret, size_t len);
};

const struct cg_ops *cg_ops_of(enum cg_kind k);
/* The host's, once it is known (cg_host_need). */
const struct cg_ops *cg_host_ops(void);
int cg_delegated_parent_v2(char *ret, size_t len);
