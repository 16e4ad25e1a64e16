/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Choosing and making a new VPS's disk quota (disk.h): a project quota or an image, for copy
 * and overlay storage alike. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "disk.h"
#include "fileio.h"
#include "log.h"
#include "quota.h"
#include "storage-mount.h"

bool vps_disk_is_image(const struct vps_config *cfg)
{
	return cfg->disk && cfg->disk_quota == VPS_DISK_IMAGE;
}

/* An image is mounted through a loop device at every start: a node without them (no loop
 * module) would create VPSes that never start. Refused here, with what to do about it. */
static int loop_check(struct vps_error *err)
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

	if (ctl >= 0)
		return 0;
	return vps_error_errno(err, -errno,
	                       "the node has no project quotas and cannot mount a disk image "
	                       "(/dev/loop-control; 'modprobe loop'), so no disk quota can be "
	                       "made; --disk 0 (or DEFAULT_DISK=\"0\" in vpsctl.conf) creates "
	                       "one without");
}

int vps_disk_prepare(int dir_fd, struct vps_config *cfg, struct vps_error *err)
{
	int r;

	if (!cfg->disk)
		return 0;
	r = vps_quota_project_probe(dir_fd);
	log_debug("disk: project quotas on the VPS base: %s", r == 0 ? "yes" : strerror(-r));
	if (r < 0) {
		cfg->disk_quota = VPS_DISK_IMAGE;
		return loop_check(err);
	}
	cfg->disk_quota = VPS_DISK_PROJECT;
	return vps_quota_project_init(dir_fd, cfg->disk, vps_config_disk_inodes(cfg), err);
}

/* An overlay's upper and work moved into VPSDIR/disk, the tree the image is made of. */
static int stage_overlay(int dir_fd)
{
	static const char *const dirs[] = {"upper", "work"};
	char to[32];

	if (mkdirat(dir_fd, VPS_DISK_OVERLAY_DIR, 0755) < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(to, sizeof(to), "%s/%s", VPS_DISK_OVERLAY_DIR, dirs[i]);
		if (renameat(dir_fd, dirs[i], dir_fd, to) < 0)
			return -errno;
	}
	return 0;
}

int vps_disk_finish(int dir_fd, const char *dir, const struct vps_config *cfg, uid_t root_owner,
                    struct vps_error *err)
{
	int r;

	if (!vps_disk_is_image(cfg))
		return 0;
	if (!vps_storage_is_overlay(cfg))
		return vps_disk_create(dir_fd, "rootfs", cfg->disk, vps_config_disk_inodes(cfg),
		                       root_owner, err);
	r = stage_overlay(dir_fd);
	if (r < 0)
		return vps_error_errno(err, r, "failed to move the overlay layers for the image");
	r = vps_disk_create(dir_fd, VPS_DISK_OVERLAY_DIR, cfg->disk, vps_config_disk_inodes(cfg),
	                    root_owner, err);
	if (r < 0)
		return r;
	/* the mount point, as the VPS's root reaches it (its directory is 0710) */
	if (fchownat(dir_fd, VPS_DISK_OVERLAY_DIR, root_owner, root_owner, AT_SYMLINK_NOFOLLOW) < 0)
		return vps_error_errno(err, -errno, "failed to own the image's mount point");
	return 0;
}

int vps_disk_attach_overlay(const char *rootfs, int mnt_fd, struct vps_error *err)
{
	_cleanup_close_ int own = -EBADF;
	char to[PATH_MAX];
	int r;

	if (mnt_fd < 0) {
		r = vps_disk_mount_detached(rootfs, &own);
		if (r < 0)
			return vps_error_errno(err, r, "failed to mount the disk image");
		mnt_fd = own;
	}
	if (snprintf(to, sizeof(to), "%s/../%s", rootfs, VPS_DISK_OVERLAY_DIR) >= (int)sizeof(to))
		return vps_error_errno(err, -ENAMETOOLONG, "failed to attach the disk image");
	if (move_mount(mnt_fd, "", AT_FDCWD, to, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return vps_error_errno(err, -errno, "failed to attach the disk image");
	return 0;
}

static int open_dir(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	return TAKE_FD(fd);
}

int vps_disk_project_resize(const char *dir, const struct vps_config *cfg, struct vps_error *err)
{
	_cleanup_close_ int fd = open_dir(dir);

	if (fd < 0)
		return vps_error_errno(err, fd, "failed to open the VPS directory");
	return vps_quota_project_limit(fd, cfg->disk, vps_config_disk_inodes(cfg), err);
}

int vps_disk_use(const char *dir, const struct vps_config *cfg, pid_t init_pid,
                 struct vps_disk_use *ret)
{
	_cleanup_close_ int fd = -EBADF;
	struct vps_quota_use u;
	int r;

	*ret = (struct vps_disk_use){0};
	if (!cfg->disk)
		return -ENODATA;
	if (cfg->disk_quota == VPS_DISK_IMAGE)
		return init_pid > 0 ? vps_disk_usage(init_pid, &ret->bytes_limit, &ret->bytes_used,
		                                     &ret->inodes_limit, &ret->inodes_used)
		                    : -ESRCH;
	fd = open_dir(dir);
	if (fd < 0)
		return fd;
	r = vps_quota_project_usage(fd, &u);
	if (r < 0)
		return r;
	*ret = (struct vps_disk_use){u.bytes_used, u.bytes_limit, u.inodes_used, u.inodes_limit};
	return 0;
}

void vps_disk_forget(const char *dir, const struct vps_config *cfg)
{
	_cleanup_close_ int fd = -EBADF;

	if (!cfg->disk || cfg->disk_quota != VPS_DISK_PROJECT)
		return;
	fd = open_dir(dir);
	if (fd >= 0)
		(void)vps_quota_project_clear(fd);
}

int vps_disk_clone_prepare(int dir_fd, const struct vps_config *cfg, struct vps_error *err)
{
	if (!cfg->disk || cfg->disk_quota != VPS_DISK_PROJECT)
		return 0;
	return vps_quota_project_init(dir_fd, cfg->disk, vps_config_disk_inodes(cfg), err);
}
