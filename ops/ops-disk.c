/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "ops-disk.h"
#include "conf.h"
#include "parse.h"

#define MIN_DISK (16ULL << 20) /* disk.c's: an image below it holds no tree */

int ops_disk_set(struct vps_config *cfg, const char *key, const char *value, struct vps_error *err)
{
	const char *flag = strcmp(key, "DISK") == 0 ? "--disk" : "--disk-inodes";
	uint64_t *field = strcmp(key, "DISK") == 0 ? &cfg->disk : &cfg->disk_inodes;

	if (strcmp(value, "none") == 0)
		value = "0";
	if (conf_set(vps_config_keys, vps_config_keys_n, cfg, key, value) < 0)
		return vps_error_set(err, -EINVAL, "invalid %s '%.64s': %s, or 0 (none)", flag,
		                     value, field == &cfg->disk ? "a size like 10G" : "a count");
	if (*field == VALUE_UNLIMITED)
		return vps_error_set(err, -EINVAL,
		                     "%s cannot be unlimited: 0 (or none) means no disk quota",
		                     flag);
	if (field == &cfg->disk && cfg->disk && cfg->disk < MIN_DISK)
		return vps_error_set(err, -EINVAL, "--disk must be at least 16M (or 0 for none)");
	return 0;
}

int ops_disk_create(const struct node_config *node, const char *disk, const char *inodes,
                    struct vps_config *cfg, struct vps_error *err)
{
	int r;

	cfg->disk = node->default_disk;
	cfg->disk_inodes = 0;
	if (disk && (r = ops_disk_set(cfg, "DISK", disk, err)) < 0)
		return r;
	if (inodes) {
		if (!cfg->disk)
			return vps_error_set(err, -EINVAL,
			                     "--disk-inodes needs a disk quota (--disk is 0)");
		return ops_disk_set(cfg, "DISK_INODES", inodes, err);
	}
	if (cfg->disk)
		cfg->disk_inodes = node->default_disk_inodes;
	/* shown as such in status; vps_disk_prepare picks image or project for a disk */
	cfg->disk_quota = cfg->disk ? VPS_DISK_IMAGE : VPS_DISK_NONE;
	return 0;
}
