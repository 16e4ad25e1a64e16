/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "tree-copy.h"

/* The tags of a POSIX ACL entry that name an id (linux/posix_acl.h's ACL_USER, ACL_GROUP). */
#define ACL_USER_TAG  0x02
#define ACL_GROUP_TAG 0x08

/* A tenant may nest directories as deep as it likes: past this the copy is refused. */
#define MAX_DEPTH 256

static uint64_t shifted(uint64_t id, const struct tree_shift *s)
{
	if (s && s->count && id >= s->from && id - s->from < s->count)
		return id - s->from + s->to;
	return id;
}

uint64_t tree_shift_id(uint64_t id, const struct tree_shift *s)
{
	return shifted(id, s);
}

/* A v3 file capability names the host uid of its namespace's root: moved with the range. */
static void shift_caps(char *val, ssize_t len, const struct tree_shift *s)
{
	struct vfs_ns_cap_data c;

	if (len != (ssize_t)sizeof(c))
		return;
	memcpy(&c, val, sizeof(c));
	if ((le32toh(c.magic_etc) & VFS_CAP_REVISION_MASK) != VFS_CAP_REVISION_3)
		return;
	c.rootid = htole32((uint32_t)shifted(le32toh(c.rootid), s));
	memcpy(val, &c, sizeof(c));
}

/* A POSIX ACL's named user and group entries hold host ids: moved with the range. */
static void shift_acl(char *val, ssize_t len, const struct tree_shift *s)
{
	struct {
		uint16_t tag, perm;
		uint32_t id;
	} e;

	if (len < 4 || (len - 4) % (ssize_t)sizeof(e) != 0)
		return;
	for (char *p = val + 4; p < val + len; p += sizeof(e)) {
		memcpy(&e, p, sizeof(e));
		if (le16toh(e.tag) != ACL_USER_TAG && le16toh(e.tag) != ACL_GROUP_TAG)
			continue;
		e.id = htole32((uint32_t)shifted(le32toh(e.id), s));
		memcpy(p, &e, sizeof(e));
	}
}

void tree_shift_xattr(const char *name, char *val, ssize_t len, const struct tree_shift *s)
{
	if (strcmp(name, "security.capability") == 0)
		shift_caps(val, len, s);
	else if (strcmp(name, "system.posix_acl_access") == 0 ||
	         strcmp(name, "system.posix_acl_default") == 0)
		shift_acl(val, len, s);
}

/* Every xattr of sfd onto dfd (both opened, not symlinks). */
static int copy_xattrs(int sfd, int dfd, const struct tree_shift *s)
{
	char names[8192], val[65536];
	ssize_t n = flistxattr(sfd, names, sizeof(names));

	if (n < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *k = names; k < names + n; k += strlen(k) + 1) {
		ssize_t v = fgetxattr(sfd, k, val, sizeof(val));

		if (v < 0)
			continue; /* gone meanwhile */
		tree_shift_xattr(k, val, v, s);
		if (fsetxattr(dfd, k, val, (size_t)v, 0) < 0 && errno != ENOTSUP)
			return -errno;
	}
	return 0;
}

/* Owner, then mode (chown drops setuid bits), then times. */
static int copy_meta(int dfd, const struct stat *st, const struct tree_shift *s)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (fchown(dfd, (uid_t)shifted(st->st_uid, s), (gid_t)shifted(st->st_gid, s)) < 0 ||
	    fchmod(dfd, st->st_mode & 07777) < 0 || futimens(dfd, ts) < 0)
		return -errno;
	return 0;
}

static int copy_data(int sfd, int dfd)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(sfd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int r = write_all(dfd, buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

static int copy_reg(int sdir, const char *sname, int ddir, const char *dname, const struct stat *st,
                    const struct tree_shift *s)
{
	_cleanup_close_ int sfd =
		openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	_cleanup_close_ int dfd = -EBADF;
	struct stat now;
	int r;

	if (sfd < 0)
		return -errno;
	/* the same file lstat saw: not a fifo swapped in meanwhile */
	if (fstat(sfd, &now) < 0)
		return -errno;
	if (!S_ISREG(now.st_mode))
		return -EAGAIN;
	dfd = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dfd < 0)
		return -errno;
	r = ioctl(dfd, FICLONE, sfd) == 0 ? 0 : copy_data(sfd, dfd);
	if (r == 0)
		r = copy_xattrs(sfd, dfd, s);
	return r < 0 ? r : copy_meta(dfd, &now, s);
}

static int copy_symlink(int sdir, const char *sname, int ddir, const char *dname,
                        const struct stat *st, const struct tree_shift *s)
{
	char target[PATH_MAX];
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	ssize_t n = readlinkat(sdir, sname, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (symlinkat(target, ddir, dname) < 0 ||
	    fchownat(ddir, dname, (uid_t)shifted(st->st_uid, s), (gid_t)shifted(st->st_gid, s),
	             AT_SYMLINK_NOFOLLOW) < 0 ||
	    utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* fifos, sockets, device nodes (an overlay's whiteouts are 0/0 char devices): never opened. */
static int copy_node(int ddir, const char *dname, const struct stat *st, const struct tree_shift *s)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (mknodat(ddir, dname, st->st_mode, st->st_rdev) < 0 ||
	    fchownat(ddir, dname, (uid_t)shifted(st->st_uid, s), (gid_t)shifted(st->st_gid, s),
	             AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(ddir, dname, st->st_mode & 07777, 0) < 0 ||
	    utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int copy_entry(int sdir, const char *sname, int ddir, const char *dname,
                      const struct tree_shift *s, unsigned depth);

static int copy_dir(int sdir, const char *sname, int ddir, const char *dname,
                    const struct tree_shift *s, unsigned depth)
{
	_cleanup_close_ int sfd = -EBADF, dfd = -EBADF;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int r = 0;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	sfd = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 || fstat(sfd, &st) < 0)
		return -errno;
	if (mkdirat(ddir, dname, 0700) < 0)
		return -errno;
	dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = dfd < 0 ? NULL : opendir_dup(sfd);
	if (!d)
		return -errno;
	while (r == 0 && (errno = 0, de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = copy_entry(sfd, de->d_name, dfd, de->d_name, s, depth + 1);
	if (r == 0 && errno != 0)
		r = -errno;
	if (r == 0)
		r = copy_xattrs(sfd, dfd, s);
	return r < 0 ? r : copy_meta(dfd, &st, s);
}

static int copy_entry(int sdir, const char *sname, int ddir, const char *dname,
                      const struct tree_shift *s, unsigned depth)
{
	struct stat st;

	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno; /* gone meanwhile */
	if (S_ISDIR(st.st_mode))
		return copy_dir(sdir, sname, ddir, dname, s, depth);
	if (S_ISREG(st.st_mode))
		return copy_reg(sdir, sname, ddir, dname, &st, s);
	if (S_ISLNK(st.st_mode))
		return copy_symlink(sdir, sname, ddir, dname, &st, s);
	return copy_node(ddir, dname, &st, s);
}

int tree_copy_meta(int sfd, int dfd, const struct stat *st)
{
	int r = copy_xattrs(sfd, dfd, NULL);

	return r < 0 ? r : copy_meta(dfd, st, NULL);
}

int tree_copy_at(int sdir, const char *sname, int ddir, const char *dname,
                 const struct tree_shift *shift)
{
	return copy_entry(sdir, sname, ddir, dname, shift, 0);
}

int tree_keep_path_valid(const char *path)
{
	if (path[0] != '/' || strlen(path) >= PATH_MAX / 2 || strcmp(path, "/") == 0)
		return 0;
	for (const char *p = path + 1; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
		if (*p == '/' && p[1] == '\0')
			return 0;
		p += *p == '/';
	}
	return 1;
}

/* The directory path under root, each missing component made (0755, uid:gid). */
static int make_parents(int root, const char *path, uid_t uid, gid_t gid)
{
	_cleanup_close_ int fd = open_in_root(root, "/", O_RDONLY | O_DIRECTORY, 0, 0);
	char name[NAME_MAX + 1];

	if (fd < 0)
		return fd;
	for (const char *p = path; *p;) {
		size_t n;
		int next;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, p, n);
		name[n] = '\0';
		if (mkdirat(fd, name, 0755) == 0 &&
		    fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		/* a symlink the template has on the way (/var/run) resolves inside the root */
		next = open_in_root(fd, name, O_RDONLY | O_DIRECTORY, 0, 0);
		if (next < 0)
			return next;
		close(fd);
		fd = next;
		p += n;
	}
	return TAKE_FD(fd);
}

int tree_keep_path(int sroot, int droot, const char *path, uid_t uid, gid_t gid)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int sdir = -EBADF, ddir = -EBADF;
	const char *base;
	char *slash;
	struct stat st;
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	base = path + (slash - dir) + 1;
	*slash = '\0';
	sdir = open_in_root(sroot, dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY, 0, 0);
	if (sdir < 0)
		return sdir;
	if (fstatat(sdir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	ddir = make_parents(droot, dir, uid, gid);
	if (ddir < 0)
		return ddir;
	r = rm_rf_at(ddir, base);
	if (r < 0 && r != -ENOENT)
		return r;
	return tree_copy_at(sdir, base, ddir, base, NULL);
}
