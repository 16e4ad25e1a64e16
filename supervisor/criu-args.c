/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "criu-args.h"

void criu_args_init(struct criu_args *a)
{
	memset(a, 0, sizeof(*a));
}

void criu_args_add(struct criu_args *a, const char *s)
{
	size_t len = strlen(s) + 1;

	if (a->n >= CRIU_ARGS_MAX || a->used + len > sizeof(a->text)) {
		a->overflow = -E2BIG;
		return;
	}
	memcpy(a->text + a->used, s, len);
	a->v[a->n++] = a->text + a->used;
	a->used += len;
}

void criu_args_addf(struct criu_args *a, const char *fmt, ...)
{
	char buf[PATH_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		a->overflow = -E2BIG;
		return;
	}
	criu_args_add(a, buf);
}

char *const *criu_args_done(struct criu_args *a)
{
	if (a->overflow)
		return NULL;
	a->v[a->n] = NULL;
	return a->v;
}

/* A path of mountinfo as is: one with an escape (\040 ...) is not one of ours. */
static bool plain_path(const char *p)
{
	return p[0] == '/' && !strchr(p, '\\') && !strchr(p, ':') && !strchr(p, ',') &&
	       !strchr(p, ']');
}

static int add_key(char *keys, size_t len, const char *root)
{
	char line[PATH_MAX + 40];
	size_t have = strlen(keys);
	int n = snprintf(line, sizeof(line), "EXT_MOUNT=hostdev%s:/dev%s\n", root, root);

	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	if (strstr(keys, line))
		return 0;
	if (have + (size_t)n >= len)
		return -E2BIG;
	memcpy(keys + have, line, (size_t)n + 1);
	return 1;
}

int criu_host_dev_mounts(pid_t init, struct criu_args *a, char *keys, size_t keys_len)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], line[4096];
	struct stat dev;
	int count = 0;

	keys[0] = '\0';
	if (stat("/dev/null", &dev) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)init);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char root[1024], point[1024];
		int r;

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
		if (sscanf(line, "%*u %*u %u:%u %1023s %1023s", &maj, &min, root, point) != 4)
			continue;
		if (makedev(maj, min) != dev.st_dev || !plain_path(root) || !plain_path(point))
			continue;
		r = add_key(keys, keys_len, root);
		if (r < 0)
			return r;
		count += r;
		criu_args_add(a, "--external");
		criu_args_addf(a, "mnt[%s]:hostdev%s", point, root);
	}
	return a->overflow ? a->overflow : count;
}

/* Every entry of the directory dirfd (not below: criu's image directories are flat). */
static int chown_entries(int dirfd, uid_t uid, gid_t gid)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		int r = -errno;

		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (fchownat(dirfd, e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	return fchown(dirfd, uid, gid) < 0 ? -errno : 0;
}

int criu_images_chown(const char *dir, uid_t uid, gid_t gid)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* a pre-dump chain: dir/parent -> ../N, each a directory of the same images */
	for (unsigned depth = 0; depth < 16; depth++) {
		int r = chown_entries(fd, uid, gid);
		int parent;

		if (r < 0)
			return r;
		parent = openat(fd, "parent", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			return errno == ENOENT ? 0 : -errno;
		/* the link is "../N": the directory that holds the chain is crossed too */
		if (depth == 0 && fchownat(fd, "..", uid, gid, 0) < 0) {
			r = -errno;
			close(parent);
			return r;
		}
		close(fd);
		fd = parent;
	}
	return -ELOOP;
}
