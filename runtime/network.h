/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VPS's network as the runtime sees it: its config turned into netsetup calls. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "netsetup.h"
#include "paths.h"

#define VPS_NET_MAX_ADDRS (2 * NETSETUP_MAX_ADDRS)

/* Parses a space-separated CIDR list ("10.77.0.2/24 fd77::2/64"). */
int vps_net_parse_addrs(const char *list, struct netsetup_addr *addrs, size_t max, size_t *ret_n);
/* The node end of the veth: "veth-NAME", or "veth-NAME4_HASH5" when NAME is too long. */
void vps_net_host_ifname(const char *name, char ret[NETSETUP_IFNAMSIZ]);
/* Checks addresses against the node's subnets and claims them in the node's address index
 * (no two VPSes share one). */
int vps_net_check(const struct vps_paths *p, const struct vps_config *cfg,
		  const struct node_config *node, char *err, size_t errlen);
/* Releases NAME's claims on the addresses in ip_list (destroy, --ip-del). */
void vps_net_release(const struct vps_paths *p, const char *name, const char *ip_list);
/* Node side of a start: bridge, veth with the peer in init's netns, filters, caps, routes, and
 * the node's services closed to VPSes (NODE_SERVICES). A VPS without addresses gets only its
 * loopback. */
int vps_net_plumb(const struct vps_paths *p, const struct vps_config *cfg,
		  const struct node_config *node, pid_t init_pid, char *err, size_t errlen);
/* The lock file of the node-services rules (netsetup_nodefw_add/prune), beside the VPS
 * locks in RUN/locks (root-only; made if missing). */
int vps_net_nodefw_lock(const struct vps_paths *p, char *buf, size_t len);
/* Removes what lives on the node after the VPS is gone (the IFB; a veth left behind; the
 * node-services rules once no VPS is left on their bridge). */
void vps_net_teardown(const struct vps_paths *p, const char *name);
/* Live change of a running VPS's addresses and bandwidth (old -> new config). */
int vps_net_update(const struct vps_config *old, const struct vps_config *new,
		   const struct node_config *node, pid_t init_pid, char *err, size_t errlen);
