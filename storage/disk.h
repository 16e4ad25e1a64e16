/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Disk quota of a VPS (--disk SIZE): its root filesystem lives in VPSDIR/disk.img, an ext4
 * image of that size. The supervisor mounts it through a loop device as a detached mount
 * (nothing appears in the node's mount table) and hands it to init, which attaches it on
 * rootfs in the VPS's own mount namespace; when the VPS's last process is gone, the mount and
 * the loop device (autoclear) go with it. A running VPS's disk grows online.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* At create: makes VPSDIR/disk.img of size bytes and inodes inodes holding the tree at
 * VPSDIR/src (mkfs.ext4 -d), then empties src, which becomes the mount point (copy: rootfs;
 * overlay: disk, holding upper and work, overlay-image.c). src must be a directory, never a
 * symlink (refused: -ENOTDIR or -ELOOP); mkfs gets it and the image as /proc/self/fd/N. */
int vps_disk_create(int dir_fd, const char *src, uint64_t size, uint64_t inodes, uid_t root_owner,
                    struct vps_error *err);
/* Host side at start: a detached, nodev mount of rootfs's disk image (grown offline first if
 * the image is larger than its file system). */
int vps_disk_mount_detached(const char *rootfs, int *ret_fd);
/* Host side: grows the image and its file system to size bytes; a running VPS's online (that
 * needs CAP_SYS_RESOURCE: -EAGAIN when the node's root lacks it, and the file system then
 * grows at the next start). A smaller size shrinks it, only while stopped (-EBUSY running). */
int vps_disk_grow(const char *dir, pid_t init_pid, uint64_t size, struct vps_error *err);
/* Host side: a second, detached mount of the running VPS DIR's image (its super block, so it
 * sees what the VPS wrote), no mount of the VPS's on it: for a backup to read its files. */
int vps_disk_mount_running(const char *dir, int *ret_fd);
/* The loop device DIR/disk.img is attached to (found by its backing file); -ENODEV: none. */
int vps_disk_loop_dev(const char *dir, dev_t *ret);
/* Size and use, in bytes and inodes, of the mounted filesystem of a running VPS. */
int vps_disk_usage(pid_t init_pid, uint64_t *ret_size, uint64_t *ret_used, uint64_t *ret_inodes,
                   uint64_t *ret_inodes_used);

/* The disk quota of a new VPS (overlay-image.c), for create and reinstall:
 * vps_disk_prepare on the still-empty VPS directory picks project quotas where the node's file
 * system enforces them (cfg->disk_quota = project, limits set) and else an image
 * (cfg->disk_quota = image); vps_disk_finish, once the tree is in place, makes the image: copy
 * storage's rootfs, or an overlay's upper and work, which then live in the image's root,
 * mounted on VPSDIR/disk (VPS_DISK_OVERLAY_DIR). Both do nothing without cfg->disk. */
struct vps_config;
#define VPS_DISK_OVERLAY_DIR "disk"
int vps_disk_prepare(int dir_fd, struct vps_config *cfg, struct vps_error *err);
int vps_disk_finish(int dir_fd, const char *dir, const struct vps_config *cfg, uid_t root_owner,
                    struct vps_error *err);
/* Whether the VPS's disk quota is an image of its own (mounted at every start). */
bool vps_disk_is_image(const struct vps_config *cfg);
/* In a private mount namespace (init's, or a host-side child's): an overlay VPS's image
 * attached on VPSDIR/disk, from its detached mount mnt_fd, or mounted here when mnt_fd < 0. */
int vps_disk_attach_overlay(const char *rootfs, int mnt_fd, struct vps_error *err);
/* resize of a project-quota VPS (DISK_QUOTA=project): the limits of VPSDIR dir's project set
 * to cfg's DISK and inodes, running or not; a limit below its use is refused. */
int vps_disk_project_resize(const char *dir, const struct vps_config *cfg, struct vps_error *err);
/* Use and limits of the VPS's disk quota whichever way it is kept (0 = none): a project's from
 * quotactl, running or not; an image's from its mounted file system (init_pid > 0 only). */
struct vps_disk_use {
	uint64_t bytes_used, bytes_limit, inodes_used, inodes_limit;
};
int vps_disk_use(const char *dir, const struct vps_config *cfg, pid_t init_pid,
                 struct vps_disk_use *ret);
/* destroy: a project's limits dropped before its directory goes (best effort). */
void vps_disk_forget(const char *dir, const struct vps_config *cfg);
/* clone: the new (empty) directory gets a project quota of its own when cfg's is one (an
 * image is copied with the tree). */
int vps_disk_clone_prepare(int dir_fd, const struct vps_config *cfg, struct vps_error *err);
