/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VPSes that start at node boot, in boot order. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "onboot.h"
#include "parse.h"

/* BOOT_ORDER first; the name breaks ties, so equal orders stay deterministic. */
static int onboot_cmp(const void *a, const void *b)
{
	const struct vps_onboot *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool starts_at_boot(const struct vps_paths *p, const struct node_config *node,
                           const char *name, vps_onboot_skip_fn skip, uint64_t *ret_order)
{
	struct vps_config cfg;
	struct vps_error err = VPS_ERROR_INIT;

	if (vps_config_load(p, name, node, &cfg, &err) < 0) {
		if (skip)
			skip(name, err.msg);
		return false;
	}
	*ret_order = cfg.boot_order;
	return cfg.onboot;
}

static int append(struct vps_onboot **v, size_t *n, size_t *cap, const char *name, uint64_t order)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct vps_onboot *nv = reallocarray(*v, c, sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[*n].order = order;
	snprintf((*v)[*n].name, sizeof((*v)->name), "%s", name);
	(*n)++;
	return 0;
}

int vps_onboot_list(const struct vps_paths *p, const struct node_config *node,
                    vps_onboot_skip_fn skip, struct vps_onboot **ret, size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = opendir(p->vps_base);
	_cleanup_free_ struct vps_onboot *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		uint64_t order = 0;

		/* Skips ".", "..", and the ".NAME.new" of a create that did not finish. */
		if (!name_is_valid(de->d_name) ||
		    !starts_at_boot(p, node, de->d_name, skip, &order))
			continue;
		r = append(&v, &n, &cap, de->d_name, order);
		if (r < 0)
			return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), onboot_cmp);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}
