/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The short freeze of a backup (backup.h): the files copied beside the VPS in two passes, the
 * second, frozen, copying only what changed since the first began. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "cleanup.h"
#include "fileio.h"
#include "tree-sync.h"

#define STAGE_DIR ".backup"

void vps_backup_unstage(int vpsdir)
{
	(void)rm_rf_at(vpsdir, STAGE_DIR);
}

void vps_backup_stage_free(struct vps_backup_stage *st)
{
	if (st->sync) {
		tree_sync_reset(st->sync);
		free(st->sync);
	}
	if (st->fd >= 0)
		close(st->fd);
	*st = (struct vps_backup_stage){.fd = -EBADF};
}

int vps_backup_stage_begin(int vpsdir, const struct vps_backup_source *src,
                           const struct vps_config *cfg, struct vps_backup_stage *ret,
                           struct vps_error *err)
{
	struct timespec now;
	int r;

	*ret = (struct vps_backup_stage){
		.fd = -EBADF, .top = cfg->storage == VPS_STORAGE_OVERLAY ? "upper" : "rootfs"};
	vps_backup_unstage(vpsdir); /* what a backup killed on the way left */
	ret->sync = calloc(1, sizeof(*ret->sync));
	if (!ret->sync)
		return vps_error_set(err, -ENOMEM, "out of memory");
	if (mkdirat(vpsdir, STAGE_DIR, 0700) < 0 ||
	    (ret->fd = openat(vpsdir, STAGE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
	            0)
		return vps_error_errno(err, -errno, "failed to make the staging directory");
	/* what changes from a second before (ctime is coarse) is copied again when frozen */
	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return vps_error_errno(err, -errno, "failed to read the clock");
	ret->sync->droot = ret->fd;
	r = tree_sync_at(src->fd, src->name, ret->fd, ret->top, ret->sync);
	ret->sync->since = (struct timespec){.tv_sec = now.tv_sec - 1, .tv_nsec = now.tv_nsec};
	if (r < 0)
		return vps_error_errno(err, r, "failed to copy its %s for the backup", ret->top);
	return 0;
}

int vps_backup_stage_finish(const struct vps_backup_source *src, struct vps_backup_stage *st,
                            struct vps_error *err)
{
	int r = tree_sync_at(src->fd, src->name, st->fd, st->top, st->sync);

	if (r < 0)
		return vps_error_errno(err, r, "failed to bring the copy of its %s up to date",
		                       st->top);
	return 0;
}
