/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What an imported tarball is: its OS and release (from os-release) and its init with that
 * init's power-off signal. The tarball is hostile input like at unpack time: only headers and
 * two small files are read, with the same in-process decompressors and entry cap, and nothing
 * is written anywhere. Reading every header to the end also proves the stream is intact.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "log.h"
#include "template-internal.h"

#define PROBE_MAX_ENTRIES UINT64_C(1000000)
#define OS_RELEASE_MAX    (64 * 1024)

/* What the walk saw of the few paths that matter. */
struct probe_seen {
	char *os_release_etc;       /* etc/os-release, when it is a regular file */
	char *os_release_usr;       /* usr/lib/os-release */
	bool systemd_lib;           /* lib/systemd/systemd is a regular file */
	bool systemd_usr;           /* usr/lib/systemd/systemd */
	bool lib_is_link;           /* lib -> usr/lib (merged /usr) */
	char init_target[PATH_MAX]; /* where sbin/init (or usr/sbin/init) links to */
	bool init_regular;          /* sbin/init is a regular file (sysvinit and friends) */
	struct template_devices devices;
};

static void probe_seen_done(struct probe_seen *s)
{
	free(s->os_release_etc);
	free(s->os_release_usr);
}

/* "./a/b", "/a/b" and "a/b" all name a/b. */
static const char *strip_dot(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (p[0] == '/')
		p++;
	return p;
}

/* Keeps only characters the metadata file accepts; anything else becomes '-'. */
static void copy_meta_safe(char *dst, size_t size, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++) {
		char c = src[i];

		dst[i] = isalnum((unsigned char)c) || strchr("._+:@-", c) ? c : '-';
	}
	dst[i] = '\0';
}

/* A name from the archive, safe to print: control characters become '?'. */
static void copy_printable(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

/* The value of KEY= when line starts with it, without one pair of quotes; NULL otherwise. */
static const char *line_value(const char *line, const char *key, size_t *ret_len)
{
	size_t klen = strlen(key);
	const char *v, *end;

	if (strncmp(line, key, klen) != 0 || line[klen] != '=')
		return NULL;
	v = line + klen + 1;
	end = v + strcspn(v, "\n");
	if (end - v >= 2 && (*v == '"' || *v == '\'') && end[-1] == *v) {
		v++;
		end--;
	}
	*ret_len = (size_t)(end - v);
	return v;
}

/* Finds KEY= at the start of a line; its value, made metadata-safe, goes to val. */
static bool os_release_get(const char *text, const char *key, char *val, size_t size)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t n;
		const char *v = line_value(line, key, &n);

		if (v) {
			copy_meta_safe(val, size, v, n);
			return val[0] != '\0';
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

int template_os_release_parse(const char *text, char *os, size_t os_size, char *release,
                              size_t release_size)
{
	if (!os_release_get(text, "ID", os, os_size))
		return -EBADMSG;
	if (!os_release_get(text, "VERSION_CODENAME", release, release_size) &&
	    !os_release_get(text, "VERSION_ID", release, release_size))
		snprintf(release, release_size, "unknown");
	return 0;
}

static int read_small(struct archive *a, struct archive_entry *e, char **ret)
{
	la_int64_t size = archive_entry_size(e);
	_cleanup_free_ char *buf = NULL;
	la_ssize_t n;

	if (size < 0 || size > OS_RELEASE_MAX)
		return -EFBIG;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return -ENOMEM;
	n = archive_read_data(a, buf, (size_t)size);
	if (n != size)
		return -EBADMSG;
	buf[n] = '\0';
	free(*ret);
	*ret = TAKE_PTR(buf);
	return 0;
}

static int look_at(struct archive *a, struct archive_entry *e, struct probe_seen *s)
{
	const char *p = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	const char *target = archive_entry_symlink(e);

	if (!p)
		return 0;
	p = strip_dot(p);
	if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO || type == AE_IFSOCK) {
		if (s->devices.n++ == 0)
			copy_printable(s->devices.example, sizeof(s->devices.example), p);
		return 0;
	}
	if (type == AE_IFREG && strcmp(p, "etc/os-release") == 0)
		return read_small(a, e, &s->os_release_etc);
	if (type == AE_IFREG && strcmp(p, "usr/lib/os-release") == 0)
		return read_small(a, e, &s->os_release_usr);
	if (type == AE_IFREG && strcmp(p, "lib/systemd/systemd") == 0)
		s->systemd_lib = true;
	else if (type == AE_IFREG && strcmp(p, "usr/lib/systemd/systemd") == 0)
		s->systemd_usr = true;
	else if (type == AE_IFLNK && strcmp(p, "lib") == 0 && target)
		s->lib_is_link = strcmp(strip_dot(target), "usr/lib") == 0;
	else if (strcmp(p, "sbin/init") == 0 || strcmp(p, "usr/sbin/init") == 0) {
		s->init_regular = type == AE_IFREG;
		if (type == AE_IFLNK && target)
			snprintf(s->init_target, sizeof(s->init_target), "%s", target);
	}
	return 0;
}

static int walk(struct archive *a, struct probe_seen *s)
{
	uint64_t n = 0;

	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);

		if (r == ARCHIVE_EOF)
			return n > 0 ? 0 : -EBADMSG;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return log_debug_errno(-EBADMSG, "Probe: %s",
			                       archive_error_string(a) ?: "corrupt archive");
		if (++n > PROBE_MAX_ENTRIES)
			return -E2BIG;
		r = look_at(a, e, s);
		if (r < 0)
			return r;
		/* Skipping reads (and so checks) the compressed data of every entry too. */
		if (archive_read_data_skip(a) != ARCHIVE_OK)
			return log_debug_errno(-EBADMSG, "Probe: %s",
			                       archive_error_string(a) ?: "corrupt data");
	}
}

int template_init_guess(bool systemd_lib, bool systemd_usr, bool lib_is_link,
                        const char *init_target, bool init_regular, char *init, size_t len,
                        int *ret_signal)
{
	bool has_systemd = systemd_lib || systemd_usr;

	if (init_target[0] && strstr(init_target, "busybox")) {
		snprintf(init, len, "/sbin/init");
		*ret_signal = SIGUSR2; /* busybox init: poweroff */
		return 0;
	}
	/* A regular /sbin/init is sysvinit or the like: no signal we could rely on. */
	if (init_regular || !has_systemd || (init_target[0] && !strstr(init_target, "systemd")))
		return -ENOENT;
	/* systemd: SIGRTMIN+4 starts poweroff.target. */
	snprintf(init, len, "%s",
	         systemd_lib || (lib_is_link && systemd_usr) ? "/lib/systemd/systemd"
	                                                     : "/usr/lib/systemd/systemd");
	*ret_signal = SIGRTMIN + 4;
	return 0;
}

int template_probe_fd(int fd, struct vps_template_meta *m, bool *ret_init_found,
                      struct template_devices *ret_devices)
{
	_cleanup_(template_archive_freep) struct archive *a = NULL;
	struct probe_seen s = {0};
	const char *osr;
	int r;

	r = template_archive_open(fd, &a);
	if (r == 0)
		r = walk(a, &s);
	if (r < 0) {
		probe_seen_done(&s);
		return r;
	}
	osr = s.os_release_etc ? s.os_release_etc : s.os_release_usr;
	if (!osr || template_os_release_parse(osr, m->os, sizeof(m->os), m->release,
	                                      sizeof(m->release)) < 0) {
		snprintf(m->os, sizeof(m->os), "unknown");
		snprintf(m->release, sizeof(m->release), "unknown");
	}
	*ret_init_found = template_init_guess(s.systemd_lib, s.systemd_usr, s.lib_is_link,
	                                      s.init_target, s.init_regular, m->init,
	                                      sizeof(m->init), &m->poweroff_signal) == 0;
	if (ret_devices)
		*ret_devices = s.devices;
	probe_seen_done(&s);
	return 0;
}
