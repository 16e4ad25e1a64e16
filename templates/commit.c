/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Putting a template into the store: each of its three files is written to a temp name beside
 * its final one, fsync'ed, and renamed into place tarball first and metadata last, so lookup
 * (which starts from the metadata) never sees a half-made template. Shared by every builder and
 * by import.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "parse.h"
#include "template-internal.h"

int template_stage_open(int dfd, struct template_staged *s)
{
	int fd;

	snprintf(s->tmp, sizeof(s->tmp), ".%s.tmp.%d", s->final, (int)getpid());
	(void)unlinkat(dfd, s->tmp, 0);
	fd = openat(dfd, s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	return fd;
}

static int stage_file(int dfd, struct template_staged *s, const char *content, size_t len)
{
	_cleanup_close_ int fd = template_stage_open(dfd, s);
	int r;

	if (fd < 0)
		return fd;
	r = write_all(fd, content, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}

int template_stage_sidecars(int dfd, struct template_staged *sha, struct template_staged *meta,
                            const char *tar_name, const struct vps_template_meta *m)
{
	_cleanup_free_ char *text = NULL;
	char line[192];
	int r;

	snprintf(sha->final, sizeof(sha->final), "%s.sha256", m->name);
	snprintf(line, sizeof(line), "%s  %s\n", m->sha256, tar_name);
	r = stage_file(dfd, sha, line, strlen(line));
	if (r < 0)
		return r;
	snprintf(meta->final, sizeof(meta->final), "%s.meta", m->name);
	r = template_meta_format(m, &text);
	if (r < 0)
		return r;
	return stage_file(dfd, meta, text, strlen(text));
}

/* Tarball first, metadata last: lookup reads the metadata, verify then sees a matching pair. */
int template_commit(int dfd, struct template_staged *files, size_t n, const char *name,
                    const char *keep)
{
	for (size_t i = 0; i < n; i++)
		if (renameat(dfd, files[i].tmp, dfd, files[i].final) < 0)
			return -errno;
		else
			files[i].tmp[0] = '\0';
	if (fsync(dfd) < 0)
		return -errno;
	/* A rebuild that changed compression must not leave the old tarball to be found first. */
	for (size_t i = 0; i < ELEMENTSOF(template_suffixes); i++) {
		char fn[64];

		snprintf(fn, sizeof(fn), "%s%s", name, template_suffixes[i]);
		if (strcmp(fn, keep) != 0 && unlinkat(dfd, fn, 0) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

void template_unstage(int dfd, struct template_staged *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (files[i].tmp[0])
			(void)unlinkat(dfd, files[i].tmp, 0);
}

void template_arch_name(char *buf, size_t len)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "i386"},
		{"i586", "i386"},    {"armv7l", "armhf"},  {"ppc64le", "ppc64el"},
	};
	struct utsname u;

	if (uname(&u) < 0) {
		snprintf(buf, len, "unknown");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (strcmp(u.machine, map[i][0]) == 0) {
			snprintf(buf, len, "%s", map[i][1]);
			return;
		}
	/* A machine name too long for the field is not one a template could be made for. */
	if (snprintf(buf, len, "%s", u.machine) >= (int)len)
		snprintf(buf, len, "unknown");
}

int template_store_open(const char *templates_dir, int *ret_fd, char **ret_abs)
{
	_cleanup_close_ int dfd = open(templates_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *abs;

	if (dfd < 0)
		return -errno;
	abs = realpath(templates_dir, NULL);
	if (!abs)
		return -errno;
	*ret_fd = TAKE_FD(dfd);
	*ret_abs = abs;
	return 0;
}

int template_store_lock(const char *templates_dir, bool exclusive)
{
	_cleanup_close_ int dfd = open(templates_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	while (flock(dfd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		if (errno != EINTR)
			return -errno;
	return TAKE_FD(dfd);
}

int template_say(char *reason, int r, const char *fmt, ...)
{
	va_list ap;

	if (reason) {
		va_start(ap, fmt);
		vsnprintf(reason, TEMPLATE_REASON_MAX, fmt, ap);
		va_end(ap);
	}
	return r;
}
