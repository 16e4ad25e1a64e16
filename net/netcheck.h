/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vpsctl net check`: whether the node-side plumbing of a running VPS is what its vps.conf
 * says (bridge, veth, routes, proxy entries, filters, caps, node-services rules), one line per
 * discrepancy, and the repair: everything re-made, idempotently. The checks are a table:
 * another piece of plumbing (a NAT uplink, port forwards) adds a row.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "paths.h"

/* name: the VPS, NULL for the node as a whole; what: one line, no trailing period. */
typedef void (*vps_net_report_fn)(const char *name, const char *what, void *userdata);

/* Reports each discrepancy of a running VPS (init_pid) and returns how many, or -errno. */
int vps_net_check(const struct vps_config *cfg, const struct node_config *node, pid_t init_pid,
                  vps_net_report_fn fn, void *userdata);
/* Re-makes a running VPS's plumbing (the bridge brought up with NODE_ADDRESS if it lacks
 * them, then vps_net_make). */
int vps_net_repair(const struct vps_paths *p, const struct vps_config *cfg,
                   const struct node_config *node, pid_t init_pid, struct vps_error *err);
/* What belongs to no running VPS: proxy entries left by a crash. With repair, removed, and
 * the node-services elements of interfaces gone (a crashed routed VPS's; harmless, not
 * reported). */
int vps_net_check_node(const struct vps_paths *p, const struct node_config *node, bool repair,
                       vps_net_report_fn fn, void *userdata);
