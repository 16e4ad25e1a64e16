/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VPS's addresses announced from its own eth0 after it moved to this node (a migration):
 * gratuitous ARP for IPv4, unsolicited neighbour advertisements for IPv6, so that the
 * neighbours (the bridge's, the node's) find it behind its new port at once. */
#pragma once

#include <sys/types.h>

#include "config.h"
#include "error.h"

/* Sent from init's network namespace, a few times each; 0 when the VPS has no address. */
int vps_net_announce(pid_t init, const struct vps_config *cfg, struct vps_error *err);
