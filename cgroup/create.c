/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Creating and removing the group in every hierarchy. We touch only directories we create:
 * controllers are enabled (v2) and cpusets seeded (v1) in those alone, with one exception,
 * the v2 root, where enabling a controller is needed for anything below and harmless.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-internal.h"
#include "log.h"
#include "parse.h"

/* The tree lock is held for a few mkdirs or rmdirs; waiting longer means something is wrong. */
#define TREE_LOCK_MS 10000

static const enum cg_ctrl v2_enable[] = {CG_CPU, CG_MEMORY, CG_PIDS, CG_IO, CG_CPUSET};

/* v2: make the controllers available to children of dir (a group we created, or the root). */
static void enable_controllers(int dfd)
{
	_cleanup_free_ char *avail = NULL, *on = NULL;

	if (cg_read_string(dfd, "cgroup.controllers", &avail) < 0 ||
	    cg_read_string(dfd, "cgroup.subtree_control", &on) < 0)
		return;
	for (size_t i = 0; i < ELEMENTSOF(v2_enable); i++) {
		const char *c = cg_ctrl_to_string(v2_enable[i], VPS_CGROUP_V2);
		char buf[32];

		if (cg_word_in(on, c) || !cg_word_in(avail, c))
			continue;
		snprintf(buf, sizeof(buf), "+%s", c);
		/* a missing controller shows up later as a missing feature, with a clear message */
		(void)cg_write(dfd, "cgroup.subtree_control", buf);
	}
}

/* v1: a new cpuset has no CPUs and no memory nodes; no task can join it until it has. Below a
 * group of ours with cgroup.clone_children set, the kernel copies the parent's at mkdir, which
 * spares the write: every cpuset write checks the new value against each sibling group, a cost
 * that grows with the number of VPSes. An existing group below the node's parent is seeded
 * too when it has no CPUs: a create killed between mkdir and seeding left it unusable. */
static int seed_v1_dir(int pfd, int dfd, const struct cg_hier *h, bool created)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	_cleanup_free_ char *cpus = NULL, *mems = NULL;

	if (created && (h->ctrls & (1u << CG_MEMORY)))
		(void)cg_write(dfd, "memory.use_hierarchy", "1"); /* fixed at 1 on new kernels */
	if (!(h->ctrls & (1u << CG_CPUSET)))
		return 0;
	if (created)
		(void)cg_write(dfd, "cgroup.clone_children", "1");
	if (cg_read_string(dfd, "cpuset.cpus", &cpus) == 0 && cpus[strspn(cpus, " \n")] &&
	    cg_read_string(dfd, "cpuset.mems", &mems) == 0 && mems[strspn(mems, " \n")])
		return 0; /* seeded by the kernel or an earlier create */
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *v = NULL;
		int r;

		r = cg_read_string(pfd, files[i], &v);
		if (r == 0)
			r = cg_write(dfd, files[i], v);
		if (r < 0)
			return r;
	}
	return 0;
}

static int make_component(const struct vps_cgroup *cg, const struct cg_hier *h, int pfd,
                          const char *comp, bool parent_ours, bool *ret_created, int *ret_fd)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (cg->backend == VPS_CGROUP_V2 && parent_ours)
		enable_controllers(pfd);
	*ret_created = mkdirat(pfd, comp, 0755) == 0;
	if (!*ret_created && errno != EEXIST)
		return -errno;
	fd = openat(pfd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (cg->backend == VPS_CGROUP_V1) {
		r = seed_v1_dir(pfd, fd, h, *ret_created);
		if (r < 0)
			return r;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* mkdir -p of parent/name below the mount, remembering how much of it is ours. */
static int make_group(const struct vps_cgroup *cg, const struct cg_hier *h, unsigned *n_created)
{
	_cleanup_free_ char *rel = NULL;
	_cleanup_close_ int fd = -EBADF;
	bool ours = true; /* the root counts as ours for enabling controllers */
	char *save = NULL;

	if (asprintf(&rel, "%s/%s", cg->parent, cg->name) < 0)
		return -ENOMEM;
	fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (char *comp = strtok_r(rel, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		bool created;
		int nfd = -EBADF, r;

		r = make_component(cg, h, fd, comp, ours, &created, &nfd);
		if (created)
			(*n_created)++;
		if (r < 0)
			return r;
		close(fd);
		fd = nfd;
		ours = created;
	}
	return 0;
}

/* rmdir the group and the trailing parent components this create made, deepest first; the
 * parents only under the tree lock (locked), as another create may be making a group in them. */
static void unmake_group(const struct vps_cgroup *cg, const struct cg_hier *h, unsigned n_created,
                         bool locked)
{
	char path[PATH_MAX];

	if (cg_group_path(cg, h, false, path, sizeof(path)) < 0)
		return;
	for (unsigned i = 0; i < n_created && (i == 0 || locked); i++) {
		char *slash = strrchr(path, '/');

		if (rmdir(path) < 0)
			log_debug("cgroup: cannot remove %s, ignoring: %m", path);
		if (!slash)
			break;
		*slash = '\0';
	}
}

static int check_unused(const struct vps_cgroup *cg, const struct cg_dirs *d, struct vps_error *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r;

	r = cg_read_procs(d->fd[cg_primary_ctrl(cg)], &pids, &n);
	if (r < 0)
		return r;
	if (n == 0)
		return 0;
	vps_error_set(err, -EBUSY, "cgroup %s/%s is in use by %zu processes", cg->parent, cg->name,
	              n);
	return -EBUSY;
}

/* Settings that are not part of the quota but every VPS group needs. */
static int setup_group(const struct vps_cgroup *cg, const struct cg_dirs *d)
{
	char period[32];
	int r;

	if (cg->backend == VPS_CGROUP_V1) {
		snprintf(period, sizeof(period), "%llu", CG_PERIOD_US);
		return cg_write(d->fd[CG_CPU], "cpu.cfs_period_us", period);
	}
	/* An OOM at the VPS's cap is confined to the VPS anyway (the kernel picks a victim
	 * inside the group that hit its limit), and picks one process, as OpenVZ and LXC do.
	 * memory.oom.group=1 would kill every process, init included: one runaway allocation
	 * would stop the whole VPS. Written explicitly for a reused group. */
	if (cg_has_file(d->fd[CG_MEMORY], "memory.oom.group")) {
		r = cg_write(d->fd[CG_MEMORY], "memory.oom.group", "0");
		if (r < 0)
			return r;
	}
	return cg_write(d->fd[CG_MEMORY], "memory.high", "max");
}

/* An empty group, a fresh one or one a VPS left (reused). */
static int check_empty(const struct vps_cgroup *cg, struct vps_error *err)
{
	_cleanup_(cg_dirs_close) struct cg_dirs d;
	int r;

	r = cg_dirs_open(cg, &d);
	if (r == 0)
		r = check_unused(cg, &d, err);
	return r;
}

int cg_group_apply(const struct vps_cgroup *cg, const struct vps_quota *q, struct vps_error *err)
{
	_cleanup_(cg_dirs_close) struct cg_dirs d;
	struct cg_features f;
	struct vps_quota cur;
	struct cg_plan plan;
	int r;

	r = cg_dirs_open(cg, &d);
	if (r < 0)
		return r;
	r = setup_group(cg, &d);
	if (r == 0)
		r = cg_features_probe(cg, &d, &f);
	if (r == -EOPNOTSUPP && !vps_error_is_set(err))
		vps_error_set(err, r, "the cpu and memory controllers are not available below '%s'",
		              cg->parent[0] ? cg->parent : "/");
	if (r < 0)
		return r;
	/* Start from what the kernel holds, so a reused group is ordered correctly too, and write
	 * only what differs: a CPU cap write walks every task group of the host, a cpuset write
	 * checks every sibling, so an unneeded write costs more the more VPSes run. */
	r = cg_read_quota_dirs(cg, &d, &f, &cur);
	if (r == 0)
		r = cg_plan_build(&f, &cur, q, false, &plan, err);
	if (r == 0)
		r = cg_plan_execute(cg, &d, &plan, 0, true, err);
	return r;
}

int cg_group_make(struct vps_cgroup *cg, struct vps_error *err)
{
	_cleanup_close_ int lock = -EBADF;
	int r = 0;

	vps_error_clear(err);
	memset(cg->n_created, 0, sizeof(cg->n_created));
	/* Once the group exists, it keeps the parent: only the making needs the lock. */
	lock = vps_cgroup_tree_lock(TREE_LOCK_MS);
	if (lock < 0) {
		return vps_error_errno(err, lock, "failed to lock the cgroup tree");
	}
	for (size_t i = 0; i < cg->n_hier && r == 0; i++) {
		r = make_group(cg, &cg->hier[i], &cg->n_created[i]);
		if (r < 0)
			vps_error_errno(err, r, "failed to create cgroup %s/%s in %s", cg->parent,
			                cg->name, cg->hier[i].mount);
	}
	closep(&lock);
	if (r == 0)
		r = check_empty(cg, err);
	if (r < 0)
		cg_group_unmake(cg);
	return r;
}

void cg_group_unmake(struct vps_cgroup *cg)
{
	_cleanup_close_ int lock = vps_cgroup_tree_lock(TREE_LOCK_MS);

	for (size_t i = 0; i < cg->n_hier; i++)
		unmake_group(cg, &cg->hier[i], cg->n_created[i], lock >= 0);
	memset(cg->n_created, 0, sizeof(cg->n_created));
}

int vps_cgroup_create(struct vps_cgroup *cg, const struct vps_quota *q, struct vps_error *err)
{
	int r;

	r = cg_group_make(cg, err);
	if (r < 0)
		return r;
	r = cg_group_apply(cg, q, err);
	if (r < 0)
		cg_group_unmake(cg);
	return r;
}

static int remove_in(const struct vps_cgroup *cg, const struct cg_hier *h)
{
	_cleanup_close_ int pfd = -EBADF;
	char path[PATH_MAX];
	int r;

	r = cg_group_path(cg, h, true, path, sizeof(path));
	if (r < 0)
		return r;
	pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? 0 : -errno;
	return cg_rmdir_tree(pfd, cg->name);
}

/* The parent goes when its last VPS does; another VPS in it, or being made in it (the tree
 * lock), keeps it. */
static void remove_parent_in(const struct vps_cgroup *cg, const struct cg_hier *h)
{
	char path[PATH_MAX];

	if (cg_group_path(cg, h, true, path, sizeof(path)) < 0)
		return;
	if (rmdir(path) < 0 && errno != ENOTEMPTY && errno != EBUSY && errno != ENOENT)
		log_debug("cgroup: cannot remove %s, ignoring: %m", path);
}

int cg_group_remove(const struct vps_cgroup *cg)
{
	_cleanup_close_ int lock = -EBADF;
	int ret = 0;

	for (size_t i = 0; i < cg->n_hier; i++) {
		int r = remove_in(cg, &cg->hier[i]);

		if (r < 0 && ret == 0)
			ret = log_debug_errno(r, "cgroup: cannot remove %s/%s in %s: %m",
			                      cg->parent, cg->name, cg->hier[i].mount);
	}
	if (!cg->parent[0])
		return ret;
	/* without the lock the parent stays: an empty group costs nothing */
	lock = vps_cgroup_tree_lock(TREE_LOCK_MS);
	for (size_t i = 0; lock >= 0 && i < cg->n_hier; i++)
		remove_parent_in(cg, &cg->hier[i]);
	return ret;
}

int vps_cgroup_tree_lock(unsigned timeout_ms)
{
	uint64_t deadline = cg_now_ms() + timeout_ms;
	_cleanup_close_ int fd = -EBADF;
	int r;

	r = cg_host_need();
	if (r < 0)
		return r;
	fd = open(cg_host_mount(CG_CPU), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return -errno;
		if (cg_now_ms() >= deadline)
			return -EWOULDBLOCK;
		cg_sleep_ms(2);
	}
	return TAKE_FD(fd);
}
