/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a VPS backup (backup.h) as hostile input: members in the order the format fixes,
 * each small member bounded, the storage unpacked by the template unpacker (template.h's
 * stream: no absolute path, no '..', nothing through a symlink, hardlinks only to files it
 * made, no device nodes but an overlay's whiteouts, size and count caps), every member hashed
 * as it goes and the whole compared with the MANIFEST at the end.
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
#include <unistd.h>

#include "backup.h"
#include "cleanup.h"
#include "template.h"

#define BACKUP_HEAD_MAX     (64 * 1024)
#define BACKUP_CONF_MAX     (1024 * 1024)
#define BACKUP_MANIFEST_MAX (256 * 1024 * 1024)
/* What a restored tree may unpack to: a bomb stops here, not at a full disk. */
#define BACKUP_TREE_MAX (UINT64_C(64) << 30)
#define BACKUP_IO_BUF   (128 * 1024)

struct vps_backup_reader {
	struct archive *a;
	struct vps_backup_manifest m;
};

void vps_backup_reader_free(struct vps_backup_reader *r)
{
	if (!r)
		return;
	if (r->a)
		archive_read_free(r->a);
	vps_backup_manifest_done(&r->m);
	free(r);
}

static int next_header(struct vps_backup_reader *r, struct archive_entry **e, const char *want,
                       struct vps_error *err)
{
	int k = archive_read_next_header(r->a, e);

	if (k == ARCHIVE_EOF)
		return want ? vps_error_set(err, -EBADMSG,
		                            "truncated archive: it ends before its %s", want)
		            : 1;
	if (k != ARCHIVE_OK && k != ARCHIVE_WARN)
		return vps_error_set(err, -EBADMSG, "corrupt or truncated archive: %s",
		                     archive_error_string(r->a) ?: "unknown error");
	return 0;
}

/* A small member into memory (NUL-terminated), refused beyond max. */
static int read_blob(struct vps_backup_reader *r, struct archive_entry *e, const char *name,
                     size_t max, bool listed, char **ret, struct vps_error *err)
{
	la_int64_t size = archive_entry_size(e);
	_cleanup_free_ char *buf = NULL;
	uint8_t digest[32];
	SHA2_CTX c;
	la_ssize_t n;

	if (strcmp(archive_entry_pathname(e) ?: "", name) != 0 ||
	    archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
		return vps_error_set(err, -EBADMSG,
		                     "not a vpsctl backup: no %s member where it "
		                     "belongs",
		                     name);
	if (size < 0 || (uint64_t)size > max)
		return vps_error_set(err, -EFBIG, "its %s member is larger than %zu bytes", name,
		                     max);
	buf = malloc((size_t)size + 1);
	if (!buf)
		return vps_error_set(err, -ENOMEM, "out of memory");
	n = archive_read_data(r->a, buf, (size_t)size);
	if (n != size)
		return vps_error_set(err, -EBADMSG, "truncated archive: its %s member is cut short",
		                     name);
	buf[size] = '\0';
	if (strlen(buf) != (size_t)size)
		return vps_error_set(err, -EBADMSG, "its %s member holds a NUL byte", name);
	SHA256Init(&c);
	SHA256Update(&c, (const uint8_t *)buf, (size_t)size);
	SHA256Final(digest, &c);
	if (listed && vps_backup_manifest_entry(&r->m, e, digest) < 0)
		return vps_error_set(err, -ENOMEM, "out of memory");
	*ret = TAKE_PTR(buf);
	return 0;
}

int vps_backup_open(int in_fd, struct vps_backup_reader **ret, struct vps_backup_head *ret_head,
                    char **ret_conf, struct vps_error *err)
{
	struct vps_backup_reader *r = calloc(1, sizeof(*r));
	_cleanup_free_ char *head = NULL;
	struct archive_entry *e;
	int k;

	if (!r)
		return vps_error_set(err, -ENOMEM, "out of memory");
	k = archive_read_support_filter_zstd((r->a = archive_read_new())) == ARCHIVE_OK &&
	                    archive_read_support_format_tar(r->a) == ARCHIVE_OK
	            ? 0
	            : vps_error_set(err, -EOPNOTSUPP, "libarchive cannot read zstd tar");
	if (k == 0 && archive_read_open_fd(r->a, in_fd, BACKUP_IO_BUF) != ARCHIVE_OK)
		k = vps_error_set(err, -EBADMSG, "not a zstd-compressed tar: %s",
		                  archive_error_string(r->a) ?: "unknown error");
	if (k == 0)
		k = next_header(r, &e, "BACKUP member", err);
	if (k == 0)
		k = read_blob(r, e, "BACKUP", BACKUP_HEAD_MAX, true, &head, err);
	if (k == 0)
		k = vps_backup_head_parse(head, ret_head, err);
	if (k == 0)
		k = next_header(r, &e, "vps.conf member", err);
	if (k == 0)
		k = read_blob(r, e, "vps.conf", BACKUP_CONF_MAX, true, ret_conf, err);
	if (k < 0) {
		vps_backup_reader_free(r);
		return k;
	}
	*ret = r;
	return 0;
}

/* The entries a backup of cfg's storage holds: its top directory and what is under it (a
 * disk quota's image is never packed: restore makes the quota this node's way). */
static bool under(const char *path, const char *top)
{
	size_t n = strlen(top);

	return path && strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static const char *storage_top(const struct vps_config *cfg)
{
	return cfg->storage == VPS_STORAGE_OVERLAY ? "upper" : "rootfs";
}

static bool member_allowed(const struct vps_config *cfg, const char *path)
{
	return under(path, storage_top(cfg));
}

/* Whether path names the top directory itself ("rootfs", "rootfs/", "rootfs/./"), as the
 * unpacker's normalization would. */
static bool is_top(const char *path, const char *top)
{
	const char *p = path + strlen(top);

	if (!under(path, top))
		return false;
	for (;;) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0)
			return true;
		if (n != 1 || p[0] != '.')
			return false;
		p += n;
	}
}

/* The top entry is what mkfs.ext4 -d, overlayfs and the VPS's start open by path: anything
 * but a directory (a symlink to a host path above all) is refused. */
static int check_top(const struct vps_config *cfg, struct archive_entry *e, const char *path,
                     struct vps_error *err)
{
	const char *top = storage_top(cfg);

	if (!is_top(path, top))
		return 0;
	if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFDIR)
		return vps_error_set(err, -EPERM,
		                     "refused: member '%.100s' is not a directory (the top of a "
		                     "backup's %s storage must be one)",
		                     path, vps_storage_names[cfg->storage]);
	return 0;
}

static void hash_cb(void *ud, const void *buf, size_t len)
{
	SHA256Update(ud, buf, len);
}

static int extract_one(struct vps_backup_reader *r, struct template_stream *s,
                       struct archive_entry *e, const struct vps_config *cfg, const char *reason,
                       struct vps_error *err)
{
	const char *path = archive_entry_pathname(e), *hard = archive_entry_hardlink(e);
	uint8_t digest[32];
	SHA2_CTX c;
	int k;

	if (!member_allowed(cfg, path) || (hard && !member_allowed(cfg, hard)))
		return vps_error_set(err, -EPERM,
		                     "member '%.100s' is not part of a backup of %s storage",
		                     path ?: "", vps_storage_names[cfg->storage]);
	k = check_top(cfg, e, path, err);
	if (k < 0)
		return k;
	SHA256Init(&c);
	k = template_stream_entry(s, r->a, e, hash_cb, &c);
	if (k < 0)
		return vps_error_set(err, k, "refused: %s", reason[0] ? reason : strerror(-k));
	SHA256Final(digest, &c);
	if (archive_entry_filetype(e) == AE_IFLNK && !hard) {
		const char *t = archive_entry_symlink(e) ?: "";

		SHA256Init(&c);
		SHA256Update(&c, (const uint8_t *)t, strlen(t));
		SHA256Final(digest, &c);
	}
	if (vps_backup_manifest_entry(&r->m, e, digest) < 0)
		return vps_error_set(err, -EBADMSG, "member '%.100s': invalid header", path ?: "");
	return 0;
}

/* Every storage member up to MANIFEST, which goes to ret_manifest. */
static int extract_members(struct vps_backup_reader *r, struct template_stream *s,
                           const struct vps_config *cfg, const char *reason, char **ret_manifest,
                           struct vps_error *err)
{
	for (;;) {
		struct archive_entry *e;
		int k = next_header(r, &e, "MANIFEST member", err);

		if (k < 0)
			return k;
		if (strcmp(archive_entry_pathname(e) ?: "", "MANIFEST") == 0)
			return read_blob(r, e, "MANIFEST", BACKUP_MANIFEST_MAX, false, ret_manifest,
			                 err);
		k = extract_one(r, s, e, cfg, reason, err);
		if (k < 0)
			return k;
	}
}

/* Whatever the entries said, what was made at the top is a directory or nothing. */
static int check_top_made(int dir_fd, const struct vps_config *cfg, struct vps_error *err)
{
	const char *top = storage_top(cfg);
	struct stat st;

	if (fstatat(dir_fd, top, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
		                       : vps_error_errno(err, -errno, "failed to check %s", top);
	if (!S_ISDIR(st.st_mode))
		return vps_error_set(err, -EPERM, "refused: the unpacked '%s' is not a directory",
		                     top);
	return 0;
}

int vps_backup_extract(struct vps_backup_reader *r, int dir_fd, const struct vps_config *cfg,
                       struct vps_backup_stats *ret, struct vps_error *err)
{
	struct template_unpack_opts o = {
		.uid_shift = cfg->userns ? (uid_t)cfg->uid_base : 0,
		.gid_shift = cfg->userns ? (gid_t)cfg->uid_base : 0,
		.max_bytes = cfg->disk ? cfg->disk + (UINT64_C(1) << 30) : BACKUP_TREE_MAX,
		.overlay_opaque_xattr = cfg->storage != VPS_STORAGE_OVERLAY ? NULL
	                                : cfg->userns                       ? "user.overlay.opaque"
	                                              : "trusted.overlay.opaque",
	};
	struct template_stream *s = NULL;
	_cleanup_free_ char *manifest = NULL;
	char reason[256] = "";
	struct archive_entry *e;
	int k = template_stream_new(dir_fd, &o, reason, &s);

	if (k < 0)
		return vps_error_errno(err, k, "failed to start unpacking");
	k = extract_members(r, s, cfg, reason, &manifest, err);
	if (k == 0) {
		int n = next_header(r, &e, NULL, err);

		if (n == 0)
			k = vps_error_set(err, -EBADMSG, "member '%.100s' after the MANIFEST",
			                  archive_entry_pathname(e) ?: "");
		else if (n < 0)
			k = n;
	}
	if (k == 0 && vps_backup_manifest_end(&r->m) < 0)
		k = vps_error_set(err, -ENOMEM, "out of memory");
	if (k == 0)
		k = vps_backup_manifest_compare(&r->m, manifest, err);
	if (k == 0 && (k = template_stream_finish(s)) < 0)
		vps_error_set(err, k, "refused: %s", reason[0] ? reason : strerror(-k));
	template_stream_free(s);
	if (k == 0)
		k = check_top_made(dir_fd, cfg, err);
	if (k == 0)
		*ret = (struct vps_backup_stats){.members = r->m.members + 1,
		                                 .data_bytes = r->m.data_bytes};
	return k;
}
