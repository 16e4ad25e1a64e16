/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The marker of a migration in the VPS's directory (VPSDIR/migrate, KEY=value lines), as the
 * actions read it: a VPS moving in or out is refused by start, stop and the others, and shown
 * as "migrating" by list and status. The CLI's migrate writes and removes it (cli/migrate.h). */
#pragma once

#include "error.h"
#include "paths.h"

#define MIGRATE_MARKER "migrate"

struct migrate_marker {
	char role[16];  /* source | target */
	char phase[16]; /* source: precopy, frozen, commit */
	char dest[600];
};

/* -ENOENT when there is none. */
int ops_marker_read(const struct vps_paths *p, const char *name, struct migrate_marker *m);
/* The same, NAME/migrate read relative to base_fd, the VPS base directory a list opened once. */
int ops_marker_read_at(int base_fd, const char *name, struct migrate_marker *m);
/* 0 when NAME is not migrating; else -EBUSY with the reason (and how to finish it) in err. */
int ops_check_not_migrating(const struct vps_paths *p, const char *name, struct vps_error *err);
