/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --recover's wait for the VPS lock: as long as a live criu, dumping for a migrate that was
 * killed, holds it (migrate.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "lock.h"
#include "migrate.h"

/* Whether process dir (/proc/PID, open) has the file st open. */
static bool has_open(int dir, const struct stat *st)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd = openat(dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while ((de = readdir(d))) {
		struct stat s;

		if (isdigit((unsigned char)de->d_name[0]) &&
		    fstatat(dirfd(d), de->d_name, &s, 0) == 0 && s.st_dev == st->st_dev &&
		    s.st_ino == st->st_ino)
			return true;
	}
	return false;
}

/* A live criu with the lock file st open (the fd it inherited from migrate): its pid, 0 when
 * there is none. */
static pid_t criu_holding(const struct stat *st)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		_cleanup_close_ int dir = -EBADF;
		char comm[32] = "";
		ssize_t n;
		int fd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		dir = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fd = dir < 0 ? -1 : openat(dir, "comm", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (n > 0 && strcmp(comm, "criu\n") == 0 && has_open(dir, st))
			return (pid_t)atoi(de->d_name);
	}
	return 0;
}

int migrate_recover_lock(const struct cli *c, const char *name)
{
	char path[PATH_MAX];
	pid_t said = 0;
	int fd;

	if (vps_lock_path(&c->paths, name, path, sizeof(path)) < 0)
		return cli_lock(c, name);
	for (;;) {
		struct stat st;
		pid_t pid;

		fd = vps_lock(&c->paths, name, 0);
		if (fd != -EWOULDBLOCK || stat(path, &st) < 0)
			break;
		pid = criu_holding(&st);
		if (pid <= 0)
			break;
		if (pid != said)
			fprintf(stderr,
			        "vpsctl: %s: waiting for criu (pid %d), still dumping it for the "
			        "migrate that was cut short\n",
			        name, (int)pid);
		said = pid;
		fd = vps_lock(&c->paths, name, 1);
		if (fd != -EWOULDBLOCK)
			break;
	}
	if (fd >= 0)
		return fd;
	/* anyone else: the wait and the refusal of every command */
	return cli_lock(c, name);
}
