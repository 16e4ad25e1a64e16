/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared trees of overlay storage and template removal. trees/NAME.rootfs is the template
 * unpacked once, with the same hostile-input rules as a VPS's own copy and its ids shifted into
 * the caller's block, and then only ever read (it is every overlay VPS's lower layer, id-mapped).
 * Which VPS uses what is the runtime's knowledge: the callers check before they remove.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"
#include "template-internal.h"

int template_shared_tree(const char *templates_dir, const struct vps_template_meta *t,
                         uid_t id_shift, char *ret_path, size_t len, char *ret_reason)
{
	struct template_unpack_opts uo = {.uid_shift = id_shift, .gid_shift = (gid_t)id_shift};
	_cleanup_close_ int tfd = -EBADF;
	struct stat st;
	char fn[64];
	int r;

	if (ret_reason)
		ret_reason[0] = '\0';
	r = template_tree_locate(templates_dir, t->name, &tfd, fn, sizeof(fn), ret_path, len);
	if (r < 0)
		return r;
	if (fstatat(tfd, fn, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	/* Unpack's temp dir + rename: a concurrent first use that won leaves us -EEXIST. */
	r = template_unpack(t->file, tfd, fn, &uo, ret_reason);
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
	r = template_shared_tree_remove_at(dfd, name);
	if (r < 0)
		return log_debug_errno(r, "Cannot remove the shared tree of '%s': %m", name);
	(void)fsync(dfd);
	return found ? 0 : -ENOENT;
}
