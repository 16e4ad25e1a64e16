/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mounting a VPS's root filesystem in its own mount namespace (see storage.h for the layout). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* Mount namespace: the VPS's (new, not yet set up). Makes the tree private; an overlay is
 * mounted later by vps_storage_mount_idmapped. On failure what names the step. */
int vps_storage_mount_private(struct vps_error *err);

/* Overlay storage (every overlay VPS): the template's shared tree is owned on disk by the
 * template block (idmap.h), unreachable to host users, and the VPS's lower layer is a
 * read-only clone of it id-mapped onto the VPS's range (onto 0.. for a privileged VPS), so it
 * is never chowned and stays shared. */
bool vps_storage_idmapped(const struct vps_config *cfg);
/* Whether its rootfs is an overlay over the template's shared tree (else its own copy). */
bool vps_storage_is_overlay(const struct vps_config *cfg);
/* Host side (needs the host's CAP_SYS_ADMIN): the detached id-mapped clone of VPSDIR/lower.
 * -EUCLEAN when the tree is not owned by the template block (unpacked by an older vpsctl). */
int vps_storage_idmapped_lower(const char *rootfs, const struct vps_config *cfg, int *ret_fd);
/* In init, with the host's ids still: an O_PATH fd of VPSDIR for the step below. */
int vps_storage_open_dir(const char *rootfs, int *ret_fd);
/* In init, as the VPS's root (or the host's, privileged): attaches lower_fd on VPSDIR/lowermap
 * and mounts the overlay on VPSDIR/rootfs (userxattr with a user namespace, which has no
 * trusted.* xattrs), its layers in VPSDIR/disk when on_disk (the disk image, attached there
 * already), else in VPSDIR; *ret_rootfd is its root. */
int vps_storage_mount_idmapped(int dir_fd, int lower_fd, bool userns, bool on_disk, int *ret_rootfd,
                               struct vps_error *err);
