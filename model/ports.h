/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node's port index: which VPS a forwarded node port (FORWARDS) goes to. */
#pragma once

#include "config.h"
#include "paths.h"

/* Checks that cfg's forwards can be made (NAT="yes" and an UPLINK on the node, an IPv4
 * address on the VPS) and claims their node ports in the index (VAR/ports/PROTO:PORT): no two
 * VPSes forward one port. A refusal names the port and the VPS holding it. */
int vps_ports_claim(const struct vps_paths *p, const struct vps_config *cfg,
                    const struct node_config *node, struct vps_error *err);
/* Releases name's claims on the node ports of l (destroy, --forward-del). */
void vps_ports_release(const struct vps_paths *p, const char *name,
                       const struct netsetup_forward_list *l);
/* Whether the node and the VPS allow forwards at all; err says what is missing. */
int vps_ports_check(const struct vps_config *cfg, const struct node_config *node,
                    struct vps_error *err);
