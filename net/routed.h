/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Routed mode (NET_MODE=routed), the node's side beyond the veth: the node answers ARP/NDP
 * for a routed VPS's addresses on UPLINK (proxy entries), forwards between the uplink and the
 * VPS, and removes the entries of VPSes that are gone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "netsetup.h"

/* Forwarding on the uplink (and IPv6 forwarding and proxy_ndp when addrs hold IPv6), then a
 * proxy entry per address. Nothing without UPLINK (the ranges are routed to the node). */
int vps_routed_uplink_add(const struct node_config *node, const struct netsetup_addr *addrs,
                          size_t n, struct vps_error *err);
/* The proxy entries of a stopped VPS's addresses (inside ROUTED_RANGES), each unless a host
 * route of another VPS leads to it: its own, not the node's (no dump). */
void vps_routed_uplink_del(const struct node_config *node, const struct netsetup_addr *addrs,
                           size_t n);
/* A live address change: routes then proxy entries for what is added; proxy entries then
 * routes for what is removed. */
int vps_routed_update(const struct node_config *node, const char *host_if,
                      const struct netsetup_addr_list *old, const struct netsetup_addr_list *new);
/* Removes the proxy entries on UPLINK, inside ROUTED_RANGES, whose address no routed VPS's
 * host route (protocol NETSETUP_RTPROT) leads to any more: what a crash or a kill -9 left
 * (a start and a stop touch only their own entries; this full scan is `net check`'s). fn (may be
 * NULL) is told each one before it goes; with repair false nothing is removed. Returns how many
 * there were, or -errno. */
typedef void (*vps_routed_stale_fn)(const struct netsetup_addr *a, void *userdata);
int vps_routed_sweep(const struct node_config *node, bool repair, vps_routed_stale_fn fn,
                     void *userdata);
/* Whether a host route of ours to a leads over host_if (1), not (0), or -errno. */
int vps_routed_has_route(const char *host_if, const struct netsetup_addr *a);
/* Whether UPLINK has a proxy entry for a (1), not (0), or -errno. */
int vps_routed_has_proxy(const struct node_config *node, const struct netsetup_addr *a);
