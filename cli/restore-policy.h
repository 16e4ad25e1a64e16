/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `vpsctl restore` takes from an archive's vps.conf: the archive is hostile input (its
 * tenant may have edited it and recomputed the unkeyed manifest), so isolation and limits
 * come from this node unless the operator says --trust-archive-config. */
#pragma once

#include <stdbool.h>

#include "config.h"

/* cfg made safe for this node: a user namespace (its id range is allocated later), NESTING,
 * SOCKETCALL and ANTISPOOF as create gives them, CAP_ADD no more than create's default (the
 * archive's intersected with it), every quota and PTYS no larger than the node's default (a
 * larger or unlimited one becomes the default), DISK no larger than DEFAULT_DISK (none becomes
 * it) and, when DISK changed, DEFAULT_DISK_INODES. */
void restore_policy_apply(struct vps_config *cfg, const struct node_config *node);
/* One line on stderr per key of vps.conf whose value differs between archive and safe: reset
 * (trusted false: the restored VPS has safe's) or taken from the archive (trusted true). */
int restore_policy_report(const char *name, const struct vps_config *archive,
                          const struct vps_config *safe, bool trusted);
