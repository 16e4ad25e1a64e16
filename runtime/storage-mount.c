/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS-side half of storage, in the supervisor (kept apart from storage.c so that the
 * supervisor does not link the template code and libarchive).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "storage-mount.h"

static bool is_overlay(const struct vps_config *cfg)
{
	return strcmp(cfg->storage, "overlay") == 0;
}

/* The paths are given relative to VPSDIR (our cwd while mounting): overlayfs resolves them
 * against the mounting task's cwd, so no operator path with ',' or ':' can break the option
 * string, and "lower" is followed to the shared tree. */
static int mount_overlay(const char *rootfs)
{
	char dir[PATH_MAX];
	char *slash;
	int r = 0;

	if (snprintf(dir, sizeof(dir), "%s", rootfs) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || strcmp(slash, "/rootfs") != 0)
		return -EINVAL;
	*slash = '\0';
	if (chdir(dir[0] ? dir : "/") < 0)
		return -errno;
	if (mount("overlay", "rootfs", "overlay", 0,
		  "lowerdir=lower,upperdir=upper,workdir=work") < 0)
		r = -errno;
	if (chdir("/") < 0 && r == 0)
		r = -errno;
	return r;
}

int vps_storage_mount(const struct vps_config *cfg, const char *rootfs, const char **what)
{
	*what = "make the mount tree private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (!is_overlay(cfg))
		return 0;
	*what = "mount the overlay root filesystem";
	return mount_overlay(rootfs);
}
