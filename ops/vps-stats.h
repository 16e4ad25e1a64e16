/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `vpsctl stats` reads of a running VPS: its cgroup's counters, its metered traffic and
 * its disk, and the one JSON object of them (ops_stats_json in ops.h writes it). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cgroup.h"
#include "config.h"
#include "list-usage.h"
#include "netsetup.h"
#include "ops.h"

struct vps_stats {
	char name[33];
	struct vps_cgroup_stats s;
	bool have_net;
	struct netsetup_link_stats net; /* the node end's orientation: rx is what the VPS sent */
	uint64_t period_start;          /* of the metered traffic (counters.h) */
	bool have_disk;
	uint64_t disk_size, disk_used;
};

/* The cgroup of NAME while it runs (node: what a node-wide reader opened once, NULL: by
 * path); -ESRCH when it is stopped, -EBADMSG with the reason when its state is unreadable. */
int ops_running_cgroup_open(const struct ops_ctx *c, struct vps_usage_node *node, const char *name,
                            struct vps_cgroup **ret, struct vps_error *err);
/* NAME's figures; -ESRCH ("not running") when it is stopped. */
int ops_stats_get(const struct ops_ctx *c, struct vps_usage_node *node, const char *name,
                  struct vps_stats *ret, struct vps_error *err);
/* Its JSON object (no newline). */
void ops_stats_object(FILE *f, const struct vps_stats *st);
