/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The short freeze of a backup (backup.h): the storage copied beside itself, to be archived
 * after the thaw. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "cleanup.h"
#include "fileio.h"
#include "storage-clone.h"
#include "tree-copy.h"

#define STAGE_DIR ".backup"

void vps_backup_unstage(int vpsdir)
{
	(void)rm_rf_at(vpsdir, STAGE_DIR);
}

int vps_backup_stage(int vpsdir, const struct vps_config *cfg, int *ret_fd, bool *ret_reflinked,
                     struct vps_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	const char *top = cfg->storage == VPS_STORAGE_OVERLAY ? "upper" : "rootfs";
	int r;

	*ret_reflinked = false;
	vps_backup_unstage(vpsdir); /* what a backup killed on the way left */
	if (mkdirat(vpsdir, STAGE_DIR, 0700) < 0 ||
	    (fd = openat(vpsdir, STAGE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return vps_error_errno(err, -errno, "failed to make the staging directory");
	r = tree_copy_at(vpsdir, top, fd, top, NULL);
	if (r == 0 && cfg->disk)
		r = vps_image_copy(vpsdir, "disk.img", fd, "disk.img", ret_reflinked);
	if (r < 0) {
		vps_backup_unstage(vpsdir);
		return vps_error_errno(err, r, "failed to copy its %s for the backup",
		                       cfg->disk ? "disk image" : top);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}
