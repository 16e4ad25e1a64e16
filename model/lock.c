/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "lock.h"
#include "netsetup.h"

int vps_lock_path(const struct vps_paths *p, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/locks/%s.lock", p->run_base, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* True when fd still is the file at path (destroy may have unlinked it under us). */
static int still_linked(int fd, const char *path)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0)
		return -errno;
	if (stat(path, &b) < 0)
		return errno == ENOENT ? 0 : -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int vps_lock(const struct vps_paths *p, const char *name, unsigned timeout_sec)
{
	char path[PATH_MAX], dir[PATH_MAX + 8];
	struct timespec start, now;
	int r;

	r = vps_lock_path(p, name, path, sizeof(path));
	if (r < 0)
		return r;
	snprintf(dir, sizeof(dir), "%s/locks", p->run_base);
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		_cleanup_close_ int fd =
			open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			r = still_linked(fd, path);
			if (r < 0)
				return r;
			if (r > 0)
				return TAKE_FD(fd);
			continue;
		}
		if (errno != EWOULDBLOCK)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout_sec)
			return -EWOULDBLOCK;
		usleep(20 * 1000);
	}
}

void vps_lock_unlink(const struct vps_paths *p, const char *name)
{
	char path[PATH_MAX];

	if (vps_lock_path(p, name, path, sizeof(path)) == 0)
		(void)unlink(path);
}

int vps_nodefw_lock_path(const struct vps_paths *p, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s/locks", p->run_base);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s/" NETSETUP_NODEFW_LOCK_FILE, dir);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return mkdir_p(dir, 0700);
}
