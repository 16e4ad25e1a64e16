/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parent directories of many groups, opened once: `vpsctl list` reads a dozen cgroup files
 * of every VPS, and each open by its full path walked /sys/fs/cgroup/CTRL/PARENT again. The
 * caller owns the directories and hands them to each group (vps_cgroup_new_at), which opens
 * NAME/FILE relative to them. A parent removed and made again while they are open is read
 * through the old directory: its groups then read as gone, so this is for short-lived readers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cg-internal.h"

struct vps_cgroup_parent {
	struct vps_cgroup *cg; /* a group in it, for the parent path and the hierarchies */
	int fd[_CG_CTRL_MAX];  /* per hierarchy, as cg->hier */
	int tree_fd;
};

struct vps_cgroup_parent *vps_cgroup_parent_free(struct vps_cgroup_parent *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < _CG_CTRL_MAX; i++)
		closep(&p->fd[i]);
	closep(&p->tree_fd);
	vps_cgroup_free(p->cg);
	free(p);
	return NULL;
}

int vps_cgroup_parent_open(const char *parent, struct vps_cgroup_parent **ret)
{
	struct vps_cgroup_parent *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->tree_fd = -EBADF;
	for (size_t i = 0; i < _CG_CTRL_MAX; i++)
		p->fd[i] = -EBADF;
	r = vps_cgroup_new(parent, "parent", &p->cg);
	if (r < 0) {
		vps_cgroup_parent_free(p);
		return r;
	}
	/* a directory that cannot be opened stays -EBADF: its groups are opened by the full
	 * path, which then fails as it would without this */
	for (size_t i = 0; i < p->cg->n_hier; i++) {
		char path[PATH_MAX];

		if (cg_group_path(p->cg, &p->cg->hier[i], true, path, sizeof(path)) == 0)
			p->fd[i] = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (p->fd[i] < 0)
			p->fd[i] = -EBADF;
	}
	/* only a hybrid host reads the tree; elsewhere there is none, or it is unused */
	r = cg_tree_parent_open(p->cg);
	p->tree_fd = r < 0 ? -EBADF : r;
	*ret = p;
	return 0;
}

int vps_cgroup_new_at(const struct vps_cgroup_parent *p, const char *name, struct vps_cgroup **ret)
{
	struct vps_cgroup *cg;
	int r = vps_cgroup_new(p->cg->parent, name, &cg);

	if (r < 0)
		return r;
	/* same host, same hierarchies in the same order as p->cg */
	for (size_t i = 0; i < cg->n_hier && i < p->cg->n_hier; i++)
		cg->parent_fd[i] = p->fd[i];
	cg->tree_parent_fd = p->tree_fd;
	*ret = cg;
	return 0;
}
