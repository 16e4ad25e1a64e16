/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "snapshot.h"
#include "storage-clone.h"
#include "storage-mount.h"
#include "tree-copy.h"

#define SNAP_DIR     "snapshots"
#define ROLLBACK_TMP ".rollback"

static const char *const entries[] = {
	[VPS_SNAPSHOT_ROOTFS] = "rootfs",
	[VPS_SNAPSHOT_UPPER] = "upper",
	[VPS_SNAPSHOT_IMAGE] = "disk.img",
};

const char *vps_snapshot_entry(enum vps_snapshot_kind k)
{
	return k < _VPS_SNAPSHOT_KIND_MAX ? entries[k] : NULL;
}

int vps_snapshot_kind_of(int vpsdir, const struct vps_config *cfg, enum vps_snapshot_kind *ret)
{
	/* an overlay on a disk image has its layers in the image (overlay-image.c) */
	if (faccessat(vpsdir, "disk.img", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		*ret = VPS_SNAPSHOT_IMAGE;
		return 0;
	}
	if (vps_storage_is_overlay(cfg)) {
		*ret = VPS_SNAPSHOT_UPPER;
		return 0;
	}
	if (errno != ENOENT)
		return -errno;
	*ret = cfg->disk ? VPS_SNAPSHOT_IMAGE : VPS_SNAPSHOT_ROOTFS;
	return 0;
}

int vps_snapshot_dir_open(int vpsdir)
{
	int fd = openat(vpsdir, SNAP_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fd;
}

/* Hidden entries of the snapshots directory: what a create or delete cut short left. */
static void remove_leftovers(int sd)
{
	_cleanup_closedir_ DIR *d = opendir_dup(sd);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			(void)rm_rf_at(sd, de->d_name);
}

/* entry of sdir copied to ddir/dname: a tree without following, an image as an image. */
static int copy_entry(enum vps_snapshot_kind k, int sdir, int ddir, const char *dname,
                      bool *ret_reflinked)
{
	*ret_reflinked = false;
	if (k == VPS_SNAPSHOT_IMAGE)
		return vps_image_copy(sdir, entries[k], ddir, dname, ret_reflinked);
	return tree_copy_at(sdir, entries[k], ddir, dname, NULL);
}

static int open_snapdir(int vpsdir, bool make)
{
	int fd;

	if (make && mkdirat(vpsdir, SNAP_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = vps_snapshot_dir_open(vpsdir);
	if (fd >= 0)
		remove_leftovers(fd);
	return fd;
}

int vps_snapshot_create(int vpsdir, const struct vps_config *cfg, const char *snap,
                        bool *ret_reflinked, struct vps_error *err)
{
	_cleanup_close_ int sd = -EBADF, td = -EBADF;
	enum vps_snapshot_kind k;
	char tmp[64];
	int r;

	r = vps_snapshot_kind_of(vpsdir, cfg, &k);
	if (r < 0)
		return vps_error_errno(err, r, "failed to find the VPS's storage");
	sd = open_snapdir(vpsdir, true);
	if (sd < 0)
		return vps_error_errno(err, sd, "failed to open the snapshots directory");
	if (faccessat(sd, snap, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return vps_error_set(err, -EEXIST, "snapshot '%s' exists", snap);
	snprintf(tmp, sizeof(tmp), ".%s.new", snap);
	if (mkdirat(sd, tmp, 0700) < 0 ||
	    (td = openat(sd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return vps_error_errno(err, -errno, "failed to make the snapshot directory");
	r = copy_entry(k, vpsdir, td, entries[k], ret_reflinked);
	if (r == 0 && (syncfs(td) < 0 || renameat(sd, tmp, sd, snap) < 0))
		r = -errno;
	if (r < 0) {
		(void)rm_rf_at(sd, tmp);
		return vps_error_errno(err, r, "failed to copy %s", entries[k]);
	}
	(void)fsync(sd);
	return 0;
}

int vps_snapshot_rollback(int vpsdir, const struct vps_config *cfg, const char *snap,
                          struct vps_error *err)
{
	_cleanup_close_ int sd = -EBADF, snapfd = -EBADF;
	enum vps_snapshot_kind k;
	bool reflinked;
	int r;

	r = vps_snapshot_kind_of(vpsdir, cfg, &k);
	if (r < 0)
		return vps_error_errno(err, r, "failed to find the VPS's storage");
	sd = open_snapdir(vpsdir, false);
	snapfd = sd < 0 ? -ENOENT
	                : openat(sd, snap, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (snapfd < 0)
		return vps_error_set(err, -ENOENT, "no snapshot '%s'", snap);
	if (faccessat(snapfd, entries[k], F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return vps_error_set(err, -EINVAL,
		                     "snapshot '%s' holds no %s: it is of another storage mode",
		                     snap, entries[k]);
	(void)rm_rf_at(vpsdir, ROLLBACK_TMP); /* a rollback cut short */
	r = copy_entry(k, snapfd, vpsdir, ROLLBACK_TMP, &reflinked);
	if (r == 0 && syncfs(vpsdir) < 0)
		r = -errno;
	if (r == 0 && renameat2(vpsdir, ROLLBACK_TMP, vpsdir, entries[k], RENAME_EXCHANGE) < 0)
		r = -errno;
	if (r < 0) {
		(void)rm_rf_at(vpsdir, ROLLBACK_TMP);
		return vps_error_errno(err, r,
		                       "failed to put the snapshot in place; the VPS is "
		                       "untouched");
	}
	(void)fsync(vpsdir);
	/* the old storage, now under the hidden name; the next rollback removes what this leaves */
	(void)rm_rf_at(vpsdir, ROLLBACK_TMP);
	return 0;
}

int vps_snapshot_delete(int vpsdir, const char *snap, struct vps_error *err)
{
	_cleanup_close_ int sd = open_snapdir(vpsdir, false);
	char tmp[64];
	int r;

	if (sd < 0 || faccessat(sd, snap, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return vps_error_set(err, -ENOENT, "no snapshot '%s'", snap);
	/* away from its name first: a delete cut short leaves no half snapshot to roll back to */
	snprintf(tmp, sizeof(tmp), ".%s.del", snap);
	if (renameat(sd, snap, sd, tmp) < 0)
		return vps_error_errno(err, -errno, "failed to remove snapshot '%s'", snap);
	r = rm_rf_at(sd, tmp);
	return r < 0 ? vps_error_errno(err, r, "failed to remove snapshot '%s'", snap) : 0;
}
