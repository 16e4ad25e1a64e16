/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The prune of a migration (migrate-prune.h): one walk for both sides. Every directory is
 * opened with openat(parent, name, O_DIRECTORY | O_NOFOLLOW) relative to the one above it,
 * from the rootfs's dirfd down: a symbolic link is never entered, whatever the tenant made it
 * point at, and a directory of another file system (a mount) is not entered either. The
 * target removes with rm_rf_at (unlinkat, the same rules) relative to the parent's fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "migrate-prune.h"

#define OUT_BUF 65536

struct walk {
	/* per entry (w->path is its path): > 0 enter it when it is a directory, 0 not, -errno */
	int (*visit)(struct walk *w, int dfd, const char *name);
	char path[PATH_MAX];
	dev_t dev;
	int err; /* the first error; the walk goes on */
	/* the manifest's writer */
	int out_fd;
	size_t out_len;
	char out[OUT_BUF];
	/* the prune */
	const char **sorted;
	size_t n;
	unsigned removed;
};

static void walk_error(struct walk *w, int r)
{
	if (r < 0 && w->err == 0)
		w->err = r;
}

static void walk_dir(struct walk *w, int dfd, size_t len, unsigned depth);

/* Enters dfd/name (w->path, of length len) if it is a directory of the same file system. */
static void walk_enter(struct walk *w, int dfd, const char *name, size_t len, unsigned depth)
{
	_cleanup_close_ int cfd = -EBADF;
	struct stat st;

	cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0) {
		/* a symbolic link (ELOOP), not a directory, or gone meanwhile: nothing to enter */
		if (errno != ELOOP && errno != ENOTDIR && errno != ENOENT)
			walk_error(w, -errno);
		return;
	}
	if (fstat(cfd, &st) < 0)
		return walk_error(w, -errno);
	if (st.st_dev == w->dev)
		walk_dir(w, cfd, len, depth + 1);
}

static void walk_dir(struct walk *w, int dfd, size_t len, unsigned depth)
{
	_cleanup_closedir_ DIR *d = opendir_dup(dfd);
	struct dirent *de;

	if (!d)
		return walk_error(w, -errno);
	while ((errno = 0, de = readdir(d))) {
		size_t nl = strlen(de->d_name), sub = len + (len ? 1 : 0) + nl;
		int r;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (sub >= sizeof(w->path))
			continue; /* neither listed nor pruned, like the depth limit */
		if (len)
			w->path[len] = '/';
		memcpy(w->path + sub - nl, de->d_name, nl + 1);
		r = w->visit(w, dfd, de->d_name);
		walk_error(w, r);
		if (r > 0 && depth + 1 < MIGRATE_PRUNE_MAX_DEPTH &&
		    (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN))
			walk_enter(w, dfd, de->d_name, sub, depth);
		w->path[len] = '\0';
	}
	if (errno)
		walk_error(w, -errno);
}

static int walk_root(struct walk *w, int rootfd)
{
	struct stat st;

	if (fstat(rootfd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	w->dev = st.st_dev;
	w->path[0] = '\0';
	walk_dir(w, rootfd, 0, 0);
	return w->err;
}

static int out_flush(struct walk *w)
{
	int r = write_all(w->out_fd, w->out, w->out_len);

	w->out_len = 0;
	return r;
}

static int list_visit(struct walk *w, int dfd, const char *name)
{
	size_t n = strlen(w->path) + 1;

	(void)dfd;
	(void)name;
	if (w->out_len + n > sizeof(w->out)) {
		int r = out_flush(w);

		if (r < 0)
			return r;
	}
	memcpy(w->out + w->out_len, w->path, n);
	w->out_len += n;
	return 1;
}

int migrate_manifest_write(int rootfd, int out_fd)
{
	_cleanup_free_ struct walk *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->visit = list_visit;
	w->out_fd = out_fd;
	r = walk_root(w, rootfd);
	if (r < 0)
		return r; /* no end mark: the target prunes nothing */
	w->path[0] = '\0';
	r = list_visit(w, -1, "");
	if (r < 0)
		return r;
	return out_flush(w);
}

int migrate_manifest_read(int in_fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_fd_all(in_fd, max, &buf, &len);

	if (r < 0)
		return r;
	if (len > 0 && buf[len - 1] != '\0')
		return -EPROTO;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int prune_visit(struct walk *w, int dfd, const char *name)
{
	const char *key = w->path;
	int r;

	if (bsearch(&key, w->sorted, w->n, sizeof(*w->sorted), cmp_str))
		return 1;
	r = rm_rf_at(dfd, name);
	if (r < 0)
		return r;
	w->removed++;
	return 0;
}

int migrate_prune(int rootfd, const char *manifest, size_t len, unsigned *ret_removed)
{
	_cleanup_free_ struct walk *w = calloc(1, sizeof(*w));
	_cleanup_free_ const char **sorted = NULL;
	size_t n = 0;
	int r;

	*ret_removed = 0;
	if (!w)
		return -ENOMEM;
	/* entries, then the end mark (an empty one): a cut manifest prunes nothing */
	if (len == 0 || manifest[len - 1] != '\0' || (len > 1 && manifest[len - 2] != '\0'))
		return -EPROTO;
	for (size_t i = 0; i + 1 < len; i++)
		n += manifest[i] == '\0';
	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0, k = 0; i + 1 < len; i += strlen(manifest + i) + 1) {
		if (manifest[i] == '\0')
			return -EPROTO; /* an empty entry before the end */
		sorted[k++] = manifest + i;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	w->visit = prune_visit;
	w->sorted = sorted;
	w->n = n;
	r = walk_root(w, rootfd);
	*ret_removed = w->removed;
	return r;
}
