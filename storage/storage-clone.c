/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "disk.h"
#include "idrange.h"
#include "rootfs-access.h"
#include "storage-clone.h"
#include "tree-copy.h"

/* What a VPS directory holds besides vps.conf, work (made empty) and disk.img (copied whole):
 * copy storage's rootfs (the mount point of a disk image), overlay's layers and mount points
 * (disk: where an overlay's image is mounted). */
static const char *const trees[] = {"rootfs", "upper", "lower", "lowermap", "disk"};

/* A privileged VPS's ids are the host's: its clone keeps them. */
static struct tree_shift shift_of(const struct vps_config *src, const struct vps_config *dst)
{
	struct tree_shift s = {0};

	if (src->userns && dst->userns)
		s = (struct tree_shift){src->uid_base, dst->uid_base, VPS_IDMAP_SIZE};
	return s;
}

/* data of len bytes at off, by copy_file_range, else by read and write. */
static int copy_range(int sfd, int dfd, off_t off, off_t len)
{
	char buf[65536];
	off_t in = off, out = off;

	while (len > 0) {
		ssize_t n = copy_file_range(sfd, &in, dfd, &out, (size_t)len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP &&
		    errno != EINVAL)
			return -errno;
		if (n < 0) { /* no kernel help here: by hand */
			n = pread(sfd, buf, len < (off_t)sizeof(buf) ? (size_t)len : sizeof(buf),
			          in);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || (n > 0 && pwrite(dfd, buf, (size_t)n, out) != n))
				return n < 0 || errno ? -errno : -EIO;
			in += n;
			out += n;
		}
		if (n == 0)
			return -EIO; /* the image shrank under us */
		len -= n;
	}
	return 0;
}

/* Only the image's data is copied: its holes stay holes. */
static int copy_sparse(int sfd, int dfd, off_t size)
{
	off_t pos = 0;

	if (ftruncate(dfd, size) < 0)
		return -errno;
	while (pos < size) {
		off_t data = lseek(sfd, pos, SEEK_DATA), hole;
		int r;

		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		hole = lseek(sfd, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		r = copy_range(sfd, dfd, data, hole - data);
		if (r < 0)
			return r;
		pos = hole;
	}
	return 0;
}

int vps_image_copy(int sdir, const char *sname, int ddir, const char *dname, bool *ret_reflinked)
{
	_cleanup_close_ int sfd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int dfd = -EBADF;
	struct stat st;
	int r;

	if (sfd < 0 || fstat(sfd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	dfd = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dfd < 0)
		return -errno;
	/* a reflink shares every block until either copy is written */
	*ret_reflinked = ioctl(dfd, FICLONE, sfd) == 0;
	r = *ret_reflinked ? 0 : copy_sparse(sfd, dfd, st.st_size);
	if (r == 0 &&
	    (fchown(dfd, st.st_uid, st.st_gid) < 0 || fchmod(dfd, 0600) < 0 || fsync(dfd) < 0))
		r = -errno;
	return r;
}

/* The overlay's work directory starts empty, owned like the source's. */
static int make_work(int sdir, int ddir, const struct tree_shift *s)
{
	struct stat st;

	if (fstatat(sdir, "work", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return -EINVAL;
	if (mkdirat(ddir, "work", 0700) < 0 ||
	    fchownat(ddir, "work", (uid_t)tree_shift_id(st.st_uid, s),
	             (gid_t)tree_shift_id(st.st_gid, s), AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(ddir, "work", st.st_mode & 07777, 0) < 0)
		return -errno;
	return 0;
}

struct image_shift {
	const char *rootfs;
	struct tree_shift s;
};

/* In a child with a private mount namespace: the new image mounted, its files moved. */
static int shift_image_body(void *data, struct vps_error *err)
{
	const struct image_shift *is = data;
	_cleanup_close_ int mnt = -EBADF, root = -EBADF;
	int r = vps_storage_private_ns(err);

	if (r < 0)
		return r;
	r = vps_disk_mount_detached(is->rootfs, &mnt);
	if (r < 0)
		return vps_error_errno(err, r, "failed to mount the new disk image");
	/* the mount's own fd is a path only */
	root = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return vps_error_errno(err, -errno, "failed to open the new disk image");
	r = tree_shift_in_place(root, &is->s);
	if (r < 0)
		return vps_error_errno(err, r,
		                       "failed to move the files of the new disk image "
		                       "onto its id range");
	return syncfs(root) < 0 ? vps_error_errno(err, -errno, "failed to sync the disk image") : 0;
}

static int shift_image(const char *ddir_path, const struct tree_shift *s, struct vps_error *err)
{
	struct image_shift is = {.s = *s};
	char rootfs[PATH_MAX];

	if (!s->count)
		return 0;
	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", ddir_path) >= (int)sizeof(rootfs))
		return vps_error_errno(err, -ENAMETOOLONG, "failed to mount the new disk image");
	is.rootfs = rootfs;
	return vps_child_run(shift_image_body, &is, err);
}

static int clone_image(int sdir, int ddir, const char *ddir_path, const struct tree_shift *s,
                       struct vps_error *err)
{
	bool reflinked;
	int r = vps_image_copy(sdir, "disk.img", ddir, "disk.img", &reflinked);

	if (r < 0)
		return vps_error_errno(err, r, "failed to copy the disk image");
	return shift_image(ddir_path, s, err);
}

/* The directory itself: its owner (overlay: group of the VPS's root) and mode. */
static int copy_dir_meta(int sdir, int ddir, const struct tree_shift *s)
{
	struct stat st;

	if (fstat(sdir, &st) < 0 ||
	    fchown(ddir, (uid_t)tree_shift_id(st.st_uid, s), (gid_t)tree_shift_id(st.st_gid, s)) <
	            0 ||
	    fchmod(ddir, st.st_mode & 07777) < 0)
		return -errno;
	return 0;
}

int vps_storage_clone(int sdir, int ddir, const char *ddir_path, const struct vps_config *src,
                      const struct vps_config *dst, struct vps_error *err)
{
	struct tree_shift s = shift_of(src, dst);
	struct stat st;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(trees); i++) {
		if (fstatat(sdir, trees[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return vps_error_errno(err, -errno, "failed to read %s", trees[i]);
		}
		r = tree_copy_at(sdir, trees[i], ddir, trees[i], &s);
		if (r < 0)
			return vps_error_errno(err, r, "failed to copy %s", trees[i]);
	}
	r = make_work(sdir, ddir, &s);
	if (r < 0)
		return vps_error_errno(err, r, "failed to make the overlay's work directory");
	if (fstatat(sdir, "disk.img", &st, AT_SYMLINK_NOFOLLOW) == 0)
		r = clone_image(sdir, ddir, ddir_path, &s, err);
	else if (errno != ENOENT)
		r = vps_error_errno(err, -errno, "failed to find the disk image");
	if (r < 0)
		return r;
	r = copy_dir_meta(sdir, ddir, &s);
	return r < 0 ? vps_error_errno(err, r, "failed to set up the VPS directory") : 0;
}
