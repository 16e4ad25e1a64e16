/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Disk quota of a VPS (--disk SIZE): its root filesystem lives in VPSDIR/disk.img, an ext4
 * image of that size. The supervisor mounts it through a loop device as a detached mount
 * (nothing appears in the node's mount table) and hands it to init, which attaches it on
 * rootfs in the VPS's own mount namespace; when the VPS's last process is gone, the mount and
 * the loop device (autoclear) go with it. A running VPS's disk grows online.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* At create: makes VPSDIR/disk.img of size bytes holding the tree at VPSDIR/rootfs (mkfs.ext4
 * -d), then empties rootfs/, which becomes the mount point. */
int vps_disk_create(int dir_fd, const char *dir, uint64_t size, uid_t root_owner,
                    struct vps_error *err);
/* Host side at start: a detached, nodev mount of rootfs's disk image (grown offline first if
 * the image is larger than its file system). */
int vps_disk_mount_detached(const char *rootfs, int *ret_fd);
/* Host side: grows the image and its file system to size bytes; a running VPS's online (that
 * needs CAP_SYS_RESOURCE: -EAGAIN when the node's root lacks it, and the file system then
 * grows at the next start). */
int vps_disk_grow(const char *dir, pid_t init_pid, uint64_t size, struct vps_error *err);
/* The loop device DIR/disk.img is attached to (found by its backing file); -ENODEV: none. */
int vps_disk_loop_dev(const char *dir, dev_t *ret);
/* Size and use of the mounted filesystem of a running VPS. */
int vps_disk_usage(pid_t init_pid, uint64_t *ret_size, uint64_t *ret_used);
