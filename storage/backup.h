/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VPS backup: one tar (pax) compressed with zstd, self-describing. Its members, in order:
 *   BACKUP    what it is: FORMAT, VPSCTL_VERSION, NAME, STORAGE, DISK, TEMPLATE,
 *             TEMPLATE_SHA256, CREATED (KEY=value lines)
 *   vps.conf  the VPS's config as it was
 *   the storage: rootfs/... (copy), upper/... (overlay: the template is referenced by name
 *             and checksum, not packed), or rootfs/ and disk.img (a disk image, sparse)
 *   MANIFEST  one line per member before it (SHA-256, size, type, mode, owner, path), then
 *             "end COUNT BYTES"
 * The manifest comes last so that a backup streams in one pass; restore computes the same
 * lines while it unpacks and refuses the VPS (nothing kept) when they differ. Owners are
 * stored relative to the VPS's id range (0 = its root), so a restore shifts them onto its own.
 * Holes of a disk image are not stored; its SHA-256 is over the stored (data) bytes.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

#define VPS_BACKUP_FORMAT 1

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

/* Writes the backup of the VPS cfg in the open directory vpsdir to out_fd. head is filled by
 * the caller but for FORMAT and VERSION. The VPS's files must be still (stopped or frozen). */
int vps_backup_write(int vpsdir, const struct vps_config *cfg, struct vps_backup_head *head,
                     int out_fd, struct vps_backup_stats *ret, struct vps_error *err);

/* A running VPS's storage copied, while it is frozen, into VPSDIR/.backup (tree copy, a disk
 * image reflinked where the file system can, else copied sparsely), so that the freeze lasts
 * the copy, not the compression; *ret_fd is that directory, which vps_backup_write then
 * takes as vpsdir. The next stage removes what a killed backup left; so does destroy. */
int vps_backup_stage(int vpsdir, const struct vps_config *cfg, int *ret_fd, bool *ret_reflinked,
                     struct vps_error *err);
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
