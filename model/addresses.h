/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node's address index: which VPS holds which address. */
#pragma once

#include <stddef.h>

#include "config.h"
#include "paths.h"

/* Checks addresses against the node's subnets and claims them in the node's address index
 * (no two VPSes share one). */
int vps_addresses_claim(const struct vps_paths *p, const struct vps_config *cfg,
                        const struct node_config *node, struct vps_error *err);
/* Releases NAME's claims on the addresses in ip_list (destroy, --ip-del). */
void vps_addresses_release(const struct vps_paths *p, const char *name,
                           const struct netsetup_addr_list *l);
