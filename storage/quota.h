/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VPS's disk quota as a project quota (DISK_QUOTA=project): where the node's file system is
 * ext4 with the project feature mounted prjquota, or XFS with prjquota, VPSDIR carries a
 * project id (its own inode number, unique on that file system while the VPS exists) with the
 * inherit flag, so everything made below it (copy's rootfs, overlay's upper and work) counts
 * against the limits set with quotactl. A tenant in a user namespace cannot change a project
 * id (the kernel allows that from the initial user namespace only), and statfs of a directory
 * with the inherit flag reports the project's limits, so df inside shows the quota.
 */
#pragma once

#include <stdint.h>

#include "error.h"

struct vps_quota_use {
	uint64_t bytes_used, bytes_limit;
	uint64_t inodes_used, inodes_limit;
};

/* 0 when the file system holding dir_fd enforces project quotas; -EOPNOTSUPP (not ext4/XFS,
 * no project ids), -ESRCH (project quotas not on, or only accounted: ext4's quota feature
 * without the prjquota mount option), or another -errno otherwise. */
int vps_quota_project_probe(int dir_fd);
/* Gives dir_fd (still empty) a project id of its own, inherited by what is made below it,
 * and those limits. */
int vps_quota_project_init(int dir_fd, uint64_t bytes, uint64_t inodes, struct vps_error *err);
/* New limits for dir_fd's project; a limit below what the VPS uses now is refused. */
int vps_quota_project_limit(int dir_fd, uint64_t bytes, uint64_t inodes, struct vps_error *err);
/* Its use and limits (running or not). */
int vps_quota_project_usage(int dir_fd, struct vps_quota_use *ret);
/* At destroy: the project's limits dropped (its id may be another directory's next). */
int vps_quota_project_clear(int dir_fd);
