/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Keeping a copy of a tree up with it (tree-sync.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "tree-copy.h"
#include "tree-sync.h"

/* As deep as tree_copy_at goes. */
#define SYNC_MAX_DEPTH 256

struct tree_sync_link {
	dev_t dev;
	ino_t ino;
	char *path; /* its copy, relative to droot */
};

void tree_sync_reset(struct tree_sync *ts)
{
	for (size_t i = 0; i < ts->n_links; i++)
		free(ts->links[i].path);
	free(ts->links);
	ts->links = NULL;
	ts->n_links = ts->cap_links = 0;
}

static const char *link_find(const struct tree_sync *ts, const struct stat *st)
{
	for (size_t i = ts->n_links; i-- > 0;)
		if (ts->links[i].dev == st->st_dev && ts->links[i].ino == st->st_ino)
			return ts->links[i].path;
	return NULL;
}

static int link_add(struct tree_sync *ts, const struct stat *st, const char *path)
{
	if (ts->n_links == ts->cap_links) {
		size_t cap = ts->cap_links ? ts->cap_links * 2 : 64;
		struct tree_sync_link *l = realloc(ts->links, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		ts->links = l;
		ts->cap_links = cap;
	}
	ts->links[ts->n_links].path = strdup(path);
	if (!ts->links[ts->n_links].path)
		return -ENOMEM;
	ts->links[ts->n_links].dev = st->st_dev;
	ts->links[ts->n_links++].ino = st->st_ino;
	return 0;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The copy (dst) still what src is: same type, size and mtime, src not changed since. */
static bool unchanged(const struct tree_sync *ts, const struct stat *src, const struct stat *dst)
{
	return (src->st_mode & S_IFMT) == (dst->st_mode & S_IFMT) && src->st_size == dst->st_size &&
	       src->st_mtim.tv_sec == dst->st_mtim.tv_sec &&
	       src->st_mtim.tv_nsec == dst->st_mtim.tv_nsec && ts_before(&src->st_ctim, &ts->since);
}

/* A hard link of a file whose copy exists already: the same link in the copy. */
static int sync_hardlink(struct tree_sync *ts, const char *first, int ddir, const char *dname,
                         bool have, const struct stat *dst)
{
	struct stat fst;

	if (fstatat(ts->droot, first, &fst, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (have && dst->st_dev == fst.st_dev && dst->st_ino == fst.st_ino)
		return 0;
	if (have && rm_rf_at(ddir, dname) < 0)
		return -errno;
	ts->copied++;
	return linkat(ts->droot, first, ddir, dname, 0) < 0 ? -errno : 0;
}

static int sync_entry(int sdir, const char *sname, int ddir, const char *dname, const char *path,
                      struct tree_sync *ts, unsigned depth);

/* What the copy has that the tree no longer does. */
static int sync_remove_gone(int sfd, int dfd, struct tree_sync *ts)
{
	_cleanup_closedir_ DIR *d = opendir_dup(dfd);
	struct dirent *de;
	struct stat st;

	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			continue;
		if (rm_rf_at(dfd, de->d_name) < 0)
			return -errno;
		ts->removed++;
	}
	return errno ? -errno : 0;
}

/* A directory's xattrs anew when it changed: one the tree dropped goes from the copy too. */
static void drop_xattrs(int dfd)
{
	char names[8192];
	ssize_t n = flistxattr(dfd, names, sizeof(names));

	for (char *k = names; n > 0 && k < names + n; k += strlen(k) + 1)
		(void)fremovexattr(dfd, k);
}

static int sync_dir(int sdir, const char *sname, int ddir, const char *dname, const char *path,
                    const struct stat *dst, bool have, struct tree_sync *ts, unsigned depth)
{
	_cleanup_close_ int sfd = -EBADF, dfd = -EBADF;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int r = 0;

	if (depth > SYNC_MAX_DEPTH)
		return -ELOOP;
	sfd = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno; /* gone meanwhile */
	if (fstat(sfd, &st) < 0)
		return -errno;
	if (have && !S_ISDIR(dst->st_mode) && rm_rf_at(ddir, dname) < 0)
		return -errno;
	if ((!have || !S_ISDIR(dst->st_mode)) && mkdirat(ddir, dname, 0700) < 0)
		return -errno;
	dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = dfd < 0 ? NULL : opendir_dup(sfd);
	if (!d)
		return -errno;
	while (r == 0 && (errno = 0, de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) < 0)
			return -ENOMEM;
		r = sync_entry(sfd, de->d_name, dfd, de->d_name, sub, ts, depth + 1);
	}
	if (r == 0 && errno != 0)
		r = -errno;
	if (r == 0 && have)
		r = sync_remove_gone(sfd, dfd, ts);
	if (r == 0 && have && !ts_before(&st.st_ctim, &ts->since))
		drop_xattrs(dfd);
	return r < 0 ? r : tree_copy_meta(sfd, dfd, &st);
}

static int sync_entry(int sdir, const char *sname, int ddir, const char *dname, const char *path,
                      struct tree_sync *ts, unsigned depth)
{
	struct stat st, dst;
	const char *first = NULL;
	bool have;
	int r;

	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno; /* gone meanwhile */
	have = fstatat(ddir, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0;
	if (!have && errno != ENOENT)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return sync_dir(sdir, sname, ddir, dname, path, &dst, have, ts, depth);
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && (first = link_find(ts, &st)))
		return sync_hardlink(ts, first, ddir, dname, have, &dst);
	if (!have || !unchanged(ts, &st, &dst)) {
		if (have && rm_rf_at(ddir, dname) < 0)
			return -errno;
		r = tree_copy_at(sdir, sname, ddir, dname, NULL);
		if (r == -ENOENT || r == -EAGAIN)
			return 0; /* gone or replaced meanwhile: the next pass sees what is there */
		if (r < 0)
			return r;
		ts->copied++;
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1)
		return link_add(ts, &st, path);
	return 0;
}

int tree_sync_at(int sdir, const char *sname, int ddir, const char *dname, struct tree_sync *ts)
{
	ts->copied = ts->removed = 0;
	tree_sync_reset(ts);
	return sync_entry(sdir, sname, ddir, dname, dname, ts, 0);
}
