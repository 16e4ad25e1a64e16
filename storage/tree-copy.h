/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Copying a tree a tenant owned (reinstall --keep, clone): nothing is followed (a symlink is
 * copied as a symlink, every open is O_NOFOLLOW under a directory fd already inside the tree),
 * fifos are never opened, owners, modes, times and xattrs are kept, and ids of a VPS's range
 * can be moved onto another's on the way (for a clone). Hard links become separate files.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Host ids from..from+count-1 become to..: a VPS's range onto another's; count 0: unchanged. */
struct tree_shift {
	uint64_t from, to, count;
};

/* Copies sdir/sname (any type, not followed) to ddir/dname, which must not exist. */
int tree_copy_at(int sdir, const char *sname, int ddir, const char *dname,
                 const struct tree_shift *shift);

/* Whether path may name something to keep (reinstall --keep): absolute, normalized, no "."
 * or ".." component, not "/" itself. */
int tree_keep_path_valid(const char *path);
/* Copies path from the root sroot into the root droot (replacing what the new root has
 * there): its parent resolves inside each root (open_in_root), the entry itself is not
 * followed; missing parents in droot are made 0755, owned by uid:gid. -ENOENT when sroot
 * has no such entry. */
int tree_keep_path(int sroot, int droot, const char *path, uid_t uid, gid_t gid);
