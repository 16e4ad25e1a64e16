/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The capability policy of a VPS (without a user namespace: root inside is host root, so the
 * bounding set is all that stands between the customer and the kernel's privileged paths).
 * Masks are uint64_t with bit N = capability N (CAP_CHOWN = bit 0).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VPS_CAP_BIT(c) (UINT64_C(1) << (c))

/* The bounding set every VPS gets unless its config says otherwise; documented in caps.c. */
uint64_t vps_caps_default(void);
/* Capabilities no config can grant (each one is a way out of a VPS without a user namespace). */
uint64_t vps_caps_never(void);
/* Every capability this build knows (CAP_CHOWN .. CAP_LAST_CAP). */
uint64_t vps_caps_all(void);

/* Parses "NET_ADMIN,SYS_NICE", "cap_net_admin, CAP_SYS_NICE" or "all" (case-insensitive,
 * comma or blank separated, CAP_ prefix optional). "" is the empty set. -EINVAL on an unknown
 * name. */
int vps_caps_parse_list(const char *list, uint64_t *ret_mask);
/* Formats a mask as "CHOWN,KILL,..." (no CAP_ prefix, ascending). -ENAMETOOLONG if it does not
 * fit. */
int vps_caps_format_list(uint64_t mask, char *buf, size_t len);
/* The set a VPS keeps: (default + add) - drop. -EPERM when add holds a capability from the
 * never set (unless add is vps_caps_all(), which means "all that may be granted"). */
int vps_caps_keep_mask(uint64_t add, uint64_t drop, bool userns, uint64_t *ret_keep);
