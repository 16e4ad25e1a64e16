/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mounting a VPS's root filesystem in its own mount namespace (see storage.h for the layout). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* Mount namespace: the VPS's (new, not yet set up). Makes the tree private, then for overlay
 * storage mounts the overlay on rootfs (VPSDIR/rootfs). On failure what names the step. */
int vps_storage_mount(const struct vps_config *cfg, const char *rootfs, const char **what);

/* Overlay storage of a user-namespace VPS: the template's shared tree, owned by ids 0..65535,
 * is mounted id-mapped into the VPS's range, so it is never chowned and stays shared. */
bool vps_storage_idmapped(const struct vps_config *cfg);
/* Host side, once init's id maps are written: a detached, read-only clone of VPSDIR/lower
 * id-mapped through pid's user namespace (needs the host's CAP_SYS_ADMIN). */
int vps_storage_idmapped_lower(const char *rootfs, pid_t pid, int *ret_fd);
/* In init, with the host's ids still: an O_PATH fd of VPSDIR for the step below. */
int vps_storage_open_dir(const char *rootfs, int *ret_fd);
/* In init, as the VPS's root: attaches lower_fd on VPSDIR/lowermap and mounts the overlay on
 * VPSDIR/rootfs (userxattr: a user namespace has no trusted.* xattrs); *ret_rootfd is its
 * root. */
int vps_storage_mount_idmapped(int dir_fd, int lower_fd, int *ret_rootfd, const char **what);
