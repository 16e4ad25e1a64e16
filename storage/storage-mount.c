/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS-side half of storage, in the supervisor (kept apart from storage.c so that the
 * supervisor does not link the template code and libarchive).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "idmap.h"
#include "storage-mount.h"

bool vps_storage_is_overlay(const struct vps_config *cfg)
{
	return cfg->storage == VPS_STORAGE_OVERLAY;
}

bool vps_storage_idmapped(const struct vps_config *cfg)
{
	return vps_storage_is_overlay(cfg);
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

/* A user namespace that maps the template block onto base.., held only as an fd: a child is
 * born in it, waits until its maps are written and its namespace is open, and exits. */
static int template_userns(uint64_t base, int *ret_fd)
{
	char path[64];
	int p[2], r, fd = -EBADF, status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* fork-like (no CLONE_VM): the child only reads and exits */
	pid = (pid_t)syscall(SYS_clone, SIGCHLD | CLONE_NEWUSER, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		char c;

		close(p[1]);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	r = pid < 0 ? -errno : vps_idmap_write(pid, VPS_IDMAP_TEMPLATE_BASE, base);
	close(p[0]);
	if (r == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = -errno;
	}
	close(p[1]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	*ret_fd = fd;
	return 0;
}

/* The tree is the template block's, so never one unpacked unshifted (by an older vpsctl). */
static int check_shifted(int tree)
{
	struct stat st;

	if (fstat(tree, &st) < 0)
		return -errno;
	if (st.st_uid < VPS_IDMAP_TEMPLATE_BASE ||
	    st.st_uid - VPS_IDMAP_TEMPLATE_BASE >= VPS_IDMAP_SIZE)
		return -EUCLEAN;
	return 0;
}

int vps_storage_idmapped_lower(const char *rootfs, const struct vps_config *cfg, int *ret_fd)
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
	r = check_shifted(tree);
	if (r < 0)
		return r;
	r = template_userns(cfg->userns ? cfg->uid_base : 0, &userns);
	if (r < 0)
		return r;
	attr.userns_fd = (uint64_t)userns;
	/* The shared tree's template-block ids show as the VPS's own range through it. */
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

int vps_storage_mount_idmapped(int dir_fd, int lower_fd, bool userns, bool on_disk, int *ret_rootfd,
                               struct vps_error *err)
{
	char opts[128];
	int fd;

	/* As the VPS's root (user namespace), so overlayfs copies up with ids the upper layer's
	 * owner has; a user namespace has no trusted.* xattrs, hence userxattr there only (a
	 * privileged VPS's upper layer has always had trusted.overlay.*). */
	if (fchdir(dir_fd) < 0)
		return vps_error_errno(err, -errno, "failed to enter the VPS directory");
	if (move_mount(lower_fd, "", AT_FDCWD, "lowermap", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return vps_error_errno(err, -errno, "failed to attach the id-mapped template tree");
	/* on_disk: the layers are in the disk image attached on disk/ (overlay-image.c) */
	snprintf(opts, sizeof(opts), "lowerdir=lowermap,upperdir=%s,workdir=%s%s",
	         on_disk ? "disk/upper" : "upper", on_disk ? "disk/work" : "work",
	         userns ? ",userxattr" : "");
	if (mount("overlay", "rootfs", "overlay", 0, opts) < 0)
		return vps_error_errno(err, -errno, "failed to mount the overlay root filesystem");
	fd = open("rootfs", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vps_error_errno(err, -errno, "failed to mount the overlay root filesystem");
	*ret_rootfd = fd;
	return vps_error_check(err, chdir("/") < 0 ? -errno : 0,
	                       "failed to mount the overlay root filesystem");
}

int vps_storage_mount_private(struct vps_error *err)
{
	/* an overlay is mounted later, id-mapped (vps_storage_mount_idmapped) */
	return vps_error_check(err,
	                       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? -errno : 0,
	                       "failed to make the mount tree private");
}
