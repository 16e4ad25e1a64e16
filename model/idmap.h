/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * User-namespace id ranges: every VPS gets its own disjoint block of 65536 host ids, root in
 * the VPS being the block's first id. The allocation is the UID_BASE key of each vps.conf, so
 * it survives a node reboot and is freed when the VPS is destroyed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "idrange.h"
#include "paths.h"

/* Allocates a block for a new VPS, under the node-wide idmap lock (returned in *ret_lock,
 * held until the new vps.conf is in place). */
int vps_idmap_allocate(const struct vps_paths *p, const struct node_config *node,
                       uint64_t *ret_base, int *ret_lock);
/* Refuses (-EEXIST, err naming the VPS) a cfg whose range overlaps another VPS's, as a hand
 * edit of UID_BASE can make it: two VPSes sharing ids could reach each other's files. */
int vps_idmap_check(const struct vps_paths *p, const struct node_config *node,
                    const struct vps_config *cfg, struct vps_error *err);
/* A migrating VPS keeps its ids (its processes arrive with them: criu's images hold the
 * user namespace's map and host-side owners): under the same lock as an allocation, refuses
 * (err) a range outside this node's or overlapping another VPS's. */
int vps_idmap_keep(const struct vps_paths *p, const struct node_config *node,
                   const struct vps_config *cfg, int *ret_lock, struct vps_error *err);
/* Writes pid's uid_map and gid_map: count VPS_IDMAP_SIZE ids from inside onto base.. */
int vps_idmap_write(pid_t pid, uint64_t inside, uint64_t base);
