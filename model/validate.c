/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addresses.h"
#include "cgroup.h"
#include "idmap.h"
#include "validate.h"

int vps_boot_check(const struct vps_paths *p, const struct vps_config *cfg,
		   const struct node_config *node, char *err, size_t errlen)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char path[PATH_MAX], why[512];
	const char *key;
	int r = vps_config_check(cfg, cpus > 0 ? (unsigned)cpus : 1, NULL, &key, why, sizeof(why));

	if (r < 0) {
		if (vps_path(p, cfg->name, "vps.conf", path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "vps.conf");
		snprintf(err, errlen, "%s: %s", path, why);
		return r;
	}
	r = vps_idmap_check(p, node, cfg, err, errlen);
	if (r == 0)
		r = vps_addresses_claim(p, cfg, node, err, errlen);
	return r;
}
