/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unpacking a template tarball into a VPS root. The tarball is hostile input: every name is
 * normalized and checked, every parent directory is opened with openat2() so that no symlink and
 * no '..' is ever followed, and every create happens on the last component relative to that
 * directory fd without following it. The tree is built in a private temp directory beside the
 * destination and renamed into place only when everything succeeded.
 *
 * We read with libarchive but do not use archive_write_disk: its secure flags resolve paths by
 * name, and we want each step to go through a dirfd we checked ourselves.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "template-internal.h"

#define UNPACK_DEFAULT_MAX_BYTES   (UINT64_C(4) << 30)
#define UNPACK_DEFAULT_MAX_ENTRIES UINT64_C(1000000)
/* A shifted (user-namespace) VPS maps this many ids from its shift on: an id beyond would land in
 * another VPS's range. */
#define UNPACK_SHIFTED_ID_RANGE UINT64_C(65536)
#define UNPACK_REASON_MAX       256

struct dir_fixup {
	char *path; /* normalized, "" is the root */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec times[2];
	bool opaque; /* an overlay upper layer's opaque directory */
};

struct unpack {
	struct archive *a;
	int root_fd;
	uint64_t max_bytes, max_entries;
	uid_t uid_shift;
	gid_t gid_shift;
	bool allow_devices;
	/* Unprivileged callers (tests) cannot give files away: with no shift, EPERM on chown and on
	 * security.capability is expected there and ignored. */
	bool lenient_owner;
	uint64_t declared_bytes, written_bytes, entries;
	struct dir_fixup *fixups;
	size_t n_fixups, cap_fixups;
	char *reason;
	const char *what; /* the entry name for reasons, as the archive spelled it */
	/* a stream (template_stream_*): each data block is handed to on_data too */
	template_data_fn on_data;
	void *on_data_ud;
	bool overlay_upper;
	const char *opaque_xattr;
};

/* ---- errors --------------------------------------------------------------------------------- */

/* Names come from the archive: keep control characters out of messages. */
static void sanitize(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	for (; s && s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
}

static int refuse(struct unpack *u, int r, const char *fmt, ...) _printf_(3, 4);

static int refuse(struct unpack *u, int r, const char *fmt, ...)
{
	char what[160], name[80]; /* both fit in UNPACK_REASON_MAX with the text around them */
	va_list ap;

	errno = -r; /* for %m in fmt */
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sanitize(u->what, name, sizeof(name));
	if (u->reason)
		snprintf(u->reason, UNPACK_REASON_MAX, "entry '%s': %s", name, what);
	return log_debug_errno(r, "Unpack refused entry '%s': %s", name, what);
}

/* ---- names and directories ------------------------------------------------------------------ */

/* Drops empty and "." components; refuses what could leave the root. NULL means fine. */
static const char *normalize(const char *in, char out[PATH_MAX])
{
	size_t o = 0;

	if (!in || in[0] == '\0')
		return "empty name";
	if (strlen(in) >= PATH_MAX)
		return "name longer than PATH_MAX";
	if (in[0] == '/')
		return "absolute path";
	for (const char *p = in; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "'..' component";
		if (n > NAME_MAX)
			return "component longer than NAME_MAX";
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	out[o] = '\0';
	return NULL;
}

/* Splits "a/b/c" into parent "a/b" and "c" in place; the parent of "c" is "". */
static void split(char *path, const char **ret_parent, const char **ret_base)
{
	char *slash = strrchr(path, '/');

	if (!slash) {
		*ret_parent = "";
		*ret_base = path;
		return;
	}
	*slash = '\0';
	*ret_parent = path;
	*ret_base = slash + 1;
}

/* A directory strictly inside root: no symlink anywhere on the way, no '..' escape, no mounts. */
static int open_beneath(int root_fd, const char *path, int flags)
{
	return open_in_root(root_fd, path[0] ? path : ".", flags | O_DIRECTORY, 0,
	                    RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
}

static int parent_error(struct unpack *u, int r)
{
	switch (r) {
	case -ELOOP:
		return refuse(u, -EPERM, "path goes through a symlink");
	case -ENOTDIR:
		return refuse(u, -EPERM, "a parent is not a directory");
	case -EXDEV:
		return refuse(u, -EPERM, "path leaves the root");
	default:
		return refuse(u, r, "cannot open the parent directory: %m");
	}
}

static int set_owner(struct unpack *u, int fd, const char *name, uid_t uid, gid_t gid)
{
	int r = name ? fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) : fchown(fd, uid, gid);

	if (r >= 0)
		return 0;
	if ((errno == EPERM || errno == EINVAL) && u->lenient_owner) {
		log_debug("Not privileged: leaving %s owned by us instead of %u:%u", u->what,
		          (unsigned)uid, (unsigned)gid);
		return 0;
	}
	return refuse(u, -errno, "cannot set owner %u:%u: %m", (unsigned)uid, (unsigned)gid);
}

/* One missing parent, made like tar does: 0755, owned by the VPS's root. */
static int make_implicit_dir(struct unpack *u, int dfd, const char *name)
{
	if (mkdirat(dfd, name, 0700) < 0) {
		/* Not ours after all: leave it to open_beneath() to accept or refuse. */
		if (errno == EEXIST)
			return 0;
		return refuse(u, -errno, "cannot create parent '%s': %m", name);
	}
	/* Fresh and ours, in a private tree: chmod by name cannot be redirected here. */
	if (fchmodat(dfd, name, 0755, 0) < 0)
		return refuse(u, -errno, "cannot chmod parent '%s': %m", name);
	return set_owner(u, dfd, name, u->uid_shift, u->gid_shift);
}

/* Walks parent component by component, creating what tar would create implicitly. */
static int make_parents(struct unpack *u, const char *parent, int *ret_fd)
{
	_cleanup_close_ int fd = open_beneath(u->root_fd, "", O_PATH);
	char comp[NAME_MAX + 1];

	if (fd < 0)
		return parent_error(u, fd);
	for (const char *p = parent; *p;) {
		size_t n = strcspn(p, "/");
		int next, r;

		memcpy(comp, p, n);
		comp[n] = '\0';
		next = open_beneath(fd, comp, O_PATH);
		if (next == -ENOENT) {
			r = make_implicit_dir(u, fd, comp);
			if (r < 0)
				return r;
			next = open_beneath(fd, comp, O_PATH);
		}
		if (next < 0)
			return parent_error(u, next);
		closep(&fd);
		fd = next;
		p += n;
		if (*p == '/')
			p++;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int open_parent(struct unpack *u, const char *parent, int *ret_fd)
{
	int fd = open_beneath(u->root_fd, parent, O_PATH);

	if (fd == -ENOENT)
		return make_parents(u, parent, ret_fd);
	if (fd < 0)
		return parent_error(u, fd);
	*ret_fd = fd;
	return 0;
}

/* Makes room for a new entry at dfd/name. Returns 1 when a directory is there and the new entry
 * is one too (tar streams may list a directory twice); a directory is never replaced by a
 * non-directory, which would orphan what is already inside it. */
static int make_room(struct unpack *u, int dfd, const char *name, bool new_is_dir)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : refuse(u, -errno, "cannot stat: %m");
	if (S_ISDIR(st.st_mode)) {
		if (new_is_dir)
			return 1;
		return refuse(u, -EPERM, "would replace a directory");
	}
	if (unlinkat(dfd, name, 0) < 0)
		return refuse(u, -errno, "cannot replace the existing entry: %m");
	return 0;
}

/* ---- metadata ------------------------------------------------------------------------------- */

static int shift_id(struct unpack *u, la_int64_t id, uint32_t shift, uint32_t *ret)
{
	if (id < 0 || (uint64_t)id >= UINT32_MAX)
		return refuse(u, -EINVAL, "invalid owner id %" PRId64, (int64_t)id);
	if (shift != 0 && (uint64_t)id >= UNPACK_SHIFTED_ID_RANGE)
		return refuse(u, -EPERM, "owner id %" PRId64 " is outside the VPS's id range",
		              (int64_t)id);
	if ((uint64_t)id + shift >= UINT32_MAX)
		return refuse(u, -EINVAL, "owner id %" PRId64 " overflows the shift", (int64_t)id);
	*ret = (uint32_t)id + shift;
	return 0;
}

static int entry_ids(struct unpack *u, struct archive_entry *e, uid_t *ret_uid, gid_t *ret_gid)
{
	int r = shift_id(u, archive_entry_uid(e), u->uid_shift, ret_uid);

	if (r < 0)
		return r;
	return shift_id(u, archive_entry_gid(e), u->gid_shift, ret_gid);
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1] = (struct timespec){.tv_nsec = UTIME_OMIT};
	if (archive_entry_mtime_is_set(e))
		ts[1] = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
	ts[0] = ts[1];
	if (archive_entry_atime_is_set(e))
		ts[0] = (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)};
}

/* File capabilities as the kernel should see them in this VPS: v2 (valid for the host's root) with
 * no shift, v3 naming the VPS's root (its shifted uid 0) otherwise. */
static int convert_caps(const void *in, size_t len, uid_t rootid, uint8_t out[XATTR_CAPS_SZ_3],
                        size_t *ret_len)
{
	struct vfs_ns_cap_data c = {0};
	uint32_t magic, rev;

	if (len < sizeof(uint32_t))
		return -EINVAL;
	memcpy(&magic, in, sizeof(magic));
	magic = le32toh(magic);
	rev = magic & VFS_CAP_REVISION_MASK;
	if (rev == VFS_CAP_REVISION_1 && len == XATTR_CAPS_SZ_1)
		memcpy(&c, in, XATTR_CAPS_SZ_1);
	else if ((rev == VFS_CAP_REVISION_2 && len == XATTR_CAPS_SZ_2) ||
	         (rev == VFS_CAP_REVISION_3 && len == XATTR_CAPS_SZ_3))
		memcpy(&c, in, XATTR_CAPS_SZ_2); /* a v3 rootid from the build host means nothing */
	else
		return -EINVAL;
	magic = (magic & VFS_CAP_FLAGS_EFFECTIVE) |
	        (rootid == 0 ? VFS_CAP_REVISION_2 : VFS_CAP_REVISION_3);
	c.magic_etc = htole32(magic);
	c.rootid = htole32(rootid);
	*ret_len = rootid == 0 ? XATTR_CAPS_SZ_2 : XATTR_CAPS_SZ_3;
	memcpy(out, &c, *ret_len);
	return 0;
}

/* Of all xattrs only security.capability is kept: it is what makes ping & co. work without
 * setuid. Others (security.selinux, trusted.*, user.*) are host policy, not template content. */
static int apply_caps(struct unpack *u, struct archive_entry *e, int fd)
{
	const char *name;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		uint8_t caps[XATTR_CAPS_SZ_3];
		size_t len;

		if (strcmp(name, "security.capability") != 0)
			continue;
		if (convert_caps(value, size, u->uid_shift, caps, &len) < 0)
			return refuse(u, -EINVAL, "malformed security.capability");
		if (fsetxattr(fd, "security.capability", caps, len, 0) >= 0)
			continue;
		if (errno == EPERM && u->lenient_owner)
			log_debug("Not privileged: dropping the capabilities of %s", u->what);
		else
			return refuse(u, -errno, "cannot set file capabilities: %m");
	}
	return 0;
}

/* Owner first, then mode (chown clears setuid/setgid), then capabilities (chown clears them
 * too), then times (everything before touches ctime/mtime). */
static int apply_file_meta(struct unpack *u, struct archive_entry *e, int fd, uid_t uid, gid_t gid)
{
	struct timespec ts[2];
	int r;

	r = set_owner(u, fd, NULL, uid, gid);
	if (r < 0)
		return r;
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return refuse(u, -errno, "cannot set mode: %m");
	r = apply_caps(u, e, fd);
	if (r < 0)
		return r;
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return refuse(u, -errno, "cannot set times: %m");
	return 0;
}

/* ---- entry kinds ---------------------------------------------------------------------------- */

static int copy_data(struct unpack *u, int fd, la_int64_t size)
{
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(u->a, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return refuse(u, -EBADMSG, "corrupt data: %s", archive_error_string(u->a));
		u->written_bytes += len;
		if (u->written_bytes > u->max_bytes || off < 0 || off + (la_int64_t)len > size)
			return refuse(u, -EFBIG, "data beyond the declared size or the byte cap");
		if (u->on_data)
			u->on_data(u->on_data_ud, buf, len);
		for (size_t done = 0; done < len;) {
			ssize_t n = pwrite(fd, (const char *)buf + done, len - done, off + done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return refuse(u, -errno, "cannot write: %m");
			done += (size_t)n;
		}
	}
	/* Sparse files end in a hole that no block describes. */
	if (ftruncate(fd, size) < 0)
		return refuse(u, -errno, "cannot set the size: %m");
	return 0;
}

static int extract_file(struct unpack *u, struct archive_entry *e, int pfd, const char *base,
                        uid_t uid, gid_t gid)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	_cleanup_close_ int fd = openat(pfd, base, flags, 0600);
	int r;

	if (fd < 0 && errno == EEXIST) {
		r = make_room(u, pfd, base, false);
		if (r < 0)
			return r;
		fd = openat(pfd, base, flags, 0600);
	}
	if (fd < 0)
		return refuse(u, -errno, "cannot create: %m");
	r = copy_data(u, fd, archive_entry_size(e));
	if (r < 0)
		return r;
	return apply_file_meta(u, e, fd, uid, gid);
}

static int add_fixup(struct unpack *u, const char *path, mode_t mode, uid_t uid, gid_t gid,
                     const struct timespec ts[2])
{
	struct dir_fixup *f;

	if (u->n_fixups == u->cap_fixups) {
		size_t nc = u->cap_fixups ? u->cap_fixups * 2 : 64;
		struct dir_fixup *nv = reallocarray(u->fixups, nc, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		u->fixups = nv;
		u->cap_fixups = nc;
	}
	f = &u->fixups[u->n_fixups];
	*f = (struct dir_fixup){.path = strdup(path), .mode = mode, .uid = uid, .gid = gid};
	if (!f->path)
		return -ENOMEM;
	f->times[0] = ts[0];
	f->times[1] = ts[1];
	u->n_fixups++;
	return 0;
}

/* An overlay upper layer's directory that hides the lower one's (either xattr namespace: a
 * privileged VPS's trusted.*, a user-namespace VPS's user.*). */
static bool is_opaque(struct archive_entry *e)
{
	const char *name;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if ((strcmp(name, "trusted.overlay.opaque") == 0 ||
		     strcmp(name, "user.overlay.opaque") == 0) &&
		    size == 1 && *(const char *)value == 'y')
			return true;
	return false;
}

/* Directory modes and times are applied at the end: a read-only directory must still take its
 * children, and creating them would change its mtime. */
static int extract_dir(struct unpack *u, struct archive_entry *e, int pfd, const char *base,
                       const char *path, uid_t uid, gid_t gid)
{
	struct timespec ts[2];
	int r;

	if (base && mkdirat(pfd, base, 0700) < 0) {
		if (errno != EEXIST)
			return refuse(u, -errno, "cannot create directory: %m");
		r = make_room(u, pfd, base, true);
		if (r < 0)
			return r;
		if (r == 0 && mkdirat(pfd, base, 0700) < 0)
			return refuse(u, -errno, "cannot create directory: %m");
	}
	entry_times(e, ts);
	r = add_fixup(u, path, archive_entry_perm(e) & 07777, uid, gid, ts);
	if (r < 0)
		return refuse(u, r, "out of memory");
	u->fixups[u->n_fixups - 1].opaque = u->overlay_upper && is_opaque(e);
	return 0;
}

static int extract_symlink(struct unpack *u, struct archive_entry *e, int pfd, const char *base,
                           uid_t uid, gid_t gid)
{
	const char *target = archive_entry_symlink(e);
	struct timespec ts[2];
	int r;

	/* The target is never followed here; inside the VPS it resolves against the VPS's root. */
	if (!target || target[0] == '\0')
		return refuse(u, -EINVAL, "empty symlink target");
	if (strlen(target) >= PATH_MAX)
		return refuse(u, -EINVAL, "symlink target longer than PATH_MAX");
	if (symlinkat(target, pfd, base) < 0) {
		if (errno != EEXIST)
			return refuse(u, -errno, "cannot create symlink: %m");
		r = make_room(u, pfd, base, false);
		if (r < 0)
			return r;
		if (symlinkat(target, pfd, base) < 0)
			return refuse(u, -errno, "cannot create symlink: %m");
	}
	r = set_owner(u, pfd, base, uid, gid);
	if (r < 0)
		return r;
	entry_times(e, ts);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return refuse(u, -errno, "cannot set times: %m");
	return 0;
}

/* The link target: a regular file this unpack already made, found the same careful way. */
static int open_link_target(struct unpack *u, const char *target, int *ret_fd, char *ret_base)
{
	char path[PATH_MAX];
	const char *why = normalize(target, path), *parent, *base;
	struct stat st;
	int fd, r;

	if (!why && path[0] == '\0')
		why = "names the root";
	if (why)
		return refuse(u, -EPERM, "hardlink target: %s", why);
	split(path, &parent, &base);
	fd = open_beneath(u->root_fd, parent, O_PATH);
	if (fd == -ENOENT)
		return refuse(u, -EPERM, "hardlink to a file not in the archive");
	if (fd < 0)
		return parent_error(u, fd);
	r = fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	if (r < 0 || !S_ISREG(st.st_mode))
		close(fd);
	if (r == -ENOENT)
		return refuse(u, -EPERM, "hardlink to a file not in the archive");
	if (r < 0)
		return refuse(u, r, "cannot stat the hardlink target: %m");
	if (!S_ISREG(st.st_mode))
		return refuse(u, -EPERM, "hardlink target is not an extracted regular file");
	strcpy(ret_base, base);
	*ret_fd = fd;
	return 0;
}

static int extract_hardlink(struct unpack *u, struct archive_entry *e, int pfd, const char *base)
{
	_cleanup_close_ int tfd = -EBADF;
	char tbase[NAME_MAX + 1];
	int r;

	r = open_link_target(u, archive_entry_hardlink(e), &tfd, tbase);
	if (r < 0)
		return r;
	/* flags 0: linkat never follows a symlink at the source. */
	if (linkat(tfd, tbase, pfd, base, 0) < 0) {
		if (errno != EEXIST)
			return refuse(u, -errno, "cannot create hardlink: %m");
		r = make_room(u, pfd, base, false);
		if (r < 0)
			return r;
		if (linkat(tfd, tbase, pfd, base, 0) < 0)
			return refuse(u, -errno, "cannot create hardlink: %m");
	}
	return 0;
}

static int extract_node(struct unpack *u, struct archive_entry *e, int pfd, const char *base,
                        uid_t uid, gid_t gid)
{
	mode_t type = archive_entry_filetype(e);
	dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
	struct timespec ts[2];
	int r;

	if (mknodat(pfd, base, type | 0600, dev) < 0) {
		if (errno != EEXIST)
			return refuse(u, -errno, "cannot create node: %m");
		r = make_room(u, pfd, base, false);
		if (r < 0)
			return r;
		if (mknodat(pfd, base, type | 0600, dev) < 0)
			return refuse(u, -errno, "cannot create node: %m");
	}
	r = set_owner(u, pfd, base, uid, gid);
	if (r < 0)
		return r;
	/* Just made by us in a private tree and not a symlink: chmod by name is safe. */
	if (fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
		return refuse(u, -errno, "cannot set mode: %m");
	entry_times(e, ts);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return refuse(u, -errno, "cannot set times: %m");
	return 0;
}

/* ---- the entry loop ------------------------------------------------------------------------- */

/* Size and count caps, checked on the header before anything is decompressed: a bomb fails
 * here instead of filling the disk. */
static int check_limits(struct unpack *u, struct archive_entry *e)
{
	la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;

	if (++u->entries > u->max_entries)
		return refuse(u, -E2BIG, "more than %" PRIu64 " entries", u->max_entries);
	if (size < 0)
		return refuse(u, -EINVAL, "negative size");
	u->declared_bytes += (uint64_t)size;
	if ((uint64_t)size > u->max_bytes || u->declared_bytes > u->max_bytes)
		return refuse(u, -EFBIG, "unpacked size exceeds the cap of %" PRIu64 " bytes",
		              u->max_bytes);
	return 0;
}

static bool is_special(mode_t type)
{
	return type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO || type == AE_IFSOCK;
}

/* Only char 0:0, and only in an overlay upper layer. */
static bool is_whiteout(const struct unpack *u, struct archive_entry *e)
{
	return u->overlay_upper && archive_entry_filetype(e) == AE_IFCHR &&
	       archive_entry_rdev(e) == 0 && !archive_entry_hardlink(e);
}

static int dispatch(struct unpack *u, struct archive_entry *e, int pfd, const char *base,
                    const char *path, uid_t uid, gid_t gid)
{
	mode_t type = archive_entry_filetype(e);

	if (archive_entry_hardlink(e))
		return extract_hardlink(u, e, pfd, base);
	switch (type) {
	case AE_IFREG:
		return extract_file(u, e, pfd, base, uid, gid);
	case AE_IFDIR:
		return extract_dir(u, e, pfd, base, path, uid, gid);
	case AE_IFLNK:
		return extract_symlink(u, e, pfd, base, uid, gid);
	default:
		return extract_node(u, e, pfd, base, uid, gid);
	}
}

static int extract_entry(struct unpack *u, struct archive_entry *e)
{
	_cleanup_close_ int pfd = -EBADF;
	char path[PATH_MAX], full[PATH_MAX];
	const char *why, *parent, *base;
	mode_t type = archive_entry_filetype(e);
	uid_t uid;
	gid_t gid;
	int r;

	u->what = archive_entry_pathname(e);
	r = check_limits(u, e);
	if (r < 0)
		return r;
	why = normalize(u->what, path);
	if (why)
		return refuse(u, strcmp(why, "empty name") == 0 ? -EINVAL : -EPERM, "%s", why);
	if (!archive_entry_hardlink(e) && type != AE_IFREG && type != AE_IFDIR &&
	    type != AE_IFLNK && !is_special(type))
		return refuse(u, -EINVAL, "unsupported entry type %o", (unsigned)type);
	if (is_whiteout(u, e))
		; /* an overlay upper layer's deleted file: made below like a device */
	else if (is_special(type) && (!u->allow_devices || type == AE_IFSOCK)) {
		log_debug("Skipping special file '%s'", u->what);
		return 0;
	}
	r = entry_ids(u, e, &uid, &gid);
	if (r < 0)
		return r;
	if (path[0] == '\0') {
		/* "./": the root itself, which only a directory entry may describe. */
		if (type != AE_IFDIR || archive_entry_hardlink(e))
			return refuse(u, -EPERM, "the root must be a directory");
		return extract_dir(u, e, u->root_fd, NULL, "", uid, gid);
	}
	strcpy(full, path);
	split(path, &parent, &base);
	r = open_parent(u, parent, &pfd);
	if (r < 0)
		return r;
	return dispatch(u, e, pfd, base, full, uid, gid);
}

static int apply_fixup(struct unpack *u, const struct dir_fixup *f)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	u->what = f->path[0] ? f->path : ".";
	fd = open_beneath(u->root_fd, f->path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return parent_error(u, fd);
	r = set_owner(u, fd, NULL, f->uid, f->gid);
	if (r < 0)
		return r;
	if (fchmod(fd, f->mode) < 0)
		return refuse(u, -errno, "cannot set mode: %m");
	if (f->opaque && fsetxattr(fd, u->opaque_xattr, "y", 1, 0) < 0)
		return refuse(u, -errno, "cannot mark the directory opaque: %m");
	if (futimens(fd, f->times) < 0)
		return refuse(u, -errno, "cannot set times: %m");
	return 0;
}

static int apply_fixups(struct unpack *u)
{
	/* In archive order: a directory listed twice ends with its last description. */
	for (size_t i = 0; i < u->n_fixups; i++) {
		int r = apply_fixup(u, &u->fixups[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

static int unpack_entries(struct unpack *u)
{
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(u->a, &e);

		if (r == ARCHIVE_EOF)
			return 0;
		if (r == ARCHIVE_WARN)
			log_debug("libarchive: %s", archive_error_string(u->a));
		else if (r != ARCHIVE_OK) {
			u->what = "(header)";
			return refuse(u, -EBADMSG, "corrupt archive: %s",
			              archive_error_string(u->a) ?: "unknown error");
		}
		r = extract_entry(u, e);
		if (r < 0)
			return r;
	}
}

/* ---- setup and commit ----------------------------------------------------------------------- */

/* .DEST.unpack-XXXXXX, private (0700) until it is complete. */
static int make_temp_dir(int parent_fd, const char *dest, char *ret, size_t len)
{
	for (int i = 0; i < 64; i++) {
		uint32_t v;

		if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
			return -errno;
		snprintf(ret, len, ".%s.unpack-%06" PRIx32, dest, v & 0xffffff);
		if (mkdirat(parent_fd, ret, 0700) >= 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static bool dest_name_ok(const char *s)
{
	return s && s[0] && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       strlen(s) <= NAME_MAX - 32;
}

static void unpack_done(struct unpack *u)
{
	for (size_t i = 0; i < u->n_fixups; i++)
		free(u->fixups[i].path);
	free(u->fixups);
	if (u->a)
		archive_read_free(u->a);
	if (u->root_fd >= 0)
		close(u->root_fd);
}

static void unpack_init(struct unpack *u, const struct template_unpack_opts *opts, char *reason)
{
	static const struct template_unpack_opts none = {0};

	if (!opts)
		opts = &none;
	*u = (struct unpack){
		.root_fd = -EBADF,
		.max_bytes = opts->max_bytes ?: UNPACK_DEFAULT_MAX_BYTES,
		.max_entries = opts->max_entries ?: UNPACK_DEFAULT_MAX_ENTRIES,
		.uid_shift = opts->uid_shift,
		.gid_shift = opts->gid_shift,
		.allow_devices = opts->allow_devices,
		.overlay_upper = opts->overlay_opaque_xattr != NULL,
		.opaque_xattr = opts->overlay_opaque_xattr,
		.lenient_owner = geteuid() != 0 && opts->uid_shift == 0 && opts->gid_shift == 0,
		.reason = reason,
		.what = "",
	};
}

/* Everything between the empty temp dir and the rename. */
static int unpack_tree(struct unpack *u, int tar_fd)
{
	static const struct timespec omit[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
	int r;

	r = template_archive_open(tar_fd, &u->a);
	if (r < 0) {
		u->what = "(archive)";
		return refuse(u, r, "not a readable tarball");
	}
	/* The root's own defaults, overridden by a "./" entry if the archive has one. */
	r = add_fixup(u, "", 0755, u->uid_shift, u->gid_shift, omit);
	if (r < 0)
		return r;
	r = unpack_entries(u);
	if (r < 0)
		return r;
	r = apply_fixups(u);
	if (r < 0)
		return r;
	/* The rename below must not publish a tree whose data is still only in the page cache. */
	if (syncfs(u->root_fd) < 0)
		return -errno;
	return 0;
}

int template_unpack(const char *tarball, int parent_fd, const char *dest_name,
                    const struct template_unpack_opts *opts, char *ret_reason)
{
	_cleanup_close_ int tar_fd = -EBADF;
	struct unpack u;
	char tmp[NAME_MAX + 1];
	struct stat st;
	int r;

	if (ret_reason)
		ret_reason[0] = '\0';
	if (!tarball || !dest_name_ok(dest_name))
		return -EINVAL;
	if (fstatat(parent_fd, dest_name, &st, AT_SYMLINK_NOFOLLOW) >= 0)
		return -EEXIST;
	if (errno != ENOENT)
		return -errno;
	tar_fd = open(tarball, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (tar_fd < 0)
		return -errno;
	r = make_temp_dir(parent_fd, dest_name, tmp, sizeof(tmp));
	if (r < 0)
		return r;
	unpack_init(&u, opts, ret_reason);
	u.root_fd = openat(parent_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = u.root_fd < 0 ? -errno : unpack_tree(&u, tar_fd);
	if (r == 0 && renameat2(parent_fd, tmp, parent_fd, dest_name, RENAME_NOREPLACE) < 0)
		r = -errno;
	unpack_done(&u);
	if (r < 0) {
		int k = rm_rf_at(parent_fd, tmp);

		if (k < 0)
			log_debug_errno(k, "Cannot remove '%s' after a failed unpack: %m", tmp);
		return r;
	}
	(void)fsync(parent_fd); /* best effort: parent_fd may be an O_PATH fd */
	return 0;
}

/* ---- a stream of entries the caller reads (a VPS backup) ------------------------------------ */

struct template_stream {
	struct unpack u;
};

int template_stream_new(int root_fd, const struct template_unpack_opts *opts, char *ret_reason,
                        struct template_stream **ret)
{
	static const struct timespec omit[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
	struct template_stream *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	if (ret_reason)
		ret_reason[0] = '\0';
	unpack_init(&s->u, opts, ret_reason);
	s->u.root_fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	r = s->u.root_fd < 0 ? -errno : add_fixup(&s->u, "", 0700, 0, 0, omit);
	if (r < 0) {
		template_stream_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int template_stream_entry(struct template_stream *s, struct archive *a, struct archive_entry *e,
                          template_data_fn fn, void *userdata)
{
	int r;

	s->u.a = a;
	s->u.on_data = fn;
	s->u.on_data_ud = userdata;
	r = extract_entry(&s->u, e);
	s->u.a = NULL;
	return r;
}

int template_stream_finish(struct template_stream *s)
{
	int r = apply_fixups(&s->u);

	if (r == 0 && syncfs(s->u.root_fd) < 0)
		r = -errno;
	return r;
}

void template_stream_free(struct template_stream *s)
{
	if (!s)
		return;
	unpack_done(&s->u);
	free(s);
}
