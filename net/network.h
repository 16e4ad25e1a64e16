/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VPS's network as the runtime sees it: its config turned into netsetup calls. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "netsetup.h"
#include "paths.h"

/* Node side of a start: bridge, veth with the peer in init's netns, filters, caps, routes, and
 * the node's services closed to VPSes (NODE_SERVICES). A VPS without addresses gets only its
 * loopback. */
int vps_net_plumb(const struct vps_paths *p, const struct vps_config *cfg,
                  const struct node_config *node, pid_t init_pid, struct vps_error *err);
/* The same without removing what is there first: re-applies every piece (idempotent), what
 * `net check --repair` runs for a running VPS. */
int vps_net_make(const struct vps_paths *p, const struct vps_config *cfg,
                 const struct node_config *node, pid_t init_pid, struct vps_error *err);
/* Removes what lives on the node after the VPS is gone (the IFB; a veth left behind, its
 * traffic counted first; routed mode's proxy entries; the node-services rules once no VPS is
 * left on their bridge). */
void vps_net_teardown(const struct vps_paths *p, const struct node_config *node, const char *name);
/* An fd of init's network namespace: while it is open the VPS's veth outlives init, so the
 * next plumb or the teardown can count what it carried. -errno if init is gone. */
int vps_net_hold(pid_t init_pid);
/* Live change of a running VPS's addresses, bandwidth and forwards (old -> new config). */
int vps_net_update(const struct vps_paths *p, const struct vps_config *old,
                   const struct vps_config *new, const struct node_config *node, pid_t init_pid,
                   struct vps_error *err);
