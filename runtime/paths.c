/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "paths.h"

static int join(char *buf, size_t len, const char *a, const char *b, const char *c)
{
	int n = snprintf(buf, len, "%s%s%s%s%s", a, b ? "/" : "", b ? b : "", c ? "/" : "",
			 c ? c : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vps_paths_init(const char *root, struct vps_paths *ret)
{
	size_t n;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (root && *root) {
		if (root[0] != '/')
			return -EINVAL;
		n = strlen(root);
		while (n > 1 && root[n - 1] == '/')
			n--;
		if (n >= sizeof(ret->root) - 64)
			return -ENAMETOOLONG;
		if (!(n == 1 && root[0] == '/'))
			memcpy(ret->root, root, n);
	}
	r = join(ret->node_conf, sizeof(ret->node_conf), ret->root, "etc/vpsctl", "vpsctl.conf");
	if (r == 0)
		r = join(ret->vps_base, sizeof(ret->vps_base), ret->root, "var/lib/vpsctl", "vps");
	if (r == 0)
		r = join(ret->templates_dir, sizeof(ret->templates_dir), ret->root,
			 "var/lib/vpsctl", "templates");
	if (r == 0)
		r = join(ret->run_base, sizeof(ret->run_base), ret->root, "run", "vpsctl");
	return r;
}

int vps_path(const struct vps_paths *p, const char *name, const char *sub, char *buf, size_t len)
{
	char tmp[PATH_MAX];
	int r = join(tmp, sizeof(tmp), p->vps_base, name, NULL);

	return r < 0 ? r : join(buf, len, tmp, sub, NULL);
}

int vps_run_path(const struct vps_paths *p, const char *name, const char *sub, char *buf,
		 size_t len)
{
	char tmp[PATH_MAX];
	int r = join(tmp, sizeof(tmp), p->run_base, name, NULL);

	return r < 0 ? r : join(buf, len, tmp, sub, NULL);
}
