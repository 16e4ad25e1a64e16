/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small cgroupfs file helpers shared by both backends. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"

/* cgroup files are small; cgroup.procs of a big VPS is the largest we read. */
#define CG_READ_MAX (4U << 20)

int cg_read_string(int dfd, const char *file, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = read_file_at(dfd, file, CG_READ_MAX, &buf, &len);
	if (r < 0)
		return r;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	*ret = buf;
	return 0;
}

static int parse_limit(const char *s, uint64_t *ret)
{
	uint64_t v;
	int r;

	if (strcmp(s, "max") == 0 || strcmp(s, "-1") == 0) {
		*ret = VALUE_UNLIMITED;
		return 0;
	}
	r = parse_uint64(s, &v);
	if (r < 0)
		return r;
	*ret = v >= CG_V1_UNLIMITED_MIN ? VALUE_UNLIMITED : v;
	return 0;
}

int cg_read_record(int dfd, const char *file, char *buf, size_t size)
{
	ssize_t n = read_kernel_text_at(dfd, file, buf, size);

	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int cg_read_u64(int dfd, const char *file, uint64_t *ret)
{
	char s[128];
	int r;

	r = cg_read_record(dfd, file, s, sizeof(s));
	if (r < 0)
		return r;
	return parse_limit(s, ret);
}

/* "key value" lines (cpu.stat, memory.events, memory.oom_control, io.weight). */
int cg_parse_keyed(const char *buf, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *p = buf; *p;) {
		size_t line = strcspn(p, "\n");

		if (line > klen + 1 && strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			char val[32];
			size_t n = line - klen - 1;

			if (n >= sizeof(val))
				return -EINVAL;
			memcpy(val, p + klen + 1, n);
			val[n] = '\0';
			return parse_limit(val, ret);
		}
		p += line;
		if (*p)
			p++;
	}
	return -ENODATA;
}

int cg_read_keyed(int dfd, const char *file, const char *key, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	char small[4096];
	int r;

	r = cg_read_record(dfd, file, small, sizeof(small));
	if (r == 0)
		return cg_parse_keyed(small, key, ret);
	if (r != -EFBIG)
		return r;
	r = cg_read_string(dfd, file, &s); /* io.stat of many devices */
	if (r < 0)
		return r;
	return cg_parse_keyed(s, key, ret);
}

int cg_write(int dfd, const char *file, const char *value)
{
	/* a zero-length write never reaches the kernel's handler: "" (v2's "inherit the
	 * parent's CPUs" for cpuset.cpus) has to be sent as an empty line */
	int r = write_string_at(dfd, file, value[0] ? value : "\n");

	if (r < 0)
		return log_debug_errno(r, "cgroup: %s <- '%s' failed: %m", file, value);
	log_debug("cgroup: %s <- '%s'", file, value);
	return 0;
}

bool cg_word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " \n");

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, " \n");
	}
	return false;
}

bool cg_has_file(int dfd, const char *file)
{
	return dfd >= 0 && faccessat(dfd, file, F_OK, 0) == 0;
}

static int append_pids(int dfd, pid_t **pids, size_t *n)
{
	_cleanup_free_ char *buf = NULL;
	int r;

	r = cg_read_string(dfd, "cgroup.procs", &buf);
	if (r < 0)
		return r;
	for (char *line = buf, *next; line && *line; line = next) {
		uint64_t v;
		pid_t *np;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (parse_uint64_range(line, 1, INT32_MAX, &v) < 0)
			return -EINVAL;
		np = realloc(*pids, (*n + 1) * sizeof(pid_t));
		if (!np)
			return -ENOMEM;
		*pids = np;
		(*pids)[(*n)++] = (pid_t)v;
	}
	return 0;
}

static int collect_procs(int dfd, pid_t **pids, size_t *n, unsigned depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd, r;

	r = append_pids(dfd, pids, n);
	if (r < 0 || depth > 16)
		return r;
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int sub = -EBADF;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0) {
			if (errno == ENOENT)
				continue; /* removed meanwhile */
			return -errno;
		}
		r = collect_procs(sub, pids, n, depth + 1);
		if (r < 0 && r != -ENOENT && r != -ENODEV)
			return r;
	}
	return 0;
}

int cg_read_procs(int dfd, pid_t **ret, size_t *ret_n)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r;

	r = collect_procs(dfd, &pids, &n, 0);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(pids);
	*ret_n = n;
	return 0;
}

/* A group whose last task is exiting stays busy for a moment after its death. */
int cg_rmdir_tree(int dfd, const char *name)
{
	uint64_t deadline = cg_now_ms() + 2000;
	int r;

	for (;;) {
		r = rmdir_tree_at(dfd, name);
		if (r != -EBUSY || cg_now_ms() >= deadline)
			return r;
		cg_sleep_ms(20);
	}
}

uint64_t cg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cg_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
