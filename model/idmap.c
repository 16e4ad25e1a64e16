/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fileio.h"
#include "idmap.h"
#include "lock.h"
#include "parse.h"

/* The id range a VPS holds: its UID_BASE if it runs in a user namespace, and also that of a
 * vps.conf that does not load (its files may be owned by the range). 0: none. */
static uint64_t range_of(const struct vps_paths *p, const struct node_config *node,
                         const char *name)
{
	struct vps_config c;
	int r = vps_config_load(p, name, node, &c, NULL);

	if (r == -ENOENT || (r == 0 && !c.userns))
		return 0;
	return c.uid_base;
}

/* Calls fn for every VPS but skip that holds a range, until fn returns non-zero. */
static int for_each_range(const struct vps_paths *p, const struct node_config *node,
                          const char *skip, int (*fn)(const char *name, uint64_t base, void *u),
                          void *u)
{
	_cleanup_closedir_ DIR *d = opendir(p->vps_base);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		uint64_t base;
		int r;

		if (!name_is_valid(de->d_name) || (skip && strcmp(de->d_name, skip) == 0))
			continue;
		base = range_of(p, node, de->d_name);
		if (base == 0)
			continue;
		r = fn(de->d_name, base, u);
		if (r != 0)
			return r;
	}
	return 0;
}

struct bases {
	uint64_t *v;
	size_t n;
};

static int add_base(const char *name, uint64_t base, void *u)
{
	struct bases *b = u;
	uint64_t *nv = realloc(b->v, (b->n + 1) * sizeof(*b->v));

	(void)name;
	if (!nv)
		return -ENOMEM;
	b->v = nv;
	b->v[b->n++] = base;
	return 0;
}

/* UID_BASE of every VPS that has one. */
static int used_bases(const struct vps_paths *p, const struct node_config *node, uint64_t **ret,
                      size_t *ret_n)
{
	struct bases b = {0};
	int r = for_each_range(p, node, NULL, add_base, &b);

	if (r < 0) {
		free(b.v);
		return r;
	}
	*ret = b.v;
	*ret_n = b.n;
	return 0;
}

struct overlap {
	uint64_t base;
	struct vps_error err; /* which VPS's range it overlaps */
};

static int check_overlap(const char *name, uint64_t base, void *u)
{
	struct overlap *o = u;

	if (o->base + VPS_IDMAP_SIZE <= base || base + VPS_IDMAP_SIZE <= o->base)
		return 0;
	return vps_error_set(&o->err, -EEXIST,
	                     "UID_BASE %" PRIu64 " overlaps the ids of VPS '%s' (%" PRIu64
	                     "-%" PRIu64 ")",
	                     o->base, name, base, base + VPS_IDMAP_SIZE - 1);
}

int vps_idmap_check(const struct vps_paths *p, const struct node_config *node,
                    const struct vps_config *cfg, struct vps_error *err)
{
	struct overlap o = {cfg->uid_base, VPS_ERROR_INIT};
	char path[PATH_MAX];
	int r;

	if (!cfg->userns)
		return 0;
	r = for_each_range(p, node, cfg->name, check_overlap, &o);
	if (r == -EEXIST) {
		if (vps_path(p, cfg->name, "vps.conf", path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "vps.conf");
		vps_error_set(err, r, "%s: %s", path, o.err.msg);
	} else if (r < 0) {
		vps_error_errno(err, r, "failed to read the other VPSes' id ranges");
	}
	return r;
}

int vps_idmap_allocate(const struct vps_paths *p, const struct node_config *node,
                       uint64_t *ret_base, int *ret_lock)
{
	_cleanup_free_ uint64_t *used = NULL;
	_cleanup_close_ int lock = vps_lock(p, ".idmap", (unsigned)node->lock_timeout);
	size_t n = 0;
	int r;

	if (lock < 0)
		return lock;
	r = used_bases(p, node, &used, &n);
	if (r < 0)
		return r;
	r = vps_idmap_pick(node->uid_base_start, (uint64_t)UINT32_MAX, used, n, ret_base);
	if (r < 0)
		return r;
	*ret_lock = TAKE_FD(lock);
	return 0;
}

int vps_idmap_keep(const struct vps_paths *p, const struct node_config *node,
                   const struct vps_config *cfg, int *ret_lock, struct vps_error *err)
{
	_cleanup_close_ int lock = vps_lock(p, ".idmap", (unsigned)node->lock_timeout);
	int r;

	if (lock < 0)
		return vps_error_errno(err, lock, "failed to lock the node's id ranges");
	if (cfg->uid_base < node->uid_base_start ||
	    cfg->uid_base + VPS_IDMAP_SIZE - 1 > (uint64_t)UINT32_MAX)
		return vps_error_set(err, -ERANGE,
		                     "its ids (UID_BASE %" PRIu64 ") are outside this node's "
		                     "user-namespace ranges (from %" PRIu64 ")",
		                     cfg->uid_base, node->uid_base_start);
	{
		struct overlap o = {cfg->uid_base, VPS_ERROR_INIT};

		r = for_each_range(p, node, cfg->name, check_overlap, &o);
		if (r == -EEXIST)
			return vps_error_set(err, r, "%s", o.err.msg);
		if (r < 0)
			return vps_error_errno(err, r, "failed to read the other VPSes' id ranges");
	}
	*ret_lock = TAKE_FD(lock);
	return 0;
}

int vps_idmap_write(pid_t pid, uint64_t inside, uint64_t base)
{
	static const char *const files[] = {"uid_map", "gid_map"};
	char path[64], map[64];

	snprintf(map, sizeof(map), "%" PRIu64 " %" PRIu64 " %u\n", inside, base, VPS_IDMAP_SIZE);
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		int r;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		r = write_string_at(AT_FDCWD, path, map);
		if (r < 0)
			return r;
	}
	return 0;
}
