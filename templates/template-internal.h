/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to templates/: the metadata key table, digests and the tarball suffixes. */
#pragma once

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

/* Streams fd to EOF and returns the lowercase hex SHA-256 (buf of 65 bytes) and byte count. */
int template_sha256_fd(int fd, char ret_hex[TEMPLATE_SHA256_HEX_LEN + 1], uint64_t *ret_size);
/* Lowercase hex of a finished 32-byte digest. */
void template_hex(const uint8_t *digest, size_t len, char *ret_hex);
