/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VPS backup: one tar (pax) compressed with zstd, self-describing. Its members, in order:
 *   BACKUP    what it is: FORMAT, VPSCTL_VERSION, NAME, STORAGE, DISK, TEMPLATE,
 *             TEMPLATE_SHA256, CREATED (KEY=value lines)
 *   vps.conf  the VPS's config as it was
 *   the storage: rootfs/... (copy), upper/... (overlay: the template is referenced by name
 *             and checksum, not packed); a disk quota's files as a tree too, read from
 *             its image where it has one: DISK is the limit, and restore makes the quota
 *             the way the restoring node does (project quota or image), not the archive's
 *   MANIFEST  one line per member before it (SHA-256, size, type, mode, owner, path), then
 *             "end COUNT BYTES"
 * The manifest comes last so that a backup streams in one pass; restore computes the same
 * lines while it unpacks and refuses the VPS (nothing kept) when they differ. Owners are
 * stored relative to the VPS's id range (0 = its root), so a restore shifts them onto its own.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

/* 2: the storage is always a tree (format 1 packed a disk image whole) */
#define VPS_BACKUP_FORMAT 2

struct vps_backup_head {
	unsigned format;
	char version[32];
	char name[33];
	enum vps_storage storage;
	uint64_t disk;
	char template_name[33];
	char template_sha256[65];
	uint64_t created;
};

struct vps_backup_stats {
	uint64_t members;    /* archive members */
	uint64_t data_bytes; /* bytes of file data (a disk image's holes not counted) */
	uint64_t archive_bytes;
};

/* Where a VPS's files are read from: fd/name is its rootfs or upper (the VPS directory's, or
 * in its disk image's own mount, mnt, for an image-backed VPS: the running VPS's super block
 * mounted again where its image is attached, else the image mounted here). */
struct vps_backup_source {
	int fd, mnt;
	const char *name;
};
int vps_backup_source_open(int vpsdir, const char *dir, const struct vps_config *cfg,
                           struct vps_backup_source *ret, struct vps_error *err);
void vps_backup_source_close(struct vps_backup_source *s);

/* Writes the backup of the VPS cfg, its storage's top directory at srcfd/srcname (a
 * vps_backup_source or the staged copy), to out_fd. head is filled by the caller but for
 * FORMAT and VERSION. The files must be still (stopped, frozen, or a staged copy). */
int vps_backup_write(int srcfd, const char *srcname, const struct vps_config *cfg,
                     struct vps_backup_head *head, int out_fd, struct vps_backup_stats *ret,
                     struct vps_error *err);

/* The short freeze of a running VPS (suspend mode): its files copied into VPSDIR/.backup in
 * two passes, the first while it runs (vps_backup_stage_begin), the second, which copies
 * only what changed since and removes what is gone, while it is frozen
 * (vps_backup_stage_finish); the archive is then written from the copy (its top, named as
 * the storage's: rootfs or upper, in *ret_fd), after the thaw. Hard links stay links. The
 * next stage removes what a killed backup left; so does destroy. */
struct vps_backup_stage {
	int fd;
	const char *top;
	struct tree_sync *sync;
};
int vps_backup_stage_begin(int vpsdir, const struct vps_backup_source *src,
                           const struct vps_config *cfg, struct vps_backup_stage *ret,
                           struct vps_error *err);
int vps_backup_stage_finish(const struct vps_backup_source *src, struct vps_backup_stage *st,
                            struct vps_error *err);
void vps_backup_stage_free(struct vps_backup_stage *st);
void vps_backup_unstage(int vpsdir);

/* Reading one: the head and the vps.conf text first, then the storage into a new VPS
 * directory, then the manifest check. */
struct vps_backup_reader;
int vps_backup_open(int in_fd, struct vps_backup_reader **ret, struct vps_backup_head *ret_head,
                    char **ret_conf, struct vps_error *err);
/* Unpacks the storage into dir_fd (the new VPS's directory, under its hidden name; for
 * overlay already holding vps_storage_materialize's directories) as the VPS cfg (its id
 * range, storage), checks the manifest and the archive's end. */
int vps_backup_extract(struct vps_backup_reader *r, int dir_fd, const struct vps_config *cfg,
                       struct vps_backup_stats *ret, struct vps_error *err);
void vps_backup_reader_free(struct vps_backup_reader *r);

/* ---- shared by the writer and the reader (backup-manifest.c) ---- */

struct vps_backup_manifest {
	char *text;
	size_t len, cap;
	uint64_t members, data_bytes;
};
/* Appends one member's line: type 'f' 'd' 'l' 'h' 'c'; target for 'l' and 'h' (else NULL). */
int vps_backup_manifest_add(struct vps_backup_manifest *m, const uint8_t digest[32], uint64_t size,
                            char type, unsigned mode, uint64_t uid, uint64_t gid, const char *path,
                            const char *target);
/* The line of the archive member e (both sides build it the same way: what was written is
 * what is read); digest is its data's (a symlink's: its target's). */
struct archive_entry;
int vps_backup_manifest_entry(struct vps_backup_manifest *m, struct archive_entry *e,
                              const uint8_t digest[32]);
/* The "end" line; the text is then the MANIFEST member. */
int vps_backup_manifest_end(struct vps_backup_manifest *m);
void vps_backup_manifest_done(struct vps_backup_manifest *m);
/* Why the manifest text theirs differs from ours (a reason naming the first member that
 * differs); 0 when they are the same. */
int vps_backup_manifest_compare(const struct vps_backup_manifest *ours, const char *theirs,
                                struct vps_error *err);
int vps_backup_head_format(const struct vps_backup_head *h, char **ret);
int vps_backup_head_parse(const char *text, struct vps_backup_head *ret, struct vps_error *err);
