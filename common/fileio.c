/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

int write_all(int fd, const void *data, size_t len)
{
	const char *buf = data;

	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const char *content, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;
	int r;

	r = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", name, (int)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return -ENAMETOOLONG;
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = write_all(fd, content, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return r;
	}
	/* Make the rename itself durable; a failure here leaves a complete file either way. */
	if (dirfd == AT_FDCWD || fsync(dirfd) < 0) {
		_cleanup_close_ int dfd = -EBADF;
		char dir[PATH_MAX];
		const char *slash = strrchr(name, '/');

		if (dirfd != AT_FDCWD && !slash)
			return 0;
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - name) : 1,
		         slash ? name : ".");
		dfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			(void)fsync(dfd);
	}
	return 0;
}

ssize_t read_kernel_text_at(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -EBADF;
	ssize_t n;

	if (size < 2)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* a full buffer may have more behind it */
	if ((size_t)n == size - 1)
		return -EFBIG;
	buf[n] = '\0';
	return n;
}

int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = max < 4096 ? max : 4096;

	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= max) {
				char probe;

				if (read(fd, &probe, 1) != 0)
					return -EFBIG;
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_fd_all(fd, max, ret, ret_len);
}

int write_string_at(int dirfd, const char *path, const char *s)
{
	_cleanup_close_ int fd = -EBADF;
	size_t len = strlen(s);
	ssize_t n;

	fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

DIR *opendir_dup(int fd)
{
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *d;

	if (dfd < 0)
		return NULL;
	d = fdopendir(dfd);
	if (!d) {
		int saved = errno;

		close(dfd);
		errno = saved;
	}
	return d;
}

/* One removal walk: rm_rf_at (everything) or rmdir_tree_at (directories only). */
struct rm_walk {
	bool dirs_only;
	unsigned max_depth;
	dev_t dev; /* the top's filesystem: nothing mounted below it is entered */
};

static int rm_entry(int fd, const char *name, struct rm_walk *w, unsigned depth);

static int rm_children(int fd, struct rm_walk *w, unsigned depth)
{
	_cleanup_closedir_ DIR *d = opendir_dup(fd);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		int k;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* cgroupfs: a group's files cannot be unlinked and go with it (no stat needed) */
		if (w->dirs_only && de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		k = rm_entry(fd, de->d_name, w, depth);
		if (k < 0 && r == 0)
			r = k;
	}
	if (errno && r == 0)
		r = -errno;
	return r;
}

/* fd/name at depth (0: the top), never through a symlink or a mount. */
static int rm_entry(int fd, const char *name, struct rm_walk *w, unsigned depth)
{
	_cleanup_close_ int cfd = -EBADF;
	struct stat st;
	int r;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode)) {
		if (w->dirs_only)
			return depth == 0 ? -ENOTDIR : 0;
		return unlinkat(fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	}
	if (depth == 0)
		w->dev = st.st_dev;
	else if (st.st_dev != w->dev)
		return -EBUSY; /* something is mounted here: never delete through it */
	if (depth > w->max_depth)
		return -ELOOP;
	cfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = rm_children(cfd, w, depth + 1);
	if (r < 0)
		return r;
	return unlinkat(fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

int rm_rf_at(int dirfd, const char *name)
{
	struct rm_walk w = {.max_depth = UINT_MAX};

	return rm_entry(dirfd, name, &w, 0);
}

int rmdir_tree_at(int dirfd, const char *name)
{
	struct rm_walk w = {.dirs_only = true, .max_depth = RMDIR_TREE_MAX_DEPTH};

	return rm_entry(dirfd, name, &w, 0);
}

int open_in_root(int rootfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

int proc_start_time(pid_t pid, unsigned long long *ret)
{
	return proc_stat(pid, ret, NULL, NULL);
}

int proc_stat(pid_t pid, unsigned long long *ret_start, char *ret_state, pid_t *ret_ppid)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	const char *p;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_file_at(AT_FDCWD, path, 4096, &buf, NULL);
	if (r < 0)
		return r;
	/* comm may hold spaces and parens: fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == '\0')
		return -EIO;
	if (ret_state)
		*ret_state = p[2];
	if (ret_ppid && sscanf(p + 3, " %d", ret_ppid) != 1)
		return -EIO;
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	if (sscanf(p, " %llu", ret_start) != 1)
		return -EIO;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int close_all_but(const int *keep, size_t n)
{
	int sorted[64];
	unsigned int from = 3;

	if (n > ELEMENTSOF(sorted))
		return -E2BIG;
	memcpy(sorted, keep, n * sizeof(*keep));
	qsort(sorted, n, sizeof(*sorted), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (sorted[i] < (int)from)
			continue;
		if ((unsigned int)sorted[i] > from &&
		    syscall(SYS_close_range, from, (unsigned int)sorted[i] - 1, 0) < 0)
			return -errno;
		from = (unsigned int)sorted[i] + 1;
	}
	return syscall(SYS_close_range, from, ~0U, 0) < 0 ? -errno : 0;
}

int fd_wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}
