/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Moving the owners of a tree from one VPS's id range to another's where it lies (a clone's
 * copy of a disk image): chown drops setuid bits and file capabilities, so both are put back,
 * the capabilities' root moved with the rest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "tree-copy.h"

/* As deep as tree_copy_at goes. */
#define MAX_DEPTH 256

/* The POSIX ACLs of fd (their named ids), moved. */
static int shift_acls(int fd, const struct tree_shift *s)
{
	char names[8192], val[65536];
	ssize_t n = flistxattr(fd, names, sizeof(names));

	if (n < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *k = names; k < names + n; k += strlen(k) + 1) {
		ssize_t v;

		if (strcmp(k, "system.posix_acl_access") != 0 &&
		    strcmp(k, "system.posix_acl_default") != 0)
			continue;
		v = fgetxattr(fd, k, val, sizeof(val));
		if (v < 0)
			return -errno;
		tree_shift_xattr(k, val, v, s);
		if (fsetxattr(fd, k, val, (size_t)v, 0) < 0)
			return -errno;
	}
	return 0;
}

/* Owner of an open file or directory, its mode and capability kept. */
static int shift_fd(int fd, const struct stat *st, const struct tree_shift *s)
{
	uid_t uid = (uid_t)tree_shift_id(st->st_uid, s);
	gid_t gid = (gid_t)tree_shift_id(st->st_gid, s);
	char cap[64];
	ssize_t n = fgetxattr(fd, "security.capability", cap, sizeof(cap));

	if (n < 0 && errno != ENODATA && errno != ENOTSUP)
		return -errno;
	if (uid != st->st_uid || gid != st->st_gid) {
		if (fchown(fd, uid, gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
			return -errno;
	}
	if (n > 0) {
		tree_shift_xattr("security.capability", cap, n, s);
		if (fsetxattr(fd, "security.capability", cap, (size_t)n, 0) < 0)
			return -errno;
	}
	return shift_acls(fd, s);
}

/* Symlinks, fifos, sockets, device nodes: never opened. */
static int shift_other(int dir, const char *name, const struct stat *st, const struct tree_shift *s)
{
	uid_t uid = (uid_t)tree_shift_id(st->st_uid, s);
	gid_t gid = (gid_t)tree_shift_id(st->st_gid, s);

	if ((uid != st->st_uid || gid != st->st_gid) &&
	    fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int shift_entry(int dir, const char *name, const struct tree_shift *s, unsigned depth);

static int shift_dir(int fd, const struct tree_shift *s, unsigned depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int r = 0;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	if (fstat(fd, &st) < 0)
		return -errno;
	d = opendir_dup(fd);
	if (!d)
		return -errno;
	while (r == 0 && (errno = 0, de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = shift_entry(fd, de->d_name, s, depth + 1);
	if (r == 0 && errno != 0)
		r = -errno;
	return r < 0 ? r : shift_fd(fd, &st, s);
}

static int shift_entry(int dir, const char *name, const struct tree_shift *s, unsigned depth)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return shift_other(dir, name, &st, s);
	fd = openat(dir, name,
	            (S_ISDIR(st.st_mode) ? O_DIRECTORY : O_NONBLOCK) | O_RDONLY | O_NOFOLLOW |
	                    O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* the same entry lstat saw (nobody else reaches this tree, but be exact) */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return shift_dir(fd, s, depth);
	return S_ISREG(st.st_mode) ? shift_fd(fd, &st, s) : -EAGAIN;
}

int tree_shift_in_place(int dirfd, const struct tree_shift *s)
{
	return shift_dir(dirfd, s, 0);
}
