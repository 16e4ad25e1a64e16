/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
/* The VPSes that start when the node boots (ONBOOT="yes"), in boot order: read by the systemd
 * generator and by `vpsctl autostart`, so both start the same VPSes in the same order. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "paths.h"

struct vps_onboot {
	char name[33];
	uint64_t order; /* BOOT_ORDER */
};

/* Called for a VPS whose vps.conf does not load: it is skipped, never fatal (a broken
 * VPS must not keep the others down at boot). */
typedef void (*vps_onboot_skip_fn)(const char *name, const char *why);

/* Every VPS with ONBOOT="yes", sorted by BOOT_ORDER and then by name. *ret is malloc'd. */
int vps_onboot_list(const struct vps_paths *p, const struct node_config *node,
                    vps_onboot_skip_fn skip, struct vps_onboot **ret, size_t *ret_n);

/* With at most `parallel` starts in flight, the VPS that the i-th must wait for (its start
 * begins once that one's has finished): the one `parallel` places before it, or none (-1). */
static inline long vps_onboot_after(size_t i, uint64_t parallel)
{
	return parallel && i >= parallel ? (long)(i - parallel) : -1;
}
