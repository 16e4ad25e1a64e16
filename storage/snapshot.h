/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshots of a stopped VPS's storage, kept in VPSDIR/snapshots/SNAP (0700, root's): copy
 * storage, a full copy of rootfs (each file reflinked where the file system can, else copied:
 * as large as the root filesystem); overlay, a copy of the upper layer (the VPS's changes only);
 * a disk image, a reflink of disk.img, else its sparse copy. Each is built under a hidden name
 * and renamed into place, so a snapshot is whole or absent; a delete renames it away first. A
 * rollback copies the snapshot beside the live storage (VPSDIR/.rollback) and swaps them by one
 * RENAME_EXCHANGE: the VPS holds the old storage or the snapshot's, never a mix. Hidden
 * leftovers of a command cut short are removed by the next snapshot command.
 */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "error.h"

enum vps_snapshot_kind {
	VPS_SNAPSHOT_ROOTFS, /* copy storage: rootfs */
	VPS_SNAPSHOT_UPPER,  /* overlay: upper */
	VPS_SNAPSHOT_IMAGE,  /* a disk image: disk.img */
	_VPS_SNAPSHOT_KIND_MAX,
};

/* "rootfs", "upper", "disk.img": the entry of the VPS directory a snapshot holds. */
const char *vps_snapshot_entry(enum vps_snapshot_kind k);
/* What a snapshot of the VPS in the open directory vpsdir holds. */
int vps_snapshot_kind_of(int vpsdir, const struct vps_config *cfg, enum vps_snapshot_kind *ret);

/* Snapshot snap of the stopped VPS; -EEXIST when it exists. *ret_reflinked: a disk image
 * reflinked (no block copied). */
int vps_snapshot_create(int vpsdir, const struct vps_config *cfg, const char *snap,
                        bool *ret_reflinked, struct vps_error *err);
/* The stopped VPS's storage replaced by a copy of snapshot snap (which stays). */
int vps_snapshot_rollback(int vpsdir, const struct vps_config *cfg, const char *snap,
                          struct vps_error *err);
/* -ENOENT when there is no such snapshot. */
int vps_snapshot_delete(int vpsdir, const char *snap, struct vps_error *err);
/* The open snapshots directory (-ENOENT: none made yet). */
int vps_snapshot_dir_open(int vpsdir);
