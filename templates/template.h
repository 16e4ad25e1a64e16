/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The OS template store: a template is NAME.tar.{zst,xz,gz} plus NAME.sha256 and NAME.meta
 * (KEY=value) in the templates directory. Unpacking treats the tarball as hostile input.
 * Functions return 0 or -errno and log only at debug level.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vps_template_meta {
	char name[33];
	char os[32];
	char release[32];
	char arch[16];
	char init[256];      /* the VPS init to exec, e.g. /sbin/init */
	int poweroff_signal; /* what makes that init power off: SIGUSR2 busybox, SIGRTMIN+4 systemd
	                      */
	uint64_t created;    /* unix time */
	uint64_t size;       /* bytes of the tarball */
	char sha256[65];
	char file[PATH_MAX]; /* absolute path of the tarball */
};

struct template_unpack_opts {
	uint64_t max_bytes;   /* total unpacked size cap (0 = default) */
	uint64_t max_entries; /* entry count cap (0 = default) */
	uid_t uid_shift;      /* added to every uid (user-namespace VPSes) */
	gid_t gid_shift;
	bool allow_devices; /* device nodes are skipped unless set */
	/* an overlay upper layer (a VPS backup): whiteouts (char 0:0) are made, and opaque
	 * directories marked with this xattr; NULL for a template */
	const char *overlay_opaque_xattr;
};

/* Builds TEMPLATES_DIR/NAME.tar.* from a static busybox binary (a tiny OS root: init with an
 * inittab, /etc/passwd, /etc/hostname, a shell) and writes its checksum and metadata. */
int template_build_busybox(const char *templates_dir, const char *name, const char *busybox_path,
                           struct vps_template_meta *ret);
/* Reads NAME's metadata; -ENOENT when there is no such template. */
int template_lookup(const char *templates_dir, const char *name, struct vps_template_meta *ret);
/* Every template in the store, sorted by name; free(*ret). */
int template_list(const char *templates_dir, struct vps_template_meta **ret, size_t *ret_n);
/* Recomputes the SHA-256 and compares it with the stored one (-EBADMSG on mismatch). */
int template_verify(const struct vps_template_meta *meta);
/* Unpacks tarball into parent_fd/dest_name: a temp dir beside it, renamed into place at the end,
 * so a failure leaves nothing. dest_name must not exist. On refusal, ret_reason (if not NULL,
 * size 256) names the entry and the rule it broke. */
int template_unpack(const char *tarball, int parent_fd, const char *dest_name,
                    const struct template_unpack_opts *opts, char *ret_reason);

/* Unpacking entries the caller reads from its own archive (a VPS backup, storage/backup.h)
 * into the directory root_fd, with every check template_unpack makes; the caller checks the
 * names it accepts first. Each regular file's data also goes to fn (may be NULL). The root
 * keeps mode 0700 and root's ownership unless an entry "." says otherwise. Directory modes
 * and times are set by finish, which also syncs the file system. On refusal ret_reason (256
 * bytes) names the entry and the rule. */
struct archive;
struct archive_entry;
struct template_stream;
typedef void (*template_data_fn)(void *userdata, const void *buf, size_t len);
int template_stream_new(int root_fd, const struct template_unpack_opts *opts, char *ret_reason,
                        struct template_stream **ret);
int template_stream_entry(struct template_stream *s, struct archive *a, struct archive_entry *e,
                          template_data_fn fn, void *userdata);
int template_stream_finish(struct template_stream *s);
void template_stream_free(struct template_stream *s);

/* ---- the store (additions for import, debian, removal and overlay storage) ---- */

/* Device nodes and other special files (FIFOs, sockets) of a tarball: unpack skips them (a
 * VPS gets its /dev from vpsctl), so import tells the operator. */
struct template_devices {
	uint64_t n;
	char example[128]; /* the first one's path (made safe to print) */
};

/* What import may be told; anything left 0/NULL is found in the tarball itself. */
struct template_import_opts {
	const char *name;    /* the template's name in the store (required) */
	const char *sha256;  /* the digest the file must have, or NULL */
	const char *init;    /* the VPS init, or NULL to detect (systemd, busybox, /sbin/init) */
	int poweroff_signal; /* 0 = the detected init's */
	struct template_devices
		*ret_devices; /* if not NULL: what the tarball holds that is skipped */
};

/* Copies file into the store as opts->name (refused when it exists: -EEXIST), hashing while it
 * copies, so what is checked is what is stored; a digest mismatch is -EBADMSG and stores
 * nothing. The copy must be a readable tarball; OS and release come from its os-release. On
 * refusal ret_reason (if not NULL, 256 bytes) says why. */
int template_import(const char *templates_dir, const char *file,
                    const struct template_import_opts *opts, struct vps_template_meta *ret,
                    char *ret_reason);

struct template_debian_opts {
	const char *name;    /* e.g. "debian-12" */
	const char *release; /* a Debian code name: "bookworm" */
	const char *variant; /* "minbase" (default) or "standard" */
	const char *include; /* extra packages, comma-separated, or NULL */
	bool progress;       /* let mmdebstrap print its progress (stderr is a terminal) */
};

/* Builds NAME.tar.zst with mmdebstrap from the host's apt sources (systemd as init, iproute2,
 * openssh-server; host keys made on first boot, root's password locked). -EEXIST when the name
 * is taken. On failure ret_reason (256 bytes) says which step failed. */
int template_build_debian(const char *templates_dir, const struct template_debian_opts *opts,
                          struct vps_template_meta *ret, char *ret_reason);

/* Removes NAME's tarball, checksum, metadata and shared tree (the caller checks it is unused). */
int template_remove(const char *templates_dir, const char *name);

/* A flock on the store: shared by creates that use a shared tree until their VPS is written,
 * exclusive for removing a template. Returns the fd holding it. */
int template_store_lock(const char *templates_dir, bool exclusive);

/* The directory (mode 0700, root's) under TEMPLATES that holds the shared trees. */
#define TEMPLATE_TREES_DIR "trees"
/* What an older vpsctl's TEMPLATES/NAME.rootfs becomes in it once retired. */
#define TEMPLATE_UNSHIFTED_SUFFIX ".unshifted"
/* TEMPLATES/trees/NAME.rootfs: the template unpacked once for overlay VPSes (read-only to them,
 * through id-mapped mounts), its ids shifted by id_shift, made on first use (atomically:
 * concurrent first uses end with one tree). Its absolute path goes to ret_path. On refusal
 * ret_reason (256 bytes) says which entry broke which rule. */
int template_shared_tree(const char *templates_dir, const struct vps_template_meta *t,
                         uid_t id_shift, char *ret_path, size_t len, char *ret_reason);
/* The path trees/NAME.rootfs has (absolute) in ret_path; 1 when it exists, 0 when not. Makes
 * the trees directory private (0700) if it was not. */
int template_shared_tree_find(const char *templates_dir, const char *name, char *ret_path,
                              size_t len);
/* Whether NAME has a shared tree (1: trees/NAME.rootfs, or an older vpsctl's NAME.rootfs),
 * not (0) or -errno. */
int template_shared_tree_exists(const char *templates_dir, const char *name);
/* Removes NAME's shared trees (and a retired one); none is fine. */
int template_shared_tree_remove(const char *templates_dir, const char *name);
/* An older vpsctl unpacked NAME.rootfs beside the tarballs with the template's ids unshifted,
 * reachable by host users: moves it to trees/NAME.rootfs.unshifted (never used again, removed
 * with the template). 1 when there was one, 0 when not, or -errno. */
int template_shared_tree_retire_legacy(const char *templates_dir, const char *name);
/* The host's Debian code name (VERSION_CODENAME of /etc/os-release); -ENOENT without one. */
int template_host_release(char *ret, size_t len);
