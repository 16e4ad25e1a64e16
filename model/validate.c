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
                   const struct node_config *node, struct vps_error *err)
{
	struct vps_error e = VPS_ERROR_INIT;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char path[PATH_MAX];
	const char *key;
	int r = vps_config_check(cfg, cpus > 0 ? (unsigned)cpus : 1, NULL, &key, &e);

	if (r < 0) {
		if (vps_path(p, cfg->name, "vps.conf", path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "vps.conf");
		vps_error_set(err, r, "%s: %s", path, vps_error_message(&e, r));
		return r;
	}
	r = vps_idmap_check(p, node, cfg, err);
	if (r == 0)
		r = vps_addresses_claim(p, cfg, node, err);
	return r;
}
