/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a backup reads a VPS's files (backup.h): its directory, or its disk image's mount. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "backup.h"
#include "disk.h"

int vps_backup_source_open(int vpsdir, const char *dir, const struct vps_config *cfg,
                           struct vps_backup_source *ret, struct vps_error *err)
{
	bool overlay = cfg->storage == VPS_STORAGE_OVERLAY;
	char rootfs[PATH_MAX];
	int r;

	*ret = (struct vps_backup_source){
		.fd = vpsdir, .mnt = -EBADF, .name = overlay ? "upper" : "rootfs"};
	if (!vps_disk_is_image(cfg))
		return 0;
	/* attached (running, or suspended): its super block again, never a second loop device
	 * over the same file, which would be two file systems writing one image */
	r = vps_disk_mount_running(dir, &ret->mnt);
	if (r == -ENODEV) {
		if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
			return vps_error_errno(err, -ENAMETOOLONG,
			                       "failed to mount its disk image");
		r = vps_disk_mount_detached(rootfs, &ret->mnt);
	}
	if (r < 0)
		return vps_error_errno(err, r, "failed to mount its disk image to read it");
	ret->fd = ret->mnt;
	/* copy: the image is the root file system; overlay: it holds upper and work */
	ret->name = overlay ? "upper" : ".";
	return 0;
}

void vps_backup_source_close(struct vps_backup_source *s)
{
	if (s->mnt >= 0)
		close(s->mnt);
	s->mnt = -EBADF;
}
