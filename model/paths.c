/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "paths.h"
#include "vpsctl-build.h"

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

int vps_libexec_path(const char *prog, char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/%s", exe, prog);
			if (access(buf, X_OK) == 0)
				return 0;
		}
	}
	snprintf(buf, len, "%s/%s", LIBEXEC_DIR, prog);
	return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}
