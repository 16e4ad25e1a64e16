/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host probe and the group handle. The backend is chosen by controller, not by whether
 * a hierarchy exists: v2 when the unified hierarchy offers cpu and memory, else v1 with the
 * per-controller hierarchies libcgroup finds (hybrid hosts mount a cgroup2 tree that holds
 * little or nothing, e.g. only hugetlb).
 */
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include <libcgroup.h>

#include "cg-internal.h"
#include "log.h"

_Static_assert(VPS_CGROUP_HIER_MAX >= _CG_CTRL_MAX, "a group spans at most one hierarchy per controller");

#define MOUNT_PATH_MAX 256

/* Written once, by host_probe on the first host_get of the process, and read-only afterwards:
 * the host's mounts do not change under a running vpsctl, and every handle copies what it
 * needs. Read only through host_get. */
static struct cg_host {
	int probed; /* 0: not yet; 1: done; -errno: the probe failed (not retried) */
	enum vps_cgroup_backend backend;
	/* "" = not mounted. Mount points are short; a small stride keeps this one page in the
	 * long-lived supervisor instead of eight. */
	char mount[_CG_CTRL_MAX][MOUNT_PATH_MAX];
} host;

static const char *const v1_names[_CG_CTRL_MAX] = {
        [CG_CPU] = "cpu",  [CG_CPUACCT] = "cpuacct", [CG_MEMORY] = "memory",   [CG_PIDS] = "pids",
        [CG_IO] = "blkio", [CG_CPUSET] = "cpuset",   [CG_FREEZER] = "freezer",
        [CG_DEVICES] = "devices",
};

static const char *const v2_names[_CG_CTRL_MAX] = {
        [CG_CPU] = "cpu", [CG_CPUACCT] = "cpu",   [CG_MEMORY] = "memory",   [CG_PIDS] = "pids",
        [CG_IO] = "io",   [CG_CPUSET] = "cpuset", [CG_FREEZER] = "freezer",
        [CG_DEVICES] = "devices",
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

/* cgroup2 at /sys/fs/cgroup (unified host) or /sys/fs/cgroup/unified (hybrid host). */
static bool probe_v2(void)
{
	static const char *const paths[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};

	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		_cleanup_close_ int fd = -EBADF;
		_cleanup_free_ char *ctrls = NULL;

		if (!is_fs(paths[i], CGROUP2_SUPER_MAGIC))
			continue;
		fd = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || cg_read_string(fd, "cgroup.controllers", &ctrls) < 0)
			continue;
		log_debug("cgroup: %s offers '%s'", paths[i], ctrls);
		if (!cg_word_in(ctrls, "cpu") || !cg_word_in(ctrls, "memory"))
			continue;
		for (int c = 0; c < _CG_CTRL_MAX; c++)
			snprintf(host.mount[c], MOUNT_PATH_MAX, "%s", paths[i]);
		return true;
	}
	return false;
}

/* libcgroup keeps ~2.4 MB of static tables; cgroup_init() dirties about 0.8 MB of them.
 * We use it only to find the mounts, so hand those pages back: in a supervisor that lives
 * as long as its VPS they would otherwise be most of its memory. libcgroup is never called
 * again in this process (its tables now read as "not initialized"). */
static int release_bss(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	if (!info->dlpi_name || !strstr(info->dlpi_name, "/libcgroup.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start, end;

		if (ph->p_type != PT_LOAD || ph->p_memsz <= ph->p_filesz)
			continue;
		start = info->dlpi_addr + ph->p_vaddr + ph->p_filesz;
		end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		start = (start + page - 1) & ~(page - 1);
		end &= ~(page - 1);
		if (end > start)
			(void)madvise((void *)start, end - start, MADV_DONTNEED);
	}
	return 1;
}

static int probe_v1(void)
{
	int r;

	r = cgroup_init();
	if (r != 0)
		return cg_libcgroup_to_errno(r, cgroup_get_last_errno());
	for (int c = 0; c < _CG_CTRL_MAX; c++) {
		_cleanup_free_ char *m = NULL;

		r = cgroup_get_subsys_mount_point(v1_names[c], &m);
		if (r != 0) {
			log_debug_errno(cg_libcgroup_to_errno(r, cgroup_get_last_errno()),
			                "cgroup: no v1 hierarchy for %s: %m", v1_names[c]);
			continue;
		}
		/* a controller bound to the cgroup2 tree is no use to the v1 backend */
		if (!is_fs(m, CGROUP_SUPER_MAGIC) || strlen(m) >= MOUNT_PATH_MAX)
			continue;
		snprintf(host.mount[c], MOUNT_PATH_MAX, "%s", m);
		log_debug("cgroup: v1 %s at %s", v1_names[c], m);
	}
	(void)dl_iterate_phdr(release_bss, NULL);
	if (!host.mount[CG_CPU][0] || !host.mount[CG_MEMORY][0])
		return -EOPNOTSUPP;
	return 0;
}

static int host_probe(void)
{
	int r;

	memset(&host, 0, sizeof(host));
	if (probe_v2()) {
		host.backend = VPS_CGROUP_V2;
		return 0;
	}
	r = probe_v1();
	if (r < 0)
		return r;
	host.backend = VPS_CGROUP_V1;
	return 0;
}

/* The probe's result, probed on the first call: NULL (and why, unless ret_err is NULL) on a
 * host without usable cgroups. */
static const struct cg_host *host_get(int *ret_err)
{
	if (host.probed == 0) {
		int r = host_probe();

		host.probed = r < 0 ? r : 1;
	}
	if (host.probed < 0) {
		if (ret_err)
			*ret_err = host.probed;
		return NULL;
	}
	return &host;
}

int vps_cgroup_init(void)
{
	int r = 0;

	return host_get(&r) ? 0 : r;
}

const char *cg_host_mount(enum cg_ctrl c)
{
	const struct cg_host *h = host_get(NULL);

	return h ? h->mount[c] : "";
}

enum vps_cgroup_backend vps_cgroup_backend(void)
{
	const struct cg_host *h = host_get(NULL);

	return h ? h->backend : VPS_CGROUP_V1; /* without cgroups nothing can make a group */
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
	const struct cg_host *h;
	struct vps_cgroup *cg;
	int r;

	if (!group_name_is_valid(name))
		return -EINVAL;
	h = host_get(&r);
	if (!h)
		return r;
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	cg->backend = h->backend;
	r = normalize_parent(parent, &cg->parent);
	cg->name = strdup(name);
	if (r == 0 && !cg->name)
		r = -ENOMEM;
	for (int c = 0; r == 0 && c < _CG_CTRL_MAX; c++)
		if (h->mount[c][0])
			add_hier(cg, c, h->mount[c]);
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
		char path[PATH_MAX];
		int r;

		if (!h)
			continue;
		r = cg_group_path(cg, h, false, path, sizeof(path));
		if (r < 0) {
			cg_dirs_close(ret);
			return r;
		}
		ret->fd[c] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ret->fd[c] < 0) {
			r = -errno;
			cg_dirs_close(ret);
			return r;
		}
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

/* Writing "0" moves the writer itself, which also holds across pid namespaces. */
int vps_cgroup_open_v2(struct vps_cgroup *cg)
{
	char path[PATH_MAX];
	int r, fd;

	if (cg->backend != VPS_CGROUP_V2 || cg->n_hier != 1)
		return -EOPNOTSUPP;
	r = cg_group_path(cg, &cg->hier[0], false, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

int vps_cgroup_open_devices(struct vps_cgroup *cg)
{
	const struct cg_hier *h = cg->backend == VPS_CGROUP_V1 ? cg_hier_of(cg, CG_DEVICES) : NULL;
	char path[PATH_MAX];
	int r, fd;

	if (!h)
		return -EOPNOTSUPP;
	r = cg_group_path(cg, h, false, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	return fd;
}

int vps_cgroup_open_tasks(struct vps_cgroup *cg, int fds[VPS_CGROUP_HIER_MAX], size_t *ret_n)
{
	*ret_n = 0;
	if (cg->backend != VPS_CGROUP_V1)
		return 0;
	for (size_t i = 0; i < cg->n_hier; i++) {
		char path[PATH_MAX];
		int r = cg_group_path(cg, &cg->hier[i], false, path, sizeof(path));

		if (r == 0 && strlen(path) + sizeof("/tasks") > sizeof(path))
			r = -ENAMETOOLONG;
		if (r == 0) {
			strcat(path, "/tasks");
			fds[*ret_n] = open(path, O_WRONLY | O_CLOEXEC);
			if (fds[*ret_n] < 0)
				r = log_debug_errno(-errno, "cgroup: open %s: %m", path);
		}
		if (r < 0) {
			vps_cgroup_close_tasks(fds, ret_n);
			return r;
		}
		(*ret_n)++;
	}
	return 0;
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
		int r = vps_cgroup_open_tasks(cg, fds, &n);

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
