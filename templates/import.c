/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template import: a tarball from elsewhere becomes a template. The file is copied into the
 * store under a temp name and hashed while it is copied, so the digest checked is the digest
 * of what is stored (the source may change under us); only then is the copy probed (a tarball
 * we can read, with an init we know) and the three files committed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "parse.h"
#include "template-internal.h"

bool template_sha256_hex_valid(const char *s)
{
	if (!s || strlen(s) != TEMPLATE_SHA256_HEX_LEN)
		return false;
	for (size_t i = 0; i < TEMPLATE_SHA256_HEX_LEN; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

const char *template_suffix_for_magic(const uint8_t *b, size_t n)
{
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return ".tar.zst";
	if (n >= 6 && memcmp(b,
	                     "\xfd"
	                     "7zXZ\0",
	                     6) == 0)
		return ".tar.xz";
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return ".tar.gz";
	return NULL;
}

/* Copies in_fd to out_fd, hashing what is written, and makes it durable. */
static int copy_hashed(int in_fd, int out_fd, char hex[TEMPLATE_SHA256_HEX_LEN + 1],
                       uint64_t *ret_size)
{
	int r = template_sha256_copy(in_fd, out_fd, hex, ret_size);

	if (r < 0)
		return r;
	return fsync(out_fd) < 0 ? -errno : 0;
}

static int open_source(const char *file, char *reason)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return template_say(reason, -errno, "cannot open '%.200s': %m", file);
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return template_say(reason, -EINVAL, "'%.200s' is not a regular file", file);
	return TAKE_FD(fd);
}

/* The compression (for the suffix) and what the tarball holds, read from the stored copy. */
static int inspect_copy(int dfd, const struct template_staged *s,
                        const struct template_import_opts *o, struct vps_template_meta *m,
                        const char **ret_suffix, char *reason)
{
	_cleanup_close_ int fd = openat(dfd, s->tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	uint8_t magic[6] = {0};
	bool found = false;
	ssize_t n;
	int r;

	if (fd < 0)
		return -errno;
	n = pread(fd, magic, sizeof(magic), 0);
	*ret_suffix = n > 0 ? template_suffix_for_magic(magic, (size_t)n) : NULL;
	if (!*ret_suffix)
		return template_say(reason, -EBADMSG, "not a zstd, xz or gzip compressed tarball");
	r = template_probe_fd(fd, m, &found, o->ret_devices);
	if (r < 0)
		return template_say(reason, r, "not a readable tarball (%s)", strerror(-r));
	if (o->init)
		snprintf(m->init, sizeof(m->init), "%s", o->init);
	if (o->poweroff_signal > 0)
		m->poweroff_signal = o->poweroff_signal;
	if ((!found && (!o->init || o->poweroff_signal <= 0)) || m->init[0] != '/')
		return template_say(reason, -ENOENT,
		                    "cannot tell its init and power-off signal; pass --init and "
		                    "--poweroff-signal");
	return 0;
}

/* Everything under the store lock: the name is free, the copy is made, checked and committed. */
static int import_locked(int dfd, const char *abs, int src, const struct template_import_opts *o,
                         struct vps_template_meta *m, char *reason)
{
	struct template_staged files[3] = {0};
	_cleanup_close_ int out = -EBADF;
	const char *suffix = NULL;
	char fn[64];
	int r;

	snprintf(fn, sizeof(fn), "%s.meta", o->name);
	if (faccessat(dfd, fn, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return template_say(reason, -EEXIST, "a template '%s' exists already", o->name);
	if (template_shared_tree_exists_at(dfd, o->name) != 0)
		return template_say(reason, -EBUSY, "a shared tree '%s.rootfs' is left over",
		                    o->name);
	snprintf(files[0].final, sizeof(files[0].final), "%s.import", o->name);
	out = template_stage_open(dfd, &files[0]);
	if (out < 0)
		return template_say(reason, out, "cannot create a file in the store: %s",
		                    strerror(-out));
	r = copy_hashed(src, out, m->sha256, &m->size);
	if (r < 0)
		template_say(reason, r, "cannot copy the file into the store: %s", strerror(-r));
	else if (o->sha256 && strcasecmp(o->sha256, m->sha256) != 0)
		r = template_say(reason, -EBADMSG, "checksum mismatch: the file has %s", m->sha256);
	if (r == 0)
		r = inspect_copy(dfd, &files[0], o, m, &suffix, reason);
	if (r == 0) {
		snprintf(files[0].final, sizeof(files[0].final), "%s%s", o->name, suffix);
		r = template_stage_sidecars(dfd, &files[1], &files[2], files[0].final, m);
	}
	if (r == 0)
		r = template_commit(dfd, files, ELEMENTSOF(files), o->name, files[0].final);
	if (r < 0) {
		template_unstage(dfd, files, ELEMENTSOF(files));
		return reason && reason[0]
		               ? r
		               : template_say(reason, r, "cannot store it: %s", strerror(-r));
	}
	snprintf(m->file, sizeof(m->file), "%s/%s", abs, files[0].final);
	return 0;
}

int template_import(const char *templates_dir, const char *file,
                    const struct template_import_opts *opts, struct vps_template_meta *ret,
                    char *ret_reason)
{
	_cleanup_close_ int dfd = -EBADF, src = -EBADF, lock = -EBADF;
	_cleanup_free_ char *abs = NULL;
	struct vps_template_meta m = {0};
	int r;

	if (ret_reason)
		ret_reason[0] = '\0';
	if (!opts || !opts->name || !name_is_valid(opts->name) || !file)
		return template_say(ret_reason, -EINVAL, "invalid template name");
	if (opts->sha256 && !template_sha256_hex_valid(opts->sha256))
		return template_say(ret_reason, -EINVAL, "--sha256 wants 64 hex digits");
	src = open_source(file, ret_reason);
	if (src < 0)
		return src;
	r = template_store_open(templates_dir, &dfd, &abs);
	if (r < 0)
		return template_say(ret_reason, r, "cannot open the store: %s", strerror(-r));
	lock = template_store_lock(templates_dir, true);
	if (lock < 0)
		return template_say(ret_reason, lock, "cannot lock the store: %s", strerror(-lock));
	snprintf(m.name, sizeof(m.name), "%s", opts->name);
	template_arch_name(m.arch, sizeof(m.arch));
	m.created = (uint64_t)time(NULL);
	r = import_locked(dfd, abs, src, opts, &m, ret_reason);
	if (r < 0)
		return r;
	if (ret)
		*ret = m;
	return 0;
}
