/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The template store: lookup, listing and checksum verification of NAME.{meta,sha256,tar.*}. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"
#include "template-internal.h"

/* Tarballs are hundreds of MB: large reads, once. */
#define SHA256_BUF_SIZE (1024 * 1024)

void template_hex(const uint8_t *digest, size_t len, char *ret_hex)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		ret_hex[2 * i] = hex[digest[i] >> 4];
		ret_hex[2 * i + 1] = hex[digest[i] & 0xf];
	}
	ret_hex[2 * len] = '\0';
}

int template_sha256_copy(int in_fd, int out_fd, char ret_hex[TEMPLATE_SHA256_HEX_LEN + 1],
                         uint64_t *ret_size)
{
	_cleanup_free_ uint8_t *buf = malloc(SHA256_BUF_SIZE);
	uint8_t digest[SHA256_DIGEST_LENGTH];
	uint64_t size = 0;
	SHA2_CTX ctx;

	if (!buf)
		return -ENOMEM;
	SHA256Init(&ctx);
	for (;;) {
		ssize_t n = read(in_fd, buf, SHA256_BUF_SIZE);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		r = out_fd >= 0 ? write_all(out_fd, buf, (size_t)n) : 0;
		if (r < 0)
			return r;
		SHA256Update(&ctx, buf, (size_t)n);
		size += (uint64_t)n;
	}
	SHA256Final(digest, &ctx);
	template_hex(digest, sizeof(digest), ret_hex);
	if (ret_size)
		*ret_size = size;
	return 0;
}

/* The digest in NAME.sha256 ("HEX  FILE", sha256sum's format); -ENOENT without one. */
static int read_sha256_file(int dfd, const char *name, char ret_hex[TEMPLATE_SHA256_HEX_LEN + 1])
{
	_cleanup_free_ char *text = NULL;
	char fn[64];
	int r;

	snprintf(fn, sizeof(fn), "%s.sha256", name);
	r = read_file_at(dfd, fn, TEMPLATE_META_MAX, &text, NULL);
	if (r == -EFBIG)
		return -EBADMSG;
	if (r < 0)
		return r;
	for (size_t i = 0; i < TEMPLATE_SHA256_HEX_LEN; i++) {
		if (!isxdigit((unsigned char)text[i]))
			return -EBADMSG;
		ret_hex[i] = (char)tolower((unsigned char)text[i]);
	}
	if (text[TEMPLATE_SHA256_HEX_LEN] != '\0' &&
	    !strchr(" \t\n", text[TEMPLATE_SHA256_HEX_LEN]))
		return -EBADMSG;
	ret_hex[TEMPLATE_SHA256_HEX_LEN] = '\0';
	return 0;
}

/* The digest is stored twice (meta and .sha256); either may be missing, they must not differ. */
static int merge_sha256(int dfd, const char *name, struct vps_template_meta *m)
{
	char hex[TEMPLATE_SHA256_HEX_LEN + 1];
	int r = read_sha256_file(dfd, name, hex);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (m->sha256[0] == '\0')
		memcpy(m->sha256, hex, sizeof(hex));
	else if (strcmp(m->sha256, hex) != 0)
		return -EBADMSG;
	return 0;
}

/* Finds NAME.tar.{zst,xz,gz} and records its absolute path and size. */
static int find_tarball(int dfd, const char *abs_dir, const char *name, struct vps_template_meta *m)
{
	for (size_t i = 0; i < ELEMENTSOF(template_suffixes); i++) {
		char fn[64];
		struct stat st;
		int r;

		snprintf(fn, sizeof(fn), "%s%s", name, template_suffixes[i]);
		if (fstatat(dfd, fn, &st, 0) < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (!S_ISREG(st.st_mode))
			return -EBADMSG;
		r = snprintf(m->file, sizeof(m->file), "%s/%s", abs_dir, fn);
		if (r < 0 || (size_t)r >= sizeof(m->file))
			return -ENAMETOOLONG;
		m->size = (uint64_t)st.st_size;
		return 0;
	}
	log_debug("Template '%s' has metadata but no tarball", name);
	return -ENOENT;
}

static int lookup_at(int dfd, const char *abs_dir, const char *name, struct vps_template_meta *ret)
{
	_cleanup_free_ char *text = NULL;
	struct vps_template_meta m = {0};
	char fn[64];
	int r;

	snprintf(fn, sizeof(fn), "%s.meta", name);
	r = read_file_at(dfd, fn, TEMPLATE_META_MAX, &text, NULL);
	if (r < 0)
		return r == -EFBIG ? -EBADMSG : r;
	r = template_meta_parse(text, &m);
	if (r < 0)
		return log_debug_errno(r, "Template '%s': malformed metadata", name);
	if (m.name[0] == '\0')
		snprintf(m.name, sizeof(m.name), "%s", name);
	else if (strcmp(m.name, name) != 0)
		return log_debug_errno(-EBADMSG, "Template '%s': metadata names '%s'", name,
		                       m.name);
	r = merge_sha256(dfd, name, &m);
	if (r < 0)
		return log_debug_errno(r, "Template '%s': bad or conflicting checksum file", name);
	r = template_meta_validate(&m);
	if (r < 0)
		return log_debug_errno(r, "Template '%s': metadata lacks required keys", name);
	r = find_tarball(dfd, abs_dir, name, &m);
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

int template_lookup(const char *templates_dir, const char *name, struct vps_template_meta *ret)
{
	_cleanup_close_ int dfd = -EBADF;
	_cleanup_free_ char *abs = NULL;
	int r;

	if (!name || !name_is_valid(name))
		return -EINVAL;
	r = template_store_open(templates_dir, &dfd, &abs);
	if (r < 0)
		return r;
	return lookup_at(dfd, abs, name, ret);
}

static int meta_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vps_template_meta *)a)->name,
	              ((const struct vps_template_meta *)b)->name);
}

/* NAME of "NAME.meta", or false for any other directory entry. */
static bool meta_basename(const char *fn, char ret[33])
{
	size_t n = strlen(fn);

	if (n <= 5 || n - 5 >= 33 || strcmp(fn + n - 5, ".meta") != 0)
		return false;
	memcpy(ret, fn, n - 5);
	ret[n - 5] = '\0';
	return name_is_valid(ret);
}

static int list_append(struct vps_template_meta **v, size_t *n, size_t *cap,
                       const struct vps_template_meta *m)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct vps_template_meta *nv = reallocarray(*v, nc, sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = *m;
	return 0;
}

int template_list(const char *templates_dir, struct vps_template_meta **ret, size_t *ret_n)
{
	_cleanup_close_ int dfd = -EBADF;
	_cleanup_free_ char *abs = NULL;
	_cleanup_free_ struct vps_template_meta *v = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int r;

	r = template_store_open(templates_dir, &dfd, &abs);
	if (r < 0)
		return r;
	d = opendir_dup(dfd);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		struct vps_template_meta m;
		char name[33];

		if (!meta_basename(de->d_name, name))
			continue;
		/* One broken template must not hide the others; lookup says why it is skipped. */
		if (lookup_at(dfd, abs, name, &m) < 0)
			continue;
		r = list_append(&v, &n, &cap, &m);
		if (r < 0)
			return r;
	}
	if (errno)
		return -errno;
	if (n > 0)
		qsort(v, n, sizeof(*v), meta_cmp);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int template_verify(const struct vps_template_meta *meta)
{
	_cleanup_close_ int fd = -EBADF;
	char hex[TEMPLATE_SHA256_HEX_LEN + 1];
	int r;

	if (strlen(meta->sha256) != TEMPLATE_SHA256_HEX_LEN)
		return -EBADMSG;
	fd = open(meta->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = template_sha256_copy(fd, -1, hex, NULL);
	if (r < 0)
		return r;
	if (strcasecmp(hex, meta->sha256) != 0)
		return log_debug_errno(-EBADMSG, "Template '%s': checksum %s, expected %s",
		                       meta->name, hex, meta->sha256);
	return 0;
}
