/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host as probed (discover.c) or handed over, its backend table, and the group handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "cg-internal.h"
#include "log.h"

_Static_assert(VPS_CGROUP_HIER_MAX >= _CG_CTRL_MAX,
               "a group spans at most one hierarchy per controller");

/* Written once (vps_cgroup_host_set) and read-only afterwards: the host's mounts do not change
 * under a running vpsctl, and every handle copies what it needs. */
static struct {
	struct vps_cgroup_host h;
	const struct cg_ops *ops;
	int (*probe)(void); /* vps_cgroup_init_on_demand() */
} host;

static const char *const v1_names[_CG_CTRL_MAX] = {
	[CG_CPU] = "cpu",         [CG_CPUACCT] = "cpuacct", [CG_MEMORY] = "memory",
	[CG_PIDS] = "pids",       [CG_IO] = "blkio",        [CG_CPUSET] = "cpuset",
	[CG_FREEZER] = "freezer", [CG_DEVICES] = "devices",
};

static const char *const v2_names[_CG_CTRL_MAX] = {
	[CG_CPU] = "cpu",         [CG_CPUACCT] = "cpu",     [CG_MEMORY] = "memory",
	[CG_PIDS] = "pids",       [CG_IO] = "io",           [CG_CPUSET] = "cpuset",
	[CG_FREEZER] = "freezer", [CG_DEVICES] = "devices",
};

const char *cg_ctrl_to_string(enum cg_ctrl c, enum vps_cgroup_backend b)
{
	if (c < 0 || c >= _CG_CTRL_MAX)
		return NULL;
	return b == VPS_CGROUP_V2 ? v2_names[c] : v1_names[c];
}

static const char *const backend_names[_VPS_CGROUP_BACKEND_MAX] = {
	[VPS_CGROUP_V1] = "v1",
	[VPS_CGROUP_V2] = "v2",
};

const char *vps_cgroup_backend_to_string(enum vps_cgroup_backend b)
{
	if (b < 0 || b >= _VPS_CGROUP_BACKEND_MAX)
		return NULL;
	return backend_names[b];
}

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == magic;
}

/* Fail closed on a handover that does not describe this host: a NUL-terminated absolute path
 * to a filesystem of the kind's type, cpu and memory among them. */
static bool host_is_valid(const struct vps_cgroup_host *h, enum cg_kind k)
{
	long magic = k == CG_KIND_V2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC;

	if (!h->mount[CG_CPU][0] || !h->mount[CG_MEMORY][0])
		return false;
	for (int c = 0; c < _CG_CTRL_MAX; c++) {
		const char *m = h->mount[c];

		if (!memchr(m, '\0', sizeof(h->mount[c])))
			return false;
		if (m[0] && (m[0] != '/' || !is_fs(m, magic)))
			return false;
	}
	return true;
}

int vps_cgroup_host_set(const struct vps_cgroup_host *h)
{
	const struct cg_ops *ops = h->kind < _CG_KIND_MAX ? cg_ops_of(h->kind) : NULL;

	if (!ops || !host_is_valid(h, h->kind))
		return -EINVAL;
	host.h = *h;
	host.ops = ops;
	return 0;
}

int vps_cgroup_host_get(struct vps_cgroup_host *ret)
{
	int r = cg_host_need();

	if (r < 0)
		return r;
	*ret = host.h;
	return 0;
}

const struct cg_ops *cg_host_ops(void)
{
	return host.ops;
}

bool cg_host_known(void)
{
	return host.ops != NULL;
}

void cg_host_probe_with(int (*probe)(void))
{
	host.probe = probe;
}

int cg_host_need(void)
{
	if (host.ops)
		return 0;
	return host.probe ? host.probe() : -ENXIO;
}

const char *cg_host_mount(enum cg_ctrl c)
{
	return host.h.mount[c];
}

enum vps_cgroup_backend vps_cgroup_backend(void)
{
	(void)cg_host_need(); /* on failure nothing can make a group anyway */
	return host.ops ? host.ops->backend : VPS_CGROUP_V1;
}

/* "" or "/a/b": absolute, no empty, "." or ".." component; a trailing "/" is dropped. */
static int normalize_parent(const char *p, char **ret)
{
	_cleanup_free_ char *s = NULL;
	size_t n;

	if (!p || (p[0] != '\0' && p[0] != '/'))
		return -EINVAL;
	s = strdup(p);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	if (n >= PATH_MAX / 2 || strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../"))
		return -EINVAL;
	if ((n >= 2 && strcmp(s + n - 2, "/.") == 0) || (n >= 3 && strcmp(s + n - 3, "/..") == 0))
		return -EINVAL;
	*ret = TAKE_PTR(s);
	return 0;
}

static bool group_name_is_valid(const char *name)
{
	return name && name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0 && strlen(name) < NAME_MAX;
}

static void add_hier(struct vps_cgroup *cg, enum cg_ctrl c, const char *mount)
{
	for (size_t i = 0; i < cg->n_hier; i++)
		if (strcmp(cg->hier[i].mount, mount) == 0) {
			cg->hier[i].ctrls |= 1u << c;
			return;
		}
	cg->hier[cg->n_hier].mount = strdup(mount);
	cg->hier[cg->n_hier++].ctrls = 1u << c;
}

int vps_cgroup_new(const char *parent, const char *name, struct vps_cgroup **ret)
{
	struct vps_cgroup *cg;
	int r;

	if (!group_name_is_valid(name))
		return -EINVAL;
	r = cg_host_need();
	if (r < 0)
		return r;
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	cg->ops = host.ops;
	cg->backend = host.ops->backend;
	cg->tree_parent_fd = -EBADF;
	for (int c = 0; c < _CG_CTRL_MAX; c++)
		cg->parent_fd[c] = -EBADF;
	r = normalize_parent(parent, &cg->parent);
	cg->name = strdup(name);
	if (r == 0 && !cg->name)
		r = -ENOMEM;
	for (int c = 0; r == 0 && c < _CG_CTRL_MAX; c++)
		if (host.h.mount[c][0])
			add_hier(cg, c, host.h.mount[c]);
	for (size_t i = 0; r == 0 && i < cg->n_hier; i++)
		if (!cg->hier[i].mount)
			r = -ENOMEM;
	if (r < 0) {
		vps_cgroup_free(cg);
		return r;
	}
	*ret = cg;
	return 0;
}

struct vps_cgroup *vps_cgroup_free(struct vps_cgroup *cg)
{
	if (!cg)
		return NULL;
	for (size_t i = 0; i < cg->n_hier; i++)
		free(cg->hier[i].mount);
	free(cg->parent);
	free(cg->name);
	free(cg);
	return NULL;
}

const struct cg_hier *cg_hier_of(const struct vps_cgroup *cg, enum cg_ctrl c)
{
	for (size_t i = 0; i < cg->n_hier; i++)
		if (cg->hier[i].ctrls & (1u << c))
			return &cg->hier[i];
	return NULL;
}

int cg_group_path(const struct vps_cgroup *cg, const struct cg_hier *h, bool parent_only, char *buf,
                  size_t len)
{
	int n;

	if (parent_only)
		n = snprintf(buf, len, "%s%s", h->mount, cg->parent);
	else
		n = snprintf(buf, len, "%s%s/%s", h->mount, cg->parent, cg->name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cg_group_at(const struct vps_cgroup *cg, const struct cg_hier *h, const char *file, char *buf,
                size_t len, int *ret_dfd)
{
	int pfd = cg->parent_fd[h - cg->hier], n, r;

	*ret_dfd = AT_FDCWD;
	if (pfd >= 0) {
		n = snprintf(buf, len, "%s%s%s", cg->name, file ? "/" : "", file ? file : "");
		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		*ret_dfd = pfd;
		return 0;
	}
	r = cg_group_path(cg, h, false, buf, len);
	if (r < 0 || !file)
		return r;
	n = (int)strlen(buf);
	if (snprintf(buf + n, len - (size_t)n, "/%s", file) >= (int)(len - (size_t)n))
		return -ENAMETOOLONG;
	return 0;
}

int cg_group_open(const struct vps_cgroup *cg, const struct cg_hier *h, int flags)
{
	char path[PATH_MAX];
	int dfd, fd, r = cg_group_at(cg, h, NULL, path, sizeof(path), &dfd);

	if (r < 0)
		return r;
	fd = openat(dfd, path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

enum cg_ctrl cg_primary_ctrl(const struct vps_cgroup *cg)
{
	if (cg->backend == VPS_CGROUP_V1 && cg_hier_of(cg, CG_FREEZER))
		return CG_FREEZER;
	return CG_MEMORY;
}

void cg_dirs_close(struct cg_dirs *d)
{
	for (int c = 0; c < _CG_CTRL_MAX; c++)
		if (d->fd[c] >= 0) {
			close(d->fd[c]);
			d->fd[c] = -EBADF;
		}
}

/* Strict: a group missing from one of the mounted hierarchies is a broken group. */
int cg_dirs_open(const struct vps_cgroup *cg, struct cg_dirs *ret)
{
	for (int c = 0; c < _CG_CTRL_MAX; c++)
		ret->fd[c] = -EBADF;
	for (int c = 0; c < _CG_CTRL_MAX; c++) {
		const struct cg_hier *h = cg_hier_of(cg, c);
		int r;

		if (!h)
			continue;
		r = cg_group_open(cg, h, O_RDONLY | O_DIRECTORY);
		if (r < 0) {
			cg_dirs_close(ret);
			return r;
		}
		ret->fd[c] = r;
	}
	return 0;
}

static int probe_parent_cpus(const struct cg_dirs *d, struct cg_features *f)
{
	_cleanup_close_ int pfd = -EBADF;
	_cleanup_free_ char *cpus = NULL;
	int r;

	pfd = openat(d->fd[CG_CPUSET], "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	r = cg_read_string(pfd, "cpuset.cpus", &cpus);
	if (r < 0)
		return r;
	if (strlen(cpus) >= sizeof(f->parent_cpus))
		return -E2BIG;
	snprintf(f->parent_cpus, sizeof(f->parent_cpus), "%s", cpus);
	return 0;
}

int cg_features_probe(const struct vps_cgroup *cg, const struct cg_dirs *d, struct cg_features *ret)
{
	bool v2 = cg->backend == VPS_CGROUP_V2;
	int io = d->fd[CG_IO];

	*ret = (struct cg_features){.backend = cg->backend};
	if (!cg_has_file(d->fd[CG_CPU], v2 ? "cpu.max" : "cpu.cfs_quota_us") ||
	    !cg_has_file(d->fd[CG_MEMORY], v2 ? "memory.max" : "memory.limit_in_bytes"))
		return -EOPNOTSUPP;
	ret->burst = cg_has_file(d->fd[CG_CPU], v2 ? "cpu.max.burst" : "cpu.cfs_burst_us");
	ret->swap = cg_has_file(d->fd[CG_MEMORY],
	                        v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
	ret->pids = cg_has_file(d->fd[CG_PIDS], "pids.max");
	ret->cpuset = cg_has_file(d->fd[CG_CPUSET], "cpuset.cpus");
	if (v2)
		ret->io_file = cg_has_file(io, "io.weight") ? "io.weight" : NULL;
	else if (cg_has_file(io, "blkio.weight"))
		ret->io_file = "blkio.weight";
	else if (cg_has_file(io, "blkio.bfq.weight"))
		ret->io_file = "blkio.bfq.weight";
	ret->io_throttle = cg_has_file(io, v2 ? "io.max" : "blkio.throttle.write_bps_device");
	if (!v2 && ret->cpuset)
		return probe_parent_cpus(d, ret);
	return 0;
}

bool vps_cgroup_exists(struct vps_cgroup *cg)
{
	const struct cg_hier *h = cg_hier_of(cg, cg_primary_ctrl(cg));
	char path[PATH_MAX];

	if (!h || cg_group_path(cg, h, false, path, sizeof(path)) < 0)
		return false;
	return access(path, F_OK) == 0;
}

int vps_cgroup_join_tasks(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (write(fds[i], "0", 1) != 1)
			return -errno;
	return 0;
}

void vps_cgroup_close_tasks(int *fds, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		closep(&fds[i]);
	*n = 0;
}

int vps_cgroup_attach(struct vps_cgroup *cg, pid_t pid)
{
	char val[16];

	if (pid < 0)
		return -EINVAL;
	if (pid == 0 && cg->backend == VPS_CGROUP_V1) {
		int fds[VPS_CGROUP_HIER_MAX];
		size_t n;
		int r = cg->ops->open_join(cg, fds, &n);

		if (r == 0)
			r = vps_cgroup_join_tasks(fds, n);
		vps_cgroup_close_tasks(fds, &n);
		return r;
	}
	snprintf(val, sizeof(val), "%d", (int)pid);
	for (size_t i = 0; i < cg->n_hier; i++) {
		_cleanup_close_ int fd = -EBADF;
		char path[PATH_MAX];
		int r;

		r = cg_group_path(cg, &cg->hier[i], false, path, sizeof(path));
		if (r < 0)
			return r;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		r = cg_write(fd, "cgroup.procs", val);
		if (r < 0)
			return r;
	}
	return 0;
}
