/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block devices that hold a VPS's storage, for its I/O throttle and counters: the loop
 * device of its disk image, else the disk under the file system of its directory (copy and
 * overlay storage).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Whole devices (the throttle refuses a partition: its disk stands for it), at most max, into
 * ret. disk: DIR/disk.img is the VPS's root, and its loop device the one device (-ENODEV when
 * none holds it: not running). A file system on no block device (tmpfs, btrfs subvolumes)
 * adds none. */
int vps_storage_io_devices(const char *dir, bool disk, dev_t *ret, size_t max, size_t *ret_n);
/* "7:3" (or "loop3 (7:3)" when sysfs names it) for messages. */
const char *vps_storage_dev_name(dev_t dev, char *buf, size_t len);

struct vps_cgroup;
struct vps_quota;
struct vps_error;
struct vps_cgroup_stats;
/* The io_* counters of st narrowed to the devices of the VPS in dir, so an image's I/O counts
 * once (on its loop device); where they cannot be found st keeps every device's sum. */
void vps_storage_io_counters(struct vps_cgroup *cg, const char *dir, bool disk,
                             struct vps_cgroup_stats *st);
/* The I/O throttle of q on the devices of the VPS in dir (vps_cgroup_io_limit): at every
 * start, once its disk image is attached, and in a live resize. A limit no device can take
 * (storage on no block device) is refused rather than dropped. */
int vps_storage_io_limit(struct vps_cgroup *cg, const char *dir, bool disk,
                         const struct vps_quota *q, struct vps_error *err);
/* Whether the scheduler of the disk under dir ignores io weights (v1: only bfq reads them): 1
 * with why ("vda (254:0) runs mq-deadline"), 0 when it honours them, -errno. A disk image's loop
 * device does not count: it schedules nothing, its I/O is weighed on that disk, charged to the
 * VPS's group. */
int vps_storage_io_weight_ignored(const char *dir, char *why, size_t len);
