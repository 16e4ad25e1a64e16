/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "config.h"
#include "paths.h"

/* What every boot of a VPS checks beyond the loader (vps_config_load), the first one at
 * `vpsctl start` and each reboot inside again: the quotas, the id range against the other
 * VPSes', and the addresses against the node's subnets and the other VPSes' (claiming them). */
int vps_boot_check(const struct vps_paths *p, const struct vps_config *cfg,
                   const struct node_config *node, struct vps_error *err);
