/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "idmap.h"
#include "lock.h"
#include "parse.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

bool vps_idmap_base_valid(uint64_t base)
{
	return base >= VPS_IDMAP_SIZE && base + VPS_IDMAP_SIZE <= UINT32_MAX &&
	       (base + VPS_IDMAP_SIZE <= VPS_IDMAP_TEMPLATE_BASE ||
		base >= (uint64_t)VPS_IDMAP_TEMPLATE_BASE + VPS_IDMAP_SIZE);
}

int vps_idmap_pick(uint64_t start, uint64_t limit, const uint64_t *used, size_t n,
		   uint64_t *ret_base)
{
	_cleanup_free_ uint64_t *sorted = malloc((n + 1) * sizeof(*sorted));
	uint64_t base = start < VPS_IDMAP_SIZE ? VPS_IDMAP_SIZE : start;

	if (!sorted)
		return -ENOMEM;
	if (n)
		memcpy(sorted, used, n * sizeof(*sorted));
	/* the template block counts as taken */
	sorted[n++] = VPS_IDMAP_TEMPLATE_BASE;
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	/* First fit: walk the used blocks in order and take the first gap that holds one. */
	for (size_t i = 0; i < n; i++) {
		if (sorted[i] + VPS_IDMAP_SIZE <= base)
			continue;
		if (sorted[i] >= base + VPS_IDMAP_SIZE)
			break;
		base = sorted[i] + VPS_IDMAP_SIZE;
	}
	if (base + VPS_IDMAP_SIZE > limit)
		return -ENOSPC;
	*ret_base = base;
	return 0;
}

/* UID_BASE of every VPS that has one. */
static int used_bases(const struct vps_paths *p, const struct node_config *node, uint64_t **ret,
		      size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = opendir(p->vps_base);
	_cleanup_free_ uint64_t *v = NULL;
	size_t n = 0;
	struct dirent *de;

	if (!d && errno != ENOENT)
		return -errno;
	while (d && (de = readdir(d))) {
		struct vps_config c;
		char err[256];
		uint64_t *nv;

		if (!name_is_valid(de->d_name) ||
		    vps_config_load(p, de->d_name, node, &c, err, sizeof(err)) < 0 || !c.userns)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			return -ENOMEM;
		v = nv;
		v[n++] = c.uid_base;
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
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
