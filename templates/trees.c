/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the shared trees of overlay storage live (TEMPLATES/trees, root's only), and what an
 * older vpsctl left beside the tarballs. Kept apart from shared.c, which unpacks: `vpsctl start`
 * uses these and must not load libarchive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "parse.h"
#include "template-internal.h"

void template_tree_name(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s.rootfs", name);
}

/* TEMPLATES/trees, root's only (0700), made so and kept so on every use: the trees hold a
 * template's setuid files, and no host user may reach them. */
int template_trees_open(int dfd, bool create, int *ret_fd)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	if (create && mkdirat(dfd, TEMPLATE_TREES_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dfd, TEMPLATE_TREES_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((st.st_uid != 0 || st.st_gid != 0) && geteuid() == 0 && fchown(fd, 0, 0) < 0)
		return -errno;
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int exists_at(int dfd, const char *fn)
{
	if (faccessat(dfd, fn, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int template_shared_tree_exists_at(int dfd, const char *name)
{
	_cleanup_close_ int tfd = -EBADF;
	char fn[64];
	int r;

	template_tree_name(name, fn, sizeof(fn));
	r = exists_at(dfd, fn); /* one an older vpsctl left */
	if (r != 0)
		return r;
	r = template_trees_open(dfd, false, &tfd);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : exists_at(tfd, fn);
}

int template_shared_tree_exists(const char *templates_dir, const char *name)
{
	_cleanup_close_ int dfd = -EBADF;

	if (!name_is_valid(name))
		return -EINVAL;
	dfd = open(templates_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	return template_shared_tree_exists_at(dfd, name);
}

static int rm_if_there(int dfd, const char *fn)
{
	int r = rm_rf_at(dfd, fn);

	return r == -ENOENT ? 0 : r;
}

/* The tree, what retire left of an older one, and an older one still in place. */
int template_shared_tree_remove_at(int dfd, const char *name)
{
	_cleanup_close_ int tfd = -EBADF;
	char fn[64], old[80];
	int r;

	template_tree_name(name, fn, sizeof(fn));
	snprintf(old, sizeof(old), "%s%s", fn, TEMPLATE_UNSHIFTED_SUFFIX);
	r = template_trees_open(dfd, false, &tfd);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0) {
		r = rm_if_there(tfd, fn);
		if (r == 0)
			r = rm_if_there(tfd, old);
		if (r < 0)
			return r;
	}
	return rm_if_there(dfd, fn);
}

int template_shared_tree_remove(const char *templates_dir, const char *name)
{
	_cleanup_close_ int dfd = -EBADF;

	if (!name_is_valid(name))
		return -EINVAL;
	dfd = open(templates_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	return template_shared_tree_remove_at(dfd, name);
}

int template_shared_tree_retire_legacy(const char *templates_dir, const char *name)
{
	_cleanup_close_ int dfd = -EBADF, tfd = -EBADF;
	char fn[64], old[80];
	int r;

	if (!name_is_valid(name))
		return -EINVAL;
	dfd = open(templates_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	template_tree_name(name, fn, sizeof(fn));
	r = exists_at(dfd, fn);
	if (r <= 0)
		return r;
	r = template_trees_open(dfd, true, &tfd);
	if (r < 0)
		return r;
	snprintf(old, sizeof(old), "%s%s", fn, TEMPLATE_UNSHIFTED_SUFFIX);
	/* what an earlier retire moved there is older still: this one replaces it */
	r = rm_if_there(tfd, old);
	if (r < 0)
		return r;
	/* A rename, not a removal: VPSes started before the upgrade keep it as their lower layer
	 * until they stop; behind the 0700 trees directory no host user reaches it meanwhile. */
	if (renameat(dfd, fn, tfd, old) < 0)
		return errno == ENOENT ? 0 : -errno;
	(void)fsync(dfd);
	return 1;
}

int template_tree_locate(const char *templates_dir, const char *name, int *ret_trees_fd,
                         char *ret_fn, size_t fnlen, char *ret_path, size_t len)
{
	_cleanup_close_ int dfd = -EBADF;
	_cleanup_free_ char *abs = NULL;
	int r;

	if (!name_is_valid(name))
		return -EINVAL;
	r = template_store_open(templates_dir, &dfd, &abs);
	if (r < 0)
		return r;
	r = template_trees_open(dfd, true, ret_trees_fd);
	if (r < 0)
		return r;
	template_tree_name(name, ret_fn, fnlen);
	r = snprintf(ret_path, len, "%s/%s/%s", abs, TEMPLATE_TREES_DIR, ret_fn);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

int template_shared_tree_find(const char *templates_dir, const char *name, char *ret_path,
                              size_t len)
{
	_cleanup_close_ int tfd = -EBADF;
	char fn[64];
	int r = template_tree_locate(templates_dir, name, &tfd, fn, sizeof(fn), ret_path, len);

	return r < 0 ? r : exists_at(tfd, fn);
}
