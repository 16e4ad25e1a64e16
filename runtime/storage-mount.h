/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mounting a VPS's root filesystem in its own mount namespace (see storage.h for the layout). */
#pragma once

#include "config.h"

/* Mount namespace: the VPS's (new, not yet set up). Makes the tree private, then for overlay
 * storage mounts the overlay on rootfs (VPSDIR/rootfs). On failure what names the step. */
int vps_storage_mount(const struct vps_config *cfg, const char *rootfs, const char **what);
