/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS-side half of storage, in the supervisor (kept apart from storage.c so that the
 * supervisor does not link the template code and libarchive).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cleanup.h"
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

bool vps_storage_idmapped(const struct vps_config *cfg)
{
	return is_overlay(cfg) && cfg->userns;
}

/* VPSDIR from VPSDIR/rootfs. */
static int vps_dir(const char *rootfs, char *buf, size_t len)
{
	char *slash;

	if (snprintf(buf, len, "%s", rootfs) >= (int)len)
		return -ENAMETOOLONG;
	slash = strrchr(buf, '/');
	if (!slash || strcmp(slash, "/rootfs") != 0)
		return -EINVAL;
	*slash = '\0';
	return 0;
}

int vps_storage_idmapped_lower(const char *rootfs, pid_t pid, int *ret_fd)
{
	_cleanup_close_ int tree = -EBADF, userns = -EBADF;
	char dir[PATH_MAX], path[PATH_MAX + 8];
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY};
	int r = vps_dir(rootfs, dir, sizeof(dir));

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/lower", dir);
	tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	userns = open(path, O_RDONLY | O_CLOEXEC);
	if (userns < 0)
		return -errno;
	attr.userns_fd = (uint64_t)userns;
	/* The shared tree's on-disk ids 0..65535 show as the VPS's own range through it. */
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	*ret_fd = TAKE_FD(tree);
	return 0;
}

int vps_storage_open_dir(const char *rootfs, int *ret_fd)
{
	char dir[PATH_MAX];
	int r = vps_dir(rootfs, dir, sizeof(dir)), fd;

	if (r < 0)
		return r;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int vps_storage_mount_idmapped(int dir_fd, int lower_fd, int *ret_rootfd, const char **what)
{
	int fd;

	/* As the VPS's root, so overlayfs copies up with ids the upper layer's owner has. */
	*what = "enter the VPS directory";
	if (fchdir(dir_fd) < 0)
		return -errno;
	*what = "attach the id-mapped template tree";
	if (move_mount(lower_fd, "", AT_FDCWD, "lowermap", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	*what = "mount the overlay root filesystem";
	if (mount("overlay", "rootfs", "overlay", 0,
		  "lowerdir=lowermap,upperdir=upper,workdir=work,userxattr") < 0)
		return -errno;
	fd = open("rootfs", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	*ret_rootfd = fd;
	return chdir("/") < 0 ? -errno : 0;
}

int vps_storage_mount(const struct vps_config *cfg, const char *rootfs, const char **what)
{
	*what = "make the mount tree private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	/* an id-mapped overlay is mounted later, as the VPS's root (vps_storage_mount_idmapped) */
	if (!is_overlay(cfg) || vps_storage_idmapped(cfg))
		return 0;
	*what = "mount the overlay root filesystem";
	return mount_overlay(rootfs);
}
