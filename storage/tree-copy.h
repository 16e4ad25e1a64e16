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

/* id moved by s (unchanged outside its from range). */
uint64_t tree_shift_id(uint64_t id, const struct tree_shift *s);
/* An xattr value whose bytes name host ids (a v3 file capability's root, a POSIX ACL's named
 * users and groups), moved by s in place; other names are left alone. */
void tree_shift_xattr(const char *name, char *val, ssize_t len, const struct tree_shift *s);
/* Moves the owners (and the ids in xattrs) of every entry under the open directory dirfd, itself
 * included, from s's range to its new one, in place, following nothing: for a tree only the
 * caller can reach (a clone's disk image, mounted privately). Modes (setuid bits, which chown
 * drops) and file capabilities are put back. Idempotent for disjoint ranges, so hard links
 * are no matter. */
int tree_shift_in_place(int dirfd, const struct tree_shift *s);

/* Copies sdir/sname (any type, not followed) to ddir/dname, which must not exist. */
int tree_copy_at(int sdir, const char *sname, int ddir, const char *dname,
                 const struct tree_shift *shift);

/* xattrs, owner, mode and times of the open sfd (st: its stat) onto the open dfd. */
struct stat;
int tree_copy_meta(int sfd, int dfd, const struct stat *st);

/* Whether path may name something to keep (reinstall --keep): absolute, normalized, no "."
 * or ".." component, not "/" itself. */
int tree_keep_path_valid(const char *path);
/* Copies path from the root sroot into the root droot (replacing what the new root has
 * there): its parent resolves inside each root (open_in_root), the entry itself is not
 * followed; missing parents in droot are made 0755, owned by uid:gid. -ENOENT when sroot
 * has no such entry. */
int tree_keep_path(int sroot, int droot, const char *path, uid_t uid, gid_t gid);
