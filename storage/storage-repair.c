/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Before every start: an existing VPS's storage brought to what this vpsctl makes. Nodes made by
 * older versions had an overlay lower layer with the template's ids unshifted, beside the
 * tarballs where any host user could reach its setuid files, and directories whose modes an
 * operator may have widened since.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"
#include "storage-mount.h"
#include "storage.h"

/* Owner and mode of an open directory or file, changed only where they differ. */
static int enforce(int fd, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) < 0)
		return -errno;
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
		return -errno;
	return 0;
}

static int enforce_at(int dfd, const char *name, int flags, uid_t uid, gid_t gid, mode_t mode)
{
	_cleanup_close_ int fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	return enforce(fd, uid, gid, mode);
}

/* The VPS directory is root's only; a user-namespace overlay's root passes through it (group
 * = its root's gid, 0710) to mount its layers, which only it and the host's root can reach. */
static int enforce_dirs(const struct vps_paths *p, const struct vps_config *cfg, int dfd)
{
	bool pass = vps_storage_idmapped(cfg) && cfg->userns;
	int r = enforce_at(AT_FDCWD, p->vps_base, O_RDONLY | O_DIRECTORY, 0, 0, 0700);

	if (r == 0)
		r = enforce(dfd, 0, pass ? (gid_t)cfg->uid_base : 0, pass ? 0710 : 0700);
	if (r == 0)
		r = enforce_at(dfd, "disk.img", O_RDONLY, 0, 0, 0600);
	return r;
}

/* VPSDIR/lower -> path, replaced atomically when it names anything else. 1 when it did. */
static int relink_lower(int dfd, const char *path)
{
	char cur[PATH_MAX];
	ssize_t n = readlinkat(dfd, "lower", cur, sizeof(cur) - 1);

	if (n < 0 && errno != ENOENT)
		return -errno;
	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, path) == 0)
			return 0;
	}
	(void)unlinkat(dfd, "lower.new", 0);
	if (symlinkat(path, dfd, "lower.new") < 0 || renameat(dfd, "lower.new", dfd, "lower") < 0)
		return -errno;
	return 1;
}

/* lowermap (made by create since the privileged VPSes' overlay is id-mapped too). */
static int make_lowermap(int dfd, const struct vps_config *cfg)
{
	uid_t u = cfg->userns ? (uid_t)cfg->uid_base : 0;

	if (mkdirat(dfd, "lowermap", 0755) < 0 && errno != EEXIST)
		return -errno;
	return fchownat(dfd, "lowermap", u, (gid_t)u, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* trees/TEMPLATE.rootfs into path; 1 when it exists. */
static int find_tree(const struct vps_paths *p, const struct vps_config *cfg, char *path,
                     size_t len, struct vps_error *err)
{
	int r = template_shared_tree_find(p->templates_dir, cfg->template_name, path, len);

	if (r < 0)
		return vps_error_errno(err, r,
		                       "failed to look for the shared tree of template '%s'",
		                       cfg->template_name);
	return r;
}

/* Without an unpack function, a missing tree is -EAGAIN before anything changed: the caller
 * goes on in the build that has one. */
static int migrate_overlay(const struct vps_paths *p, const struct vps_config *cfg, int dfd,
                           vps_tree_unpack_fn unpack, char *note, size_t notelen,
                           struct vps_error *err)
{
	_cleanup_close_ int lock = template_store_lock(p->templates_dir, false);
	char path[PATH_MAX];
	int r, retired;

	if (lock < 0)
		return vps_error_errno(err, lock, "failed to lock the template store");
	r = find_tree(p, cfg, path, sizeof(path), err);
	if (r == 0 && !unpack)
		return -EAGAIN;
	if (r < 0)
		return r;
	retired = template_shared_tree_retire_legacy(p->templates_dir, cfg->template_name);
	if (retired < 0)
		return vps_error_errno(
			err, retired, "failed to retire the unshifted shared tree of template '%s'",
			cfg->template_name);
	if (r == 0) {
		r = unpack(p->templates_dir, cfg->template_name, err);
		if (r < 0)
			return r;
	}
	r = relink_lower(dfd, path);
	if (r == 1)
		snprintf(note, notelen, "now on the id-shifted shared tree of template '%s'%s",
		         cfg->template_name,
		         retired ? " (the old one, unpacked with unshifted ids by an older vpsctl, "
		                   "is "
		                   "retired: no VPS uses it again)"
		                 : "");
	if (r >= 0)
		r = make_lowermap(dfd, cfg);
	if (r < 0)
		return vps_error_errno(err, r,
		                       "failed to move it to the template's new shared tree");
	return 0;
}

/* The trees a VPS's start mounts and pivots into are directories, never links (a restore
 * before the top member was checked could plant "rootfs" -> a host directory). */
static int check_trees_at(int dfd)
{
	static const char *const trees[] = {"rootfs", "upper", "work", "disk"};
	struct stat st;

	for (size_t i = 0; i < ELEMENTSOF(trees); i++) {
		if (fstatat(dfd, trees[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return 0;
}

int vps_storage_check_trees(const struct vps_paths *p, const char *name, struct vps_error *err)
{
	_cleanup_close_ int dfd = -EBADF;
	char dir[PATH_MAX];
	int r = vps_path(p, name, NULL, dir, sizeof(dir));

	if (r < 0)
		return vps_error_errno(err, r, "failed to find its directory");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return vps_error_errno(err, -errno, "failed to open %s", dir);
	r = check_trees_at(dfd);
	if (r < 0)
		return vps_error_errno(
			err, r, "refused: its rootfs, upper, work or disk is not a directory");
	return 0;
}

int vps_storage_repair(const struct vps_paths *p, const struct vps_config *cfg,
                       vps_tree_unpack_fn unpack, char *note, size_t notelen, struct vps_error *err)
{
	_cleanup_close_ int dfd = -EBADF;
	char dir[PATH_MAX];
	int r;

	note[0] = '\0';
	r = vps_path(p, cfg->name, NULL, dir, sizeof(dir));
	if (r < 0)
		return vps_error_errno(err, r, "failed to find its directory");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return vps_error_errno(err, -errno, "failed to open %s", dir);
	r = enforce_dirs(p, cfg, dfd);
	if (r < 0)
		return vps_error_errno(err, r, "failed to make its storage private");
	r = check_trees_at(dfd);
	if (r < 0)
		return vps_error_errno(
			err, r, "refused: its rootfs, upper, work or disk is not a directory");
	if (vps_storage_idmapped(cfg))
		return migrate_overlay(p, cfg, dfd, unpack, note, notelen, err);
	return 0;
}
