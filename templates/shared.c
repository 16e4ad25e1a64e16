/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared trees of overlay storage and template removal. NAME.rootfs is the template
 * unpacked once, with the same hostile-input rules as a VPS's own copy, and then only ever read
 * (it is every overlay VPS's lower layer). Which VPS uses what is the runtime's knowledge: the
 * callers check before they remove.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"
#include "template-internal.h"

static void tree_name(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s.rootfs", name);
}

int template_shared_tree_exists_at(int dfd, const char *name)
{
	char fn[64];

	tree_name(name, fn, sizeof(fn));
	if (faccessat(dfd, fn, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
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

static int remove_tree_at(int dfd, const char *name)
{
	char fn[64];
	int r;

	tree_name(name, fn, sizeof(fn));
	r = rm_rf_at(dfd, fn);
	return r == -ENOENT ? 0 : r;
}

int template_shared_tree_remove(const char *templates_dir, const char *name)
{
	_cleanup_close_ int dfd = -EBADF;

	if (!name_is_valid(name))
		return -EINVAL;
	dfd = open(templates_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	return remove_tree_at(dfd, name);
}

int template_shared_tree(const char *templates_dir, const struct vps_template_meta *t,
                         char *ret_path, size_t len, char *ret_reason)
{
	_cleanup_close_ int dfd = -EBADF;
	_cleanup_free_ char *abs = NULL;
	struct stat st;
	char fn[64];
	int r;

	if (ret_reason)
		ret_reason[0] = '\0';
	if (!name_is_valid(t->name))
		return -EINVAL;
	r = template_store_open(templates_dir, &dfd, &abs);
	if (r < 0)
		return r;
	tree_name(t->name, fn, sizeof(fn));
	r = snprintf(ret_path, len, "%s/%s", abs, fn);
	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	if (fstatat(dfd, fn, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	/* Unpack's temp dir + rename: a concurrent first use that won leaves us -EEXIST. */
	r = template_unpack(t->file, dfd, fn, NULL, ret_reason);
	if (r == -EEXIST)
		return 0;
	return r;
}

int template_remove(const char *templates_dir, const char *name)
{
	_cleanup_close_ int dfd = -EBADF;
	bool found = false;
	char fn[64];
	int r;

	if (!name_is_valid(name))
		return -EINVAL;
	dfd = open(templates_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* Metadata first: from then on lookup and list no longer see the template. */
	for (int i = -2; i < (int)ELEMENTSOF(template_suffixes); i++) {
		snprintf(fn, sizeof(fn), "%s%s", name,
		         i == -2   ? ".meta"
		         : i == -1 ? ".sha256"
		                   : template_suffixes[i]);
		if (unlinkat(dfd, fn, 0) == 0)
			found = true;
		else if (errno != ENOENT)
			return log_debug_errno(-errno, "Cannot remove '%s': %m", fn);
	}
	r = remove_tree_at(dfd, name);
	if (r < 0)
		return log_debug_errno(r, "Cannot remove the shared tree of '%s': %m", name);
	(void)fsync(dfd);
	return found ? 0 : -ENOENT;
}
