/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writing a VPS backup (backup.h): libarchive's pax writer with its zstd filter, and SHA-256
 * from libmd (already linked for the template checksums). The storage is walked through
 * directory fds without following any symlink or crossing a mount: the tree is the tenant's.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "cleanup.h"
#include "fileio.h"

#define BACKUP_BUF_SIZE (256 * 1024)
/* A VPS's tree deeper than this is a tenant's trap, not a file system to keep. */
#define BACKUP_MAX_DEPTH 256
#define BACKUP_ID_RANGE  UINT64_C(65536)

struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct writer {
	struct archive *a;
	struct vps_backup_manifest m;
	struct vps_error *err;
	bool shift;
	uint64_t base;
	dev_t dev;
	bool upper;
	struct link_seen *links;
	size_t n_links, cap_links;
	char *buf;
};

static void entry_freep(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}

static int arch_fail(struct writer *w, const char *what, const char *path)
{
	return vps_error_set(w->err, -EIO, "failed to write %s '%s' to the archive: %s", what, path,
	                     archive_error_string(w->a) ?: "unknown error");
}

/* Owners relative to the VPS's id range: a restore shifts them onto its own. */
static int rel_id(struct writer *w, uint64_t id, const char *path, uint64_t *ret)
{
	if (!w->shift) {
		*ret = id;
		return 0;
	}
	if (id < w->base || id - w->base >= BACKUP_ID_RANGE)
		return vps_error_set(w->err, -ERANGE,
		                     "'%s' is owned by host id %" PRIu64
		                     ", outside the VPS's id range; not backing it up",
		                     path, id);
	*ret = id - w->base;
	return 0;
}

static int fill_entry(struct writer *w, struct archive_entry *e, const char *path,
                      const struct stat *st)
{
	uint64_t uid = 0, gid = 0;
	int r = rel_id(w, st->st_uid, path, &uid);

	if (r == 0)
		r = rel_id(w, st->st_gid, path, &gid);
	if (r < 0)
		return r;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, st->st_mode & S_IFMT);
	archive_entry_set_perm(e, st->st_mode & 07777);
	archive_entry_set_uid(e, (la_int64_t)uid);
	archive_entry_set_gid(e, (la_int64_t)gid);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	archive_entry_set_atime(e, st->st_atim.tv_sec, st->st_atim.tv_nsec);
	archive_entry_set_size(e, 0);
	return 0;
}

static int finish_entry(struct writer *w, struct archive_entry *e, const uint8_t digest[32])
{
	int r = vps_backup_manifest_entry(&w->m, e, digest);

	return r < 0 ? vps_error_errno(w->err, r, "failed to record '%s' in the manifest",
	                               archive_entry_pathname(e))
	             : 0;
}

static void sha_of(const void *buf, size_t len, uint8_t digest[32])
{
	SHA2_CTX c;

	SHA256Init(&c);
	SHA256Update(&c, buf, len);
	SHA256Final(digest, &c);
}

/* An entry with no data (directory, symlink, whiteout, hardlink). */
static int write_bare(struct writer *w, struct archive_entry *e, const char *hashed)
{
	uint8_t digest[32];

	sha_of(hashed ?: "", hashed ? strlen(hashed) : 0, digest);
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		return arch_fail(w, "the header of", archive_entry_pathname(e));
	return finish_entry(w, e, digest);
}

/* A member from memory (BACKUP, vps.conf, MANIFEST): root's, 0600. */
static int write_blob(struct writer *w, const char *name, const char *text, bool listed)
{
	_cleanup_(entry_freep) struct archive_entry *e = archive_entry_new();
	size_t len = strlen(text);
	uint8_t digest[32];

	if (!e)
		return vps_error_set(w->err, -ENOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(w->a, e) != ARCHIVE_OK ||
	    archive_write_data(w->a, text, len) != (la_ssize_t)len)
		return arch_fail(w, "member", name);
	sha_of(text, len, digest);
	return listed ? finish_entry(w, e, digest) : 0;
}

/* The data regions of fd (SEEK_DATA/SEEK_HOLE) as the entry's sparse map. */
static int sparse_map(int fd, off_t size, struct archive_entry *e)
{
	for (off_t off = 0; off < size;) {
		off_t data = lseek(fd, off, SEEK_DATA), hole;

		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		archive_entry_sparse_add_entry(e, data, hole - data);
		off = hole;
	}
	return 0;
}

/* Hands n bytes of zeros (a hole) or of fd's data at off to the archive. */
static int write_span(struct writer *w, int fd, la_int64_t off, la_int64_t n, bool hole,
                      SHA2_CTX *c, const char *path)
{
	while (n > 0) {
		size_t k = (size_t)(n < BACKUP_BUF_SIZE ? n : BACKUP_BUF_SIZE);

		if (hole)
			memset(w->buf, 0, k);
		else {
			ssize_t got = pread(fd, w->buf, k, off);

			if (got <= 0)
				return vps_error_errno(w->err, got < 0 ? -errno : -EIO,
				                       "failed to read '%s'", path);
			k = (size_t)got;
			SHA256Update(c, (const uint8_t *)w->buf, k);
		}
		if (archive_write_data(w->a, w->buf, k) != (la_ssize_t)k)
			return arch_fail(w, "the data of", path);
		off += (la_int64_t)k;
		n -= (la_int64_t)k;
	}
	return 0;
}

/* The data of a regular file: the pax writer drops what falls in a hole of the sparse map, so
 * holes are handed over as zeros (cheap: nothing is read or stored) and only the data regions
 * are read and hashed. */
static int write_data(struct writer *w, int fd, struct archive_entry *e, uint8_t digest[32])
{
	const char *path = archive_entry_pathname(e);
	la_int64_t size = archive_entry_size(e), off = 0, doff, dlen;
	bool sparse = archive_entry_sparse_reset(e) > 0;
	SHA2_CTX c;
	int r = 0;

	SHA256Init(&c);
	if (!sparse)
		r = write_span(w, fd, 0, size, false, &c, path);
	while (sparse && r == 0 && archive_entry_sparse_next(e, &doff, &dlen) == ARCHIVE_OK) {
		r = write_span(w, fd, off, doff - off, true, &c, path);
		if (r == 0)
			r = write_span(w, fd, doff, dlen, false, &c, path);
		off = doff + dlen;
	}
	if (sparse && r == 0)
		r = write_span(w, fd, off, size - off, true, &c, path);
	SHA256Final(digest, &c);
	return r;
}

static void copy_xattr(int fd, const char *name, struct archive_entry *e)
{
	char v[256];
	ssize_t n = fgetxattr(fd, name, v, sizeof(v));

	if (n > 0)
		archive_entry_xattr_add_entry(e, name, v, (size_t)n);
}

static int write_file(struct writer *w, int dfd, const char *name, const char *path,
                      const struct stat *st, struct archive_entry *e)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	uint8_t digest[32];
	int r;

	if (fd < 0)
		return vps_error_errno(w->err, -errno, "failed to open '%s'", path);
	archive_entry_set_size(e, st->st_size);
	copy_xattr(fd, "security.capability", e);
	r = sparse_map(fd, st->st_size, e);
	if (r < 0)
		return vps_error_errno(w->err, r, "failed to map the holes of '%s'", path);
	/* a map of one region covering the whole file is no map */
	if (archive_entry_sparse_count(e) == 1) {
		la_int64_t o, l;

		archive_entry_sparse_reset(e);
		if (archive_entry_sparse_next(e, &o, &l) == ARCHIVE_OK && o == 0 &&
		    l == st->st_size)
			archive_entry_sparse_clear(e);
	}
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		return arch_fail(w, "the header of", path);
	r = write_data(w, fd, e, digest);
	return r < 0 ? r : finish_entry(w, e, digest);
}

/* The second name of a file with several: a hardlink entry to the first. */
static int hardlink_of(struct writer *w, const struct stat *st, const char *path,
                       const char **ret_first)
{
	struct link_seen *l;

	for (size_t i = 0; i < w->n_links; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino) {
			*ret_first = w->links[i].path;
			return 1;
		}
	if (w->n_links == w->cap_links) {
		size_t nc = w->cap_links ? w->cap_links * 2 : 64;

		l = reallocarray(w->links, nc, sizeof(*l));
		if (!l)
			return -ENOMEM;
		w->links = l;
		w->cap_links = nc;
	}
	l = &w->links[w->n_links];
	*l = (struct link_seen){st->st_dev, st->st_ino, strdup(path)};
	if (!l->path)
		return -ENOMEM;
	w->n_links++;
	return 0;
}

static int walk(struct writer *w, int dfd, const char *dir, unsigned depth);

static int write_dir(struct writer *w, int dfd, const char *name, const char *path,
                     const struct stat *st, struct archive_entry *e, unsigned depth)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (fd < 0)
		return vps_error_errno(w->err, -errno, "failed to open '%s'", path);
	if (w->upper) {
		copy_xattr(fd, "trusted.overlay.opaque", e);
		copy_xattr(fd, "user.overlay.opaque", e);
	}
	r = write_bare(w, e, NULL);
	if (r < 0 || st->st_dev != w->dev) /* a mount point: its own, empty */
		return r;
	return walk(w, fd, path, depth + 1);
}

static int write_one(struct writer *w, int dfd, const char *name, const char *path, unsigned depth)
{
	_cleanup_(entry_freep) struct archive_entry *e = archive_entry_new();
	const char *first;
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int r;

	if (!e)
		return vps_error_set(w->err, -ENOMEM, "out of memory");
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT
		               ? 0
		               : vps_error_errno(w->err, -errno, "failed to stat '%s'", path);
	/* a disk image's own lost+found (its root, mkfs's, host root's): the file system's, made
	 * again with the next one */
	if (depth == 1 && w->shift && st.st_uid == 0 && S_ISDIR(st.st_mode) &&
	    strcmp(name, "lost+found") == 0)
		return 0;
	r = fill_entry(w, e, path, &st);
	if (r < 0)
		return r;
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		return write_dir(w, dfd, name, path, &st, e, depth);
	case S_IFREG:
		r = st.st_nlink > 1 ? hardlink_of(w, &st, path, &first) : 0;
		if (r < 0)
			return vps_error_set(w->err, r, "out of memory");
		if (r == 0)
			return write_file(w, dfd, name, path, &st, e);
		archive_entry_set_hardlink(e, first);
		return write_bare(w, e, NULL);
	case S_IFLNK:
		n = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return vps_error_errno(w->err, -errno, "failed to read the link '%s'",
			                       path);
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
		return write_bare(w, e, target);
	case S_IFCHR:
		/* an overlay upper layer's whiteout; device nodes are not a VPS's to keep */
		if (!w->upper || st.st_rdev != 0)
			return 0;
		return write_bare(w, e, NULL);
	default: /* FIFOs and sockets are made anew by what uses them */
		return 0;
	}
}

static int walk(struct writer *w, int dfd, const char *dir, unsigned depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (depth > BACKUP_MAX_DEPTH)
		return vps_error_set(w->err, -ELOOP, "'%s' is nested deeper than %u directories",
		                     dir, BACKUP_MAX_DEPTH);
	d = opendir_dup(dfd);
	if (!d)
		return vps_error_errno(w->err, -errno, "failed to list '%s'", dir);
	while ((errno = 0, de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		int r;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			return vps_error_set(w->err, -ENOMEM, "out of memory");
		r = write_one(w, dfd, de->d_name, path, depth);
		if (r < 0)
			return r;
	}
	return errno ? vps_error_errno(w->err, -errno, "failed to list '%s'", dir) : 0;
}

/* The storage's top directory (rootfs or upper), read from srcfd/srcname: the VPS's
 * directory, its staged copy, or its disk image's mount. */
static int write_storage(struct writer *w, int srcfd, const char *srcname,
                         const struct vps_config *cfg)
{
	struct stat st;
	const char *top = cfg->storage == VPS_STORAGE_OVERLAY ? "upper" : "rootfs";

	if (fstatat(srcfd, srcname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return vps_error_errno(w->err, -errno, "failed to find its %s", top);
	w->dev = st.st_dev;
	w->upper = cfg->storage == VPS_STORAGE_OVERLAY;
	return write_one(w, srcfd, srcname, top, 0);
}

static int write_all_members(struct writer *w, int srcfd, const char *srcname,
                             const struct vps_config *cfg, const char *head, const char *conf)
{
	int r = write_blob(w, "BACKUP", head, true);

	if (r == 0)
		r = write_blob(w, "vps.conf", conf, true);
	if (r == 0)
		r = write_storage(w, srcfd, srcname, cfg);
	if (r == 0 && vps_backup_manifest_end(&w->m) < 0)
		r = vps_error_set(w->err, -ENOMEM, "out of memory");
	if (r == 0)
		r = write_blob(w, "MANIFEST", w->m.text, false);
	if (r == 0 && archive_write_close(w->a) != ARCHIVE_OK)
		r = arch_fail(w, "the end of", "the archive");
	return r;
}

static int open_archive(struct writer *w, int out_fd)
{
	w->a = archive_write_new();
	if (!w->a)
		return vps_error_set(w->err, -ENOMEM, "out of memory");
	if (archive_write_add_filter_zstd(w->a) != ARCHIVE_OK ||
	    archive_write_set_format_pax(w->a) != ARCHIVE_OK)
		return vps_error_set(w->err, -EOPNOTSUPP, "libarchive cannot write zstd tar: %s",
		                     archive_error_string(w->a) ?: "unknown error");
	/* a pipe takes what it is given: no padding of the last block to a record */
	(void)archive_write_set_bytes_in_last_block(w->a, 1);
	if (archive_write_open_fd(w->a, out_fd) != ARCHIVE_OK)
		return arch_fail(w, "the start of", "the archive");
	return 0;
}

int vps_backup_write(int srcfd, const char *srcname, const struct vps_config *cfg,
                     struct vps_backup_head *head, int out_fd, struct vps_backup_stats *ret,
                     struct vps_error *err)
{
	struct writer w = {.err = err, .shift = cfg->userns, .base = cfg->uid_base};
	_cleanup_free_ char *head_text = NULL, *conf = NULL;
	int r;

	head->format = VPS_BACKUP_FORMAT;
	w.buf = malloc(BACKUP_BUF_SIZE);
	if (!w.buf || vps_backup_head_format(head, &head_text) < 0 ||
	    vps_config_format(cfg, &conf) < 0)
		r = vps_error_set(err, -ENOMEM, "out of memory");
	else
		r = open_archive(&w, out_fd);
	if (r == 0)
		r = write_all_members(&w, srcfd, srcname, cfg, head_text, conf);
	if (r == 0)
		*ret = (struct vps_backup_stats){
			.members = w.m.members + 1,
			.data_bytes = w.m.data_bytes,
			.archive_bytes = (uint64_t)archive_filter_bytes(w.a, -1),
		};
	if (w.a)
		archive_write_free(w.a);
	for (size_t i = 0; i < w.n_links; i++)
		free(w.links[i].path);
	free(w.links);
	free(w.buf);
	vps_backup_manifest_done(&w.m);
	return r;
}
