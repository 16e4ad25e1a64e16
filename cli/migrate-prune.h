/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files deleted on the source after a migration's pre-copy are deleted on the target too: the
 * source lists what its frozen tree holds (the manifest), the target removes what its copy
 * holds beyond it. Both walks are relative to the rootfs's dirfd and never follow a symbolic
 * link (the tenant's: one may point at any host path) nor cross a mount. No cli dependency:
 * the unit test links this file alone.
 */
#pragma once

#include <stddef.h>

/* Deeper entries are neither listed nor pruned (a tenant may build any depth). */
#define MIGRATE_PRUNE_MAX_DEPTH 128

/* Writes every path under rootfd ("etc", "etc/passwd", ...), each NUL-terminated, then the
 * end mark (an empty entry: a lone NUL), to out_fd. A symbolic link is listed, never entered.
 * 0 or -errno (then without the end mark). */
int migrate_manifest_write(int rootfd, int out_fd);

/* Reads a manifest from in_fd (at most max bytes): *ret is the buffer, *ret_len its length.
 * -EPROTO when it does not end in a NUL, -EFBIG when longer than max. */
int migrate_manifest_read(int in_fd, size_t max, char **ret, size_t *ret_len);

/* Removes each entry under rootfd whose path is not in the manifest: a directory with all
 * below it, a symbolic link itself (never what it points at). -EPROTO, nothing removed, when
 * the manifest lacks the end mark or holds an empty entry before it. *ret_removed counts the
 * entries removed (not what was under them). 0 or the first -errno (the walk goes on). */
int migrate_prune(int rootfd, const char *manifest, size_t len, unsigned *ret_removed);
