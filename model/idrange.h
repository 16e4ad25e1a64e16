/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The arithmetic of user-namespace id ranges (idmap.h allocates and checks them). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VPS_IDMAP_SIZE 65536U
/* Reserved for the shared template trees of overlay storage (templates/trees/NAME.rootfs): they
 * are unpacked with their ids shifted here and only ever seen through an id-mapped mount onto a
 * VPS's range (or 0.. for a privileged VPS). No VPS is given this block, so no tenant owns a
 * template file on the host. It is the block systemd calls its "foreign" range, which has the
 * same meaning: trees owned by it are never used unmapped. */
#define VPS_IDMAP_TEMPLATE_BASE 0x7FFE0000U

/* Whether base..base+65535 may be a VPS's range: above the host's own ids (0..65535), clear of
 * the template block, within 32 bits. Pure. */
bool vps_idmap_base_valid(uint64_t base);

/* The lowest free block at or above start (and above the host's own ids), given the bases in
 * use; never the template block. Pure. */
int vps_idmap_pick(uint64_t start, uint64_t limit, const uint64_t *used, size_t n,
                   uint64_t *ret_base);
