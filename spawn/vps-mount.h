/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS's mount tree, built by the child in its own mount namespace: rootfs bind, /proc, /sys,
 * a tmpfs /dev with only safe nodes, devpts, /dev/shm, /dev/console, then pivot_root. Paths
 * inside the rootfs are hostile (the customer shapes them between starts): mount targets are
 * resolved under the rootfs without following symlinks.
 */
#pragma once

#include <stdint.h>

#include "error.h"

/* Mount namespace: the VPS's (new). Makes the tree private and binds rootfs onto itself;
 * *ret_rootfd is the bind mount's root, which the next steps work from. Done while the
 * process still has the host's ids: with a user namespace, the path to rootfs may not be
 * searchable by the VPS's own root. On failure what names the step. */
int vps_mount_bind_root(const char *rootfs, int *ret_rootfd, struct vps_error *err);
/* Mount namespace: the VPS's, not yet pivoted. /proc, /sys, /dev under rootfd; console_path
 * is the pty slave to bind on /dev/console; the VPS's devpts holds at most ptys. */
int vps_mount_setup(int rootfd, const char *console_path, uint64_t ptys, struct vps_error *err);
/* Mount namespace: the VPS's. Makes rootfd "/" and detaches the host's root. */
int vps_mount_pivot(int rootfd, struct vps_error *err);
/* After pivot: masks sensitive /proc paths, makes /proc/sys and friends read-only. */
int vps_mount_harden(struct vps_error *err);
