/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS cgroup tree and the quota model, behind one interface for the cgroup v2 backend
 * (unified hierarchy) and the v1 backend (hybrid and legacy hosts). Functions return 0 or
 * -errno and log only at debug level; what failed is described in struct vps_error (error.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "parse.h" /* VALUE_UNLIMITED */

#define VPS_CPUSET_MAX 128

/* Everything an operator can set; VALUE_UNLIMITED means "no cap". */
struct vps_quota {
	uint64_t cpus_milli;         /* hard CPU cap in thousandths of a CPU */
	uint64_t cpu_burst_milli;    /* bankable extra CPU, thousandths; 0 = none */
	uint64_t cpu_weight;         /* 1..10000, 100 = default share */
	uint64_t memory;             /* bytes: hard RAM cap */
	uint64_t memory_reserve;     /* bytes: protected from reclaim; 0 = none */
	uint64_t swap;               /* bytes of swap on top of RAM */
	uint64_t pids;               /* process/thread cap */
	uint64_t io_weight;          /* 1..10000, 100 = default */
	char cpuset[VPS_CPUSET_MAX]; /* "" = every CPU */
	/* I/O throttle on the devices holding the VPS's storage; 0 or VALUE_UNLIMITED = none */
	uint64_t io_read_bps, io_write_bps;   /* bytes per second */
	uint64_t io_read_iops, io_write_iops; /* operations per second */
};

struct vps_cgroup_stats {
	uint64_t cpu_usage_usec;
	uint64_t cpu_nr_periods;
	uint64_t cpu_nr_throttled;
	uint64_t cpu_throttled_usec;
	uint64_t memory_current;
	uint64_t memory_peak;
	uint64_t memory_max;
	uint64_t swap_current;
	uint64_t pids_current;
	uint64_t pids_max;
	/* failure counters, in the spirit of OpenVZ's beancounter failcnt */
	uint64_t memory_high_events;
	uint64_t memory_max_events;
	uint64_t memory_oom_events;
	uint64_t memory_oom_kills;
	uint64_t pids_max_events;
	/* block I/O of the group and its children, every device (v1 blkio.throttle.io_service_*
	 * recursive, v2 io.stat) */
	uint64_t io_read_bytes;
	uint64_t io_write_bytes;
	uint64_t io_read_ops;
	uint64_t io_write_ops;
};

enum vps_cgroup_backend { VPS_CGROUP_V1, VPS_CGROUP_V2, _VPS_CGROUP_BACKEND_MAX };

/* The most hierarchies a group spans (v1: one per controller unless co-mounted). */
#define VPS_CGROUP_HIER_MAX 8

struct vps_cgroup;

/* Once per process, from main: probes the host (libcgroup finds the v1 hierarchies) and picks
 * the backend table, v2, v1 or hybrid (v1 controllers with a cgroup2 tree for the VPS's own
 * view), for good. */
int vps_cgroup_init(void);
/* For commands that rarely touch cgroups (list, status): the probe runs at the first use. */
void vps_cgroup_init_on_demand(void);
enum vps_cgroup_backend vps_cgroup_backend(void);
const char *vps_cgroup_backend_to_string(enum vps_cgroup_backend b);

/* What the probe found, for a process that must not probe again: vps-supervisor gets it with
 * the handed-over config and links no libcgroup (whose tables would be most of its memory). */
#define VPS_CGROUP_MOUNT_MAX 256
struct vps_cgroup_host {
	uint32_t kind;                                         /* the backend table (backend.c) */
	char mount[VPS_CGROUP_HIER_MAX][VPS_CGROUP_MOUNT_MAX]; /* per controller; "" = none */
};
int vps_cgroup_host_get(struct vps_cgroup_host *ret);
/* Instead of vps_cgroup_init(): checks that each mount is still a cgroup filesystem of the
 * kind named; -EINVAL if not (nothing is set then). */
int vps_cgroup_host_set(const struct vps_cgroup_host *h);

/* The defaults a VPS gets when neither config nor flags say otherwise. */
void vps_quota_init_default(struct vps_quota *q);
/* Checks a quota for consistency; host_cpus bounds --cpus. On error, err says why, naming
 * the fields as create's flags. */
int vps_quota_validate(const struct vps_quota *q, unsigned host_cpus, struct vps_error *err);
/* The fields of a quota, in the order of vps.conf's keys. */
enum vps_quota_field {
	VPS_QUOTA_CPUS,
	VPS_QUOTA_CPU_BURST,
	VPS_QUOTA_CPU_WEIGHT,
	VPS_QUOTA_MEMORY,
	VPS_QUOTA_MEMORY_RESERVE,
	VPS_QUOTA_SWAP,
	VPS_QUOTA_PIDS,
	VPS_QUOTA_IO_WEIGHT,
	VPS_QUOTA_CPUSET,
	VPS_QUOTA_IO_READ_BPS,
	VPS_QUOTA_IO_WRITE_BPS,
	VPS_QUOTA_IO_READ_IOPS,
	VPS_QUOTA_IO_WRITE_IOPS,
	_VPS_QUOTA_FIELD_MAX,
};
/* The same with the fields named by names[] (NULL: the flags), so a file's check names its
 * keys; ret_field (may be NULL) gets the field the error is about. host_cpus 0: unchecked. */
int vps_quota_check(const struct vps_quota *q, unsigned host_cpus,
                    const char *const names[_VPS_QUOTA_FIELD_MAX], struct vps_error *err,
                    enum vps_quota_field *ret_field);

/* Under a systemd unit with Delegate=yes on a v2 host: moves the caller into a leaf of the
 * unit's cgroup and returns the unit's cgroup as the parent for the VPS cgroup. -ENOENT when
 * not delegated (then the node's CGROUP_PARENT applies). */
int vps_cgroup_delegated_parent(char *ret, size_t len);

/* A handle for parent/name (parent is a path inside each hierarchy, e.g. "/vpsctl"). No side
 * effects. */
int vps_cgroup_new(const char *parent, const char *name, struct vps_cgroup **ret);
struct vps_cgroup *vps_cgroup_free(struct vps_cgroup *cg);
/* The parent directories of many groups, opened once (parent-dirs.c): a group made with
 * vps_cgroup_new_at() opens its files relative to them (p must outlive it). For short-lived
 * readers such as `vpsctl list`. */
struct vps_cgroup_parent;
int vps_cgroup_parent_open(const char *parent, struct vps_cgroup_parent **ret);
struct vps_cgroup_parent *vps_cgroup_parent_free(struct vps_cgroup_parent *p);
int vps_cgroup_new_at(const struct vps_cgroup_parent *p, const char *name, struct vps_cgroup **ret);
/* Creates the group (and parents) and applies q; an existing empty group is reused. */
int vps_cgroup_create(struct vps_cgroup *cg, const struct vps_quota *q, struct vps_error *err);
bool vps_cgroup_exists(struct vps_cgroup *cg);

/* A process on its way into a VPS (its init, or exec's child) and the groups it joins, the
 * same calls on every backend:
 *   vps_cgroup_spawn_prepare[_join]()  before the clone: clone_fd for clone3's
 *                                      CLONE_INTO_CGROUP (-EBADF: none); _join: join_fds
 *   vps_cgroup_spawn_attach()          host side, once the child exists, where the kernel
 *                                      had no CLONE_INTO_CGROUP
 *   vps_cgroup_spawn_limit(), vps_cgroup_restrict_devices()
 *                                      host side, while init makes its root filesystem:
 *                                      join_fds
 *   vps_cgroup_join_tasks(join_fds)    the child, before it unshares its cgroup namespace
 *   vps_cgroup_spawn_done()            closes the fds */
struct vps_cgroup_spawn {
	int clone_fd;
	bool in_cgroup; /* the caller's: the clone put the child into clone_fd's group */
	bool own_tree;  /* init mounts that group as its /sys/fs/cgroup (vps_cgroup2_mount) */
	/* The group's `tasks` files (v1), through which a single-threaded child, even one in a
	 * user namespace that can no longer open them, moves itself: a thread moving itself is
	 * the one migration the kernel does without its global threadgroup lock, whose write side
	 * waits for an RCU grace period on a quiet host (10-20 ms here); writing a pid to
	 * cgroup.procs takes it. None on v2, where the child is born in its group. */
	int join_fds[VPS_CGROUP_HIER_MAX];
	size_t n_join;
	const struct vps_quota *limits; /* for vps_cgroup_spawn_limit(): the group is new */
	bool make;                      /* ... and vps_cgroup_spawn_limit() makes it */
};
#define VPS_CGROUP_SPAWN_INIT                                                                      \
	{                                                                                          \
		.clone_fd = -EBADF                                                                 \
	}
/* Before the clone of a VPS's init. create (the first boot): the group is to be made, by one
 * function on every backend, here where init is born in it (v2), else in
 * vps_cgroup_spawn_limit() while init makes its root filesystem; without, it exists (a reboot
 * keeps it). owner >= 0: a user-namespace VPS's root on the host, to whom the VPS's own cgroup2
 * tree is delegated. On error err says what failed. */
int vps_cgroup_spawn_prepare(struct vps_cgroup *cg, const struct vps_quota *create, long long owner,
                             struct vps_cgroup_spawn *sp, struct vps_error *err);
/* Before the clone of a process joining a running VPS (vpsctl exec). */
int vps_cgroup_spawn_prepare_join(struct vps_cgroup *cg, struct vps_cgroup_spawn *sp);
/* Moves pid (0: the caller) into clone_fd's group unless the clone did. */
int vps_cgroup_spawn_attach(struct vps_cgroup_spawn *sp, pid_t pid);
/* While the child makes its root filesystem: makes the group if prepare left that here, sets
 * the quota of a new one (nothing of the VPS runs before the host releases it), and opens
 * join_fds for the child. */
int vps_cgroup_spawn_limit(struct vps_cgroup *cg, struct vps_cgroup_spawn *sp,
                           struct vps_error *err);
void vps_cgroup_spawn_done(struct vps_cgroup_spawn *sp);
/* The device policy (devices.h) on the group pid is in: v1 devices.allow, v2 an eBPF program;
 * no devices hierarchy on v1 leaves the nodev mounts alone. */
int vps_cgroup_restrict_devices(struct vps_cgroup *cg, pid_t pid);
/* Moves the calling thread into the group of each fd. Async-signal-safe. */
int vps_cgroup_join_tasks(const int *fds, size_t n);
void vps_cgroup_close_tasks(int *fds, size_t *n);
/* Moves pid into the group, in every hierarchy. pid 0 is the caller, which must then be
 * single-threaded (on v1 it moves itself through `tasks`, see above). */
int vps_cgroup_attach(struct vps_cgroup *cg, pid_t pid);
/* Live change from old to new, ordered so it never ends half-applied; rolls back on refusal.
 * Memory shrink lowers the soft cap first and waits up to shrink_timeout_ms for usage to
 * fall; refuses with -EBUSY and "memory usage X stays above the new limit Y" unless force.
 * On success err may say what a forced v1 shrink killed ("killed PID (COMM), ..."); on v2
 * the kernel's OOM killer does it (counted in memory.events). */
int vps_cgroup_resize(struct vps_cgroup *cg, const struct vps_quota *old,
                      const struct vps_quota *new, unsigned shrink_timeout_ms, bool force,
                      struct vps_error *err);
/* The I/O throttle (io-limit.c): q's read/write bps and iops on each of devs (whole block
 * devices), and on no other device: lines the group holds for other devices (a loop device of
 * an earlier boot) are removed. Rolls back on refusal; err says which write failed. */
#define VPS_IO_DEV_MAX 4
int vps_cgroup_io_limit(struct vps_cgroup *cg, const struct vps_quota *q, const dev_t *devs,
                        size_t n_devs, struct vps_error *err);
/* The io_* counters of st anew, summed over devs only: a disk image's bytes count once, on its
 * loop device, not again on the disk under it. */
int vps_cgroup_io_stats(struct vps_cgroup *cg, const dev_t *devs, size_t n_devs,
                        struct vps_cgroup_stats *st);
/* Whether the I/O scheduler of a block device honours weights (bfq): 1 yes, 0 no (its name
 * in sched), -errno when unknown. */
int vps_io_scheduler_weights(dev_t dev, char *sched, size_t len);
/* Reads back the limits the kernel holds (to compare with the config). */
int vps_cgroup_read_quota(struct vps_cgroup *cg, struct vps_quota *ret);
int vps_cgroup_stats(struct vps_cgroup *cg, struct vps_cgroup_stats *ret);
/* Only cpu_usage_usec, memory_current, memory_max and pids_current of those (the rest 0):
 * what a node-wide list reads of every VPS. */
int vps_cgroup_usage(struct vps_cgroup *cg, struct vps_cgroup_stats *ret);
/* Number of processes in the group (0 when it does not exist). */
int vps_cgroup_count_procs(struct vps_cgroup *cg, size_t *ret);
/* SIGKILLs every process (cgroup.kill, or freeze + kill + thaw) and waits up to timeout_ms
 * for the group to be empty. */
int vps_cgroup_kill(struct vps_cgroup *cg, unsigned timeout_ms);
/* SIGKILLs every process once, neither freezing nor waiting: for a group the host froze (a
 * v1-frozen task dies once thawed), while another process may be running vps_cgroup_kill()'s
 * freeze and thaw on it. */
int vps_cgroup_kill_once(struct vps_cgroup *cg);
/* Whether the group is frozen or being frozen (v2 cgroup.freeze, v1 freezer, a hybrid host's
 * cgroup2 tree), by itself or an ancestor; false where there is no freezer or no group. */
int vps_cgroup_frozen(struct vps_cgroup *cg, bool *ret);
/* Freezes every task of the group (v1 freezer.state, v2 cgroup.freeze) and waits up to
 * timeout_ms until the kernel says FROZEN; on failure the group is thawed again. -EOPNOTSUPP
 * where there is no freezer, -ESRCH when the group does not exist, -ETIMEDOUT when a task
 * held it off (one in uninterruptible sleep). */
int vps_cgroup_freeze(struct vps_cgroup *cg, unsigned timeout_ms);
/* Thaws the group (frozen tasks take a SIGKILL only once thawed on v1), and a hybrid host's
 * cgroup2 tree of it; a missing group or freezer is fine. */
int vps_cgroup_thaw(struct vps_cgroup *cg);
/* Removes the group (on a hybrid host with the VPS's cgroup2 tree and every group the VPS made
 * in it), then the parent if it became empty; a missing group is fine. */
int vps_cgroup_remove(struct vps_cgroup *cg);
/* The node-wide lock under which parent groups are made, seeded and removed: a stop removing
 * the parent it emptied must not do so while another VPS is being made in it. An flock on the
 * root of the cpu hierarchy (no VPS can open it), held for milliseconds; waits up to
 * timeout_ms. Returns the fd to close, or -errno (-EWOULDBLOCK: timed out). */
int vps_cgroup_tree_lock(unsigned timeout_ms);

static inline void vps_cgroup_freep(struct vps_cgroup **cg)
{
	vps_cgroup_free(*cg);
}
#define _cleanup_vps_cgroup_ __attribute__((cleanup(vps_cgroup_freep)))
