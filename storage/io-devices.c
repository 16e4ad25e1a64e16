/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "disk.h"
#include "fileio.h"
#include "io-devices.h"
#include "parse.h"

/* A partition's disk: sysfs puts the partition's directory inside its disk's. */
static int whole_disk(dev_t dev, dev_t *ret)
{
	_cleanup_free_ char *real = NULL, *s = NULL;
	char path[PATH_MAX];
	unsigned maj, min;
	char *slash;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", major(dev), minor(dev));
	if (access(path, F_OK) < 0) {
		*ret = dev;
		return errno == ENOENT ? 0 : -errno;
	}
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	real = realpath(path, NULL);
	if (!real)
		return -errno;
	slash = strrchr(real, '/');
	if (!slash)
		return -EINVAL;
	snprintf(path, sizeof(path), "%.*s/dev", (int)(slash - real), real);
	if (read_file_at(AT_FDCWD, path, 64, &s, NULL) < 0 || sscanf(s, "%u:%u", &maj, &min) != 2)
		return -ENODEV;
	*ret = makedev(maj, min);
	return 0;
}

static int add(dev_t dev, dev_t *ret, size_t max, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		if (ret[i] == dev)
			return 0;
	if (*n >= max)
		return -E2BIG;
	ret[(*n)++] = dev;
	return 0;
}

int vps_storage_io_devices(const char *dir, bool disk, dev_t *ret, size_t max, size_t *ret_n)
{
	struct stat st;
	dev_t dev;
	int r;

	*ret_n = 0;
	/* An image's I/O all passes its loop device, which issues it to the disk below charged
	 * to the same group: a rule on that disk too would throttle each request twice in a row
	 * (a synchronous 2M/s write measured 1M/s). */
	if (disk) {
		r = vps_disk_loop_dev(dir, &dev);
		return r < 0 ? r : add(dev, ret, max, ret_n);
	}
	if (stat(dir, &st) < 0)
		return -errno;
	if (major(st.st_dev) == 0)
		return 0; /* an anonymous device: no block device to throttle */
	r = whole_disk(st.st_dev, &dev);
	if (r == 0)
		r = add(dev, ret, max, ret_n);
	return r;
}

const char *vps_storage_dev_name(dev_t dev, char *buf, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	n = readlink(path, real, sizeof(real) - 1);
	if (n <= 0) {
		snprintf(buf, len, "%u:%u", major(dev), minor(dev));
		return buf;
	}
	real[n] = '\0';
	snprintf(buf, len, "%s (%u:%u)", strrchr(real, '/') ? strrchr(real, '/') + 1 : real,
	         major(dev), minor(dev));
	return buf;
}

static bool any_limit(const struct vps_quota *q)
{
	const uint64_t v[] = {q->io_read_bps, q->io_write_bps, q->io_read_iops, q->io_write_iops};

	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		if (v[i] != 0 && v[i] != VALUE_UNLIMITED)
			return true;
	return false;
}

int vps_storage_io_limit(struct vps_cgroup *cg, const char *dir, bool disk,
                         const struct vps_quota *q, struct vps_error *err)
{
	dev_t devs[VPS_IO_DEV_MAX] = {0};
	size_t n = 0;
	int r;

	/* no limit: no device to find, and whatever rule the group still holds goes */
	if (any_limit(q)) {
		r = vps_storage_io_devices(dir, disk, devs, ELEMENTSOF(devs), &n);
		if (r < 0)
			return vps_error_errno(err, r, "cannot find the block devices of %s", dir);
		if (n == 0)
			return vps_error_set(
				err, -ENODEV,
				"the I/O limits need a block device, and %s is on none "
				"(use --disk)",
				dir);
	}
	r = vps_cgroup_io_limit(cg, q, devs, n, err);
	return r < 0 ? vps_error_prefix(err, r, "failed to set the I/O limits") : 0;
}

int vps_storage_io_weight_ignored(const char *dir, char *why, size_t len)
{
	dev_t devs[VPS_IO_DEV_MAX] = {0};
	size_t n;
	int r;

	r = vps_storage_io_devices(dir, false, devs, ELEMENTSOF(devs), &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char sched[32], name[64];

		if (vps_io_scheduler_weights(devs[i], sched, sizeof(sched)) != 0)
			continue;
		snprintf(why, len, "%s runs %s", vps_storage_dev_name(devs[i], name, sizeof(name)),
		         sched);
		return 1;
	}
	return 0;
}

void vps_storage_io_counters(struct vps_cgroup *cg, const char *dir, bool disk,
                             struct vps_cgroup_stats *st)
{
	struct vps_cgroup_stats mine = *st;
	dev_t devs[VPS_IO_DEV_MAX] = {0};
	size_t n;

	if (vps_storage_io_devices(dir, disk, devs, ELEMENTSOF(devs), &n) == 0 && n > 0 &&
	    vps_cgroup_io_stats(cg, devs, n, &mine) == 0)
		*st = mine;
}
