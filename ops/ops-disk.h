/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --disk and --disk-inodes of create and resize (the disk quota, storage/disk.h). */
#pragma once

#include "config.h"
#include "error.h"

/* key (DISK or DISK_INODES) of cfg from a flag's value: a size (10G) or count, or 0/none for
 * no quota; unlimited is refused (0 says it). */
int ops_disk_set(struct vps_config *cfg, const char *key, const char *value, struct vps_error *err);
/* create: --disk, else the node's DEFAULT_DISK; --disk-inodes, else DEFAULT_DISK_INODES (with
 * a disk only). Either flag may be NULL. */
int ops_disk_create(const struct node_config *node, const char *disk, const char *inodes,
                    struct vps_config *cfg, struct vps_error *err);
