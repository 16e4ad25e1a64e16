/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS's mount tree, built by the child in its own mount namespace: rootfs bind, /proc, /sys,
 * a tmpfs /dev with only safe nodes, devpts, /dev/shm, /dev/console, then pivot_root. Paths
 * inside the rootfs are hostile (the customer shapes them between starts): mount targets are
 * resolved under the rootfs without following symlinks.
 */
#pragma once

/* Mount namespace: the VPS's (new, not yet pivoted). console_path is the pty slave to bind on
 * /dev/console. On failure what names the step. */
int vps_mount_setup(const char *rootfs, const char *console_path, const char **what);
/* Mount namespace: the VPS's. Makes rootfs "/" and detaches the host's root. */
int vps_mount_pivot(const char *rootfs, const char **what);
/* After pivot: masks sensitive /proc paths, makes /proc/sys and friends read-only. */
int vps_mount_harden(const char **what);
