/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Editing files of an existing VPS root (vpsctl set, reinstall): whole-file replacement by a
 * temp file and a rename in the same directory, so a symlink, a fifo or a hard link the tenant
 * planted at the name is replaced, never written through; the directory itself is resolved
 * under the root (open_in_root) and refused when it is a symlink. What is read first (shadow)
 * must be a regular file. The text builders are pure (unit-tested).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Owner and mode a replaced file gets when the name held no regular file. */
struct rootfs_owner {
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

/* Reads dir/name under rootfd: a regular file of at most max bytes, not a symlink (-ELOOP),
 * fifo or device (-EINVAL). *ret_st (may be NULL) gets its owner and mode. */
int rootfs_read(int rootfd, const char *dir, const char *name, size_t max, char **ret,
                struct rootfs_owner *ret_owner);
/* Replaces dir/name under rootfd with text: a regular file keeps its owner and mode, anything
 * else at the name (nothing, a symlink, a fifo) is replaced by a file of def. A directory at
 * the name is -EISDIR; dir a symlink or not a directory is -ENOTDIR. */
int rootfs_replace(int rootfd, const char *dir, const char *name, const char *text,
                   const struct rootfs_owner *def);
/* The directory dir/name under rootfd, made with def's owner and mode when missing; a symlink
 * there is -ENOTDIR. */
int rootfs_make_dir(int rootfd, const char *dir, const char *name, const struct rootfs_owner *def);

/* Whether s is a crypt(3) hash this refuses nothing of: $1$ $5$ $6$ $y$ $gy$ $7$ $2b$ ... with
 * only the characters of their alphabets (never a plaintext password, a ':' or a newline). */
bool rootfs_crypt_hash_valid(const char *s);
/* shadow text with root's password field set to hash and its last-change day to day; a
 * shadow without a root line gets one. */
int rootfs_shadow_set_root(const char *shadow, const char *hash, long day, char **ret);
/* A resolv.conf: search domains (space-separated, may be empty), then name servers (space-
 * separated, may be empty: then old's nameserver lines are kept, old may be NULL). */
int rootfs_resolv_conf_build(const char *servers, const char *search, const char *old, char **ret);
