/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The three kinds of host behind one table each (cg_ops): v1 hierarchies, the hybrid host (v1
 * hierarchies for the limits, and a cgroup2 tree without controllers for the VPS's own view),
 * and the unified v2 hierarchy. The table is chosen once, with the host (cgroup.c); nothing
 * outside cgroup/ asks which it is. What every backend does alike (making the group, its
 * quota, the joins) is here, written once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cg-internal.h"
#include "devices-bpf.h"
#include "devices.h"
#include "fileio.h"
#include "log.h"

static int open_group_dir(const struct vps_cgroup *cg, enum cg_ctrl c, int flags)
{
	const struct cg_hier *h = cg_hier_of(cg, c);
	char path[PATH_MAX];
	int r, fd;

	if (!h)
		return -EOPNOTSUPP;
	r = cg_group_path(cg, h, false, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, flags | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	return fd;
}

/* v1: the child moves itself, through the `tasks` file of each hierarchy. */
static int v1_open_join(const struct vps_cgroup *cg, int fds[VPS_CGROUP_HIER_MAX], size_t *ret_n)
{
	*ret_n = 0;
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

static int v2_open_join(const struct vps_cgroup *cg, int fds[VPS_CGROUP_HIER_MAX], size_t *ret_n)
{
	*ret_n = 0; /* born in its group (open_clone) */
	return 0;
}

static int v1_open_clone(const struct vps_cgroup *cg, bool make, long long owner, int *ret_fd,
                         bool *ret_own_tree)
{
	*ret_fd = -EBADF;
	*ret_own_tree = false;
	return 0;
}

/* The VPS's cgroup2 tree, made with the group (the first boot) and opened on a reboot or for
 * an exec; a VPS started before there was one has none (then -EBADF). */
static int hybrid_open_clone(const struct vps_cgroup *cg, bool make, long long owner, int *ret_fd,
                             bool *ret_own_tree)
{
	int r = make ? cg_tree_make(cg, owner, ret_fd) : cg_tree_open(cg, ret_fd);

	*ret_own_tree = r == 0 && *ret_fd >= 0;
	return r;
}

/* The limited group itself, which init is born in. */
static int v2_open_clone(const struct vps_cgroup *cg, bool make, long long owner, int *ret_fd,
                         bool *ret_own_tree)
{
	int fd = open_group_dir(cg, CG_MEMORY, O_RDONLY);

	*ret_own_tree = false;
	*ret_fd = fd < 0 ? -EBADF : fd;
	return fd < 0 ? fd : 0;
}

static int v1_restrict_devices(const struct vps_cgroup *cg, pid_t pid)
{
	_cleanup_close_ int fd = open_group_dir(cg, CG_DEVICES, O_PATH);

	if (fd == -EOPNOTSUPP)
		return 0; /* no devices hierarchy: the nodev mounts alone (devices.h) */
	return fd < 0 ? fd : vps_devices_apply_at(fd);
}

static int v2_restrict_devices(const struct vps_cgroup *cg, pid_t pid)
{
	return vps_devices_bpf_restrict(pid, cg->name);
}

static int primary_frozen(const struct vps_cgroup *cg, bool *ret)
{
	return cg_primary_frozen(cg, ret);
}

/* Frozen through the v1 freezer or the VPS's cgroup2 tree: either stops its tasks. */
static int hybrid_frozen(const struct vps_cgroup *cg, bool *ret)
{
	int r = cg_primary_frozen(cg, ret);

	if (r < 0 || *ret)
		return r;
	return cg_tree_frozen(cg, ret);
}

static int hybrid_thaw(const struct vps_cgroup *cg)
{
	int r = cg_primary_thaw(cg), k = cg_tree_thaw(cg);

	return r < 0 ? r : k;
}

/* The tree goes too, with every group the VPS made in it; after the limited group, as before. */
static int hybrid_remove(const struct vps_cgroup *cg)
{
	int r = cg_group_remove(cg);

	(void)cg_tree_remove(cg);
	return r;
}

static int no_delegation(char *ret, size_t len)
{
	return -ENOENT;
}

static const struct cg_ops ops[_CG_KIND_MAX] = {
	[CG_KIND_V1] =
		{
			.backend = VPS_CGROUP_V1,
			.open_clone = v1_open_clone,
			.open_join = v1_open_join,
			.restrict_devices = v1_restrict_devices,
			.frozen = primary_frozen,
			.thaw = cg_primary_thaw,
			.remove = cg_group_remove,
			.delegated_parent = no_delegation,
		},
	[CG_KIND_HYBRID] =
		{
			.backend = VPS_CGROUP_V1,
			.open_clone = hybrid_open_clone,
			.open_join = v1_open_join,
			.restrict_devices = v1_restrict_devices,
			.frozen = hybrid_frozen,
			.thaw = hybrid_thaw,
			.remove = hybrid_remove,
			.delegated_parent = no_delegation,
		},
	[CG_KIND_V2] =
		{
			.backend = VPS_CGROUP_V2,
			.born_in_group = true,
			.open_clone = v2_open_clone,
			.open_join = v2_open_join,
			.restrict_devices = v2_restrict_devices,
			.frozen = primary_frozen,
			.thaw = cg_primary_thaw,
			.remove = cg_group_remove,
			.delegated_parent = cg_delegated_parent_v2,
		},
};

const struct cg_ops *cg_ops_of(enum cg_kind k)
{
	return k >= 0 && k < _CG_KIND_MAX ? &ops[k] : NULL;
}

/* The one place the spawn makes the group, on every backend (see born_in_group). */
static int spawn_make(struct vps_cgroup *cg, struct vps_cgroup_spawn *sp, struct vps_error *err)
{
	int r = cg_group_make(cg, err);

	if (r == 0)
		sp->make = false;
	return r;
}

int vps_cgroup_spawn_prepare(struct vps_cgroup *cg, const struct vps_quota *create, long long owner,
                             struct vps_cgroup_spawn *sp, struct vps_error *err)
{
	int r;

	*sp = (struct vps_cgroup_spawn)VPS_CGROUP_SPAWN_INIT;
	sp->limits = create;
	sp->make = create != NULL;
	if (sp->make && cg->ops->born_in_group) {
		r = spawn_make(cg, sp, err);
		if (r < 0)
			return r;
	}
	r = cg->ops->open_clone(cg, create != NULL, owner, &sp->clone_fd, &sp->own_tree);
	if (r < 0) {
		vps_error_errno(err, r, "cannot open it");
		vps_cgroup_spawn_done(sp);
	}
	return r;
}

int vps_cgroup_spawn_prepare_join(struct vps_cgroup *cg, struct vps_cgroup_spawn *sp)
{
	int r;

	*sp = (struct vps_cgroup_spawn)VPS_CGROUP_SPAWN_INIT;
	r = cg->ops->open_clone(cg, false, -1, &sp->clone_fd, &sp->own_tree);
	if (r == 0)
		r = cg->ops->open_join(cg, sp->join_fds, &sp->n_join);
	if (r < 0)
		vps_cgroup_spawn_done(sp);
	return r;
}

/* Writing "0" moves the writer itself, which also holds across pid namespaces. */
int vps_cgroup_spawn_attach(struct vps_cgroup_spawn *sp, pid_t pid)
{
	char spid[32];
	int r;

	if (sp->in_cgroup || sp->clone_fd < 0)
		return 0;
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	r = write_string_at(sp->clone_fd, "cgroup.procs", spid);
	if (r == 0)
		sp->in_cgroup = true;
	return r;
}

int vps_cgroup_spawn_limit(struct vps_cgroup *cg, struct vps_cgroup_spawn *sp,
                           struct vps_error *err)
{
	int r = 0;

	if (sp->make)
		r = spawn_make(cg, sp, err);
	if (r == 0 && sp->limits)
		r = cg_group_apply(cg, sp->limits, err);
	if (r == 0)
		r = cg->ops->open_join(cg, sp->join_fds, &sp->n_join);
	return r;
}

void vps_cgroup_spawn_done(struct vps_cgroup_spawn *sp)
{
	closep(&sp->clone_fd);
	vps_cgroup_close_tasks(sp->join_fds, &sp->n_join);
}

int vps_cgroup_restrict_devices(struct vps_cgroup *cg, pid_t pid)
{
	return cg->ops->restrict_devices(cg, pid);
}

int vps_cgroup_frozen(struct vps_cgroup *cg, bool *ret)
{
	*ret = false;
	return cg->ops->frozen(cg, ret);
}

int vps_cgroup_thaw(struct vps_cgroup *cg)
{
	return cg->ops->thaw(cg);
}

int vps_cgroup_remove(struct vps_cgroup *cg)
{
	return cg->ops->remove(cg);
}

int vps_cgroup_delegated_parent(char *ret, size_t len)
{
	int r = cg_host_need();

	return r < 0 ? r : cg_host_ops()->delegated_parent(ret, len);
}
