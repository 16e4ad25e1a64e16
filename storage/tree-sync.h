/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A copy of a tree kept up with it (a backup's short freeze, backup-stage.c): a first pass
 * copies everything while the tree still changes, skipping what vanishes under it; the
 * second, with the tree still, copies again only what changed since the first began (type,
 * size or mtime differ, or the ctime, which no tenant can set, is from then on) and removes
 * what is gone. Nothing is followed (tree_copy_at's rules), and hard links stay links.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct tree_sync_link;
struct tree_sync {
	struct timespec since; /* the first pass's start (zero in the first pass) */
	int droot;             /* the directory dname is in: hard links are made from it */
	struct tree_sync_link *links;
	size_t n_links, cap_links;
	uint64_t copied, removed; /* entries copied and removed by the pass */
};

/* One pass: ddir/dname made or brought to what sdir/sname (a directory) holds now. ts->since
 * and ts->droot (== ddir) set by the caller; the rest zero. */
int tree_sync_at(int sdir, const char *sname, int ddir, const char *dname, struct tree_sync *ts);
/* Frees what a pass kept; since and droot stay. */
void tree_sync_reset(struct tree_sync *ts);
