/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to templates/: the metadata key table, digests and the tarball suffixes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "template.h"

#define TEMPLATE_SHA256_HEX_LEN 64
/* Metadata files are a few hundred bytes; anything this large is not one of ours. */
#define TEMPLATE_META_MAX (64 * 1024)

/* The tarball suffixes a template may use, in lookup order. */
extern const char *const template_suffixes[3];

/* Parses NAME.meta text (KEY=value lines, '#' comments, unknown keys ignored) into ret; fields
 * not in the text are left as they were. Malformed lines or values are -EBADMSG. */
int template_meta_parse(const char *text, struct vps_template_meta *ret);
/* Serializes every key of meta (file is not stored: it is where the tarball is found). */
int template_meta_format(const struct vps_template_meta *meta, char **ret);
/* Checks the fields a usable template needs (name, init, poweroff signal, digest). */
int template_meta_validate(const struct vps_template_meta *meta);

/* Streams in_fd to EOF, writing it to out_fd too (-1: none), and returns the lowercase hex
 * SHA-256 and the byte count (ret_size may be NULL). */
int template_sha256_copy(int in_fd, int out_fd, char ret_hex[TEMPLATE_SHA256_HEX_LEN + 1],
                         uint64_t *ret_size);
/* Lowercase hex of a finished 32-byte digest. */
void template_hex(const uint8_t *digest, size_t len, char *ret_hex);

/* ---- committing to the store (commit.c) ---- */

/* One file of a template on its way in: written to tmp, renamed to final by template_commit. */
struct template_staged {
	char tmp[96];
	char final[64];
};

/* Creates s->tmp for s->final (which the caller set) and returns its fd. */
int template_stage_open(int dfd, struct template_staged *s);
/* Stages NAME.sha256 and NAME.meta for m, whose tarball will be tar_name. */
int template_stage_sidecars(int dfd, struct template_staged *sha, struct template_staged *meta,
                            const char *tar_name, const struct vps_template_meta *m);
/* Renames every staged file into place in order, then drops NAME's tarballs other than keep. */
int template_commit(int dfd, struct template_staged *files, size_t n, const char *name,
                    const char *keep);
/* Removes the temp files of a failed build. */
void template_unstage(int dfd, struct template_staged *files, size_t n);
/* Debian's name for this machine's architecture (amd64, arm64...). */
void template_arch_name(char *buf, size_t len);
/* Opens the store directory and resolves its absolute path. */
int template_store_open(const char *templates_dir, int *ret_fd, char **ret_abs);

/* ---- probing an imported tarball (probe.c) ---- */

/* ID and VERSION_CODENAME (else VERSION_ID, else "unknown") of an os-release text, made safe
 * for the metadata file. -EBADMSG without an ID. */
int template_os_release_parse(const char *text, char *os, size_t os_size, char *release,
                              size_t release_size);
/* The init a root runs and its power-off signal, from what the tarball holds: busybox when
 * sbin/init links to busybox, systemd when a systemd binary is there and sbin/init is missing
 * or links to it. -ENOENT when it is something else (the caller must be told). */
int template_init_guess(bool systemd_lib, bool systemd_usr, bool lib_is_link,
                        const char *init_target, bool init_regular, char *init, size_t len,
                        int *ret_signal);
/* Reads every header of the tarball at fd (to its end), filling m's os, release, init and
 * poweroff_signal; *ret_init_found tells whether the last two were recognised; the special
 * files (which unpack skips) are counted in *ret_devices (may be NULL). */
int template_probe_fd(int fd, struct vps_template_meta *m, bool *ret_init_found,
                      struct template_devices *ret_devices);

/* ---- import and the shared trees (import.c, shared.c) ---- */

bool template_sha256_hex_valid(const char *s);
/* ".tar.zst", ".tar.xz" or ".tar.gz" by the first bytes of a file; NULL for anything else. */
const char *template_suffix_for_magic(const uint8_t *b, size_t n);
/* Whether NAME has a shared tree in the store dfd (1), not (0) or -errno (trees.c). */
int template_shared_tree_exists_at(int dfd, const char *name);
/* "NAME.rootfs", the shared tree's name in trees/ (and an older vpsctl's beside the tarballs). */
void template_tree_name(const char *name, char *buf, size_t len);
/* dfd/trees, made (create) and kept root's and 0700. */
int template_trees_open(int dfd, bool create, int *ret_fd);
/* The trees directory (made if needed) as *ret_trees_fd, NAME's entry in it as ret_fn, and its
 * absolute path as ret_path. */
int template_tree_locate(const char *templates_dir, const char *name, int *ret_trees_fd,
                         char *ret_fn, size_t fnlen, char *ret_path, size_t len);
int template_shared_tree_remove_at(int dfd, const char *name);

/* ---- the Debian builder's parsers (build-debian.c) ---- */

/* Package names as --include takes them: "vim,curl" (Debian policy names, comma-separated). */
bool template_debian_packages_valid(const char *list);
/* A code name: lowercase letters only ("bookworm"). */
bool template_debian_release_valid(const char *s);
/* The apt source files of a host (apt_dir is /etc/apt): sources.list when it has an entry,
 * then sources.list.d/NAME.list and NAME.sources in name order. -ENOENT when there are none. */
int template_host_sources(const char *apt_dir, char ***ret);
/* Rewrites the suites of a sources file (one-line or deb822) from one code name to another,
 * keeping suffixes: bookworm-updates -> trixie-updates. Everything else is copied as is. */
int template_sources_rewrite(const char *text, const char *from, const char *to, char **ret);
/* The VERSION_CODENAME in an os-release file; -ENOENT without one. */
int template_host_codename(const char *os_release, char *ret, size_t len);

/* The size of the ret_reason buffers of template.h. */
#define TEMPLATE_REASON_MAX 256
/* Writes the reason a refusal or failure gives the operator (reason may be NULL) and returns
 * r, so that `return template_say(reason, -EINVAL, "...")` reads as one step. */
int template_say(char *reason, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reading a template tarball (archive.c): tar with the gzip, xz, zstd or bzip2 filter, all
 * in-process, for both the probe and the unpack, so that they accept the same files. */
#define TEMPLATE_ARCHIVE_BUF_SIZE (128 * 1024)
struct archive;
int template_archive_open(int fd, struct archive **ret);
void template_archive_freep(struct archive **a);
