/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAT uplink and port forwards of a VPS (vpsctl.conf's NAT and UPLINK, vps.conf's FORWARDS)
 * turned into netsetup_nat_* calls: made at every start (each boot plumbs), changed live by
 * resize, removed at stop, checked and re-made by `net check`.
 */
#pragma once

#include "config.h"
#include "paths.h"

/* NAT="yes" on a bridged VPS: net.ipv4.ip_forward on and the masquerade of NODE_ADDRESS's
 * IPv4 subnets out of UPLINK; then the VPS's forwards (refused with the reason when the node
 * does not allow them). */
int vps_nat_make(const struct vps_paths *p, const struct vps_config *cfg,
                 const struct node_config *node, struct vps_error *err);
/* The VPS's forwards go; the table goes with the last VPS on the bridge. */
void vps_nat_remove(const struct vps_paths *p, const struct node_config *node, const char *name);
/* A running VPS's forwards changed (or the address they go to): its chain is refilled. */
int vps_nat_update(const struct vps_paths *p, const struct vps_config *old,
                   const struct vps_config *new, const struct node_config *node,
                   struct vps_error *err);
/* The IPv4 address forwards go to: the VPS's first; NULL if it has none. */
const struct netsetup_addr *vps_nat_target(const struct vps_config *cfg);
