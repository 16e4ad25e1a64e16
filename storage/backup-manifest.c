/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BACKUP head and the MANIFEST of a VPS backup (backup.h): written by backup, recomputed
 * and compared by restore. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive_entry.h>

#include "backup.h"
#include "cleanup.h"
#include "parse.h"
#include "vpsctl-build.h"

static int append(struct vps_backup_manifest *m, const char *s, size_t n)
{
	if (m->len + n + 1 > m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 65536;
		char *t;

		while (nc < m->len + n + 1)
			nc *= 2;
		t = realloc(m->text, nc);
		if (!t)
			return -ENOMEM;
		m->text = t;
		m->cap = nc;
	}
	memcpy(m->text + m->len, s, n);
	m->len += n;
	m->text[m->len] = '\0';
	return 0;
}

/* Names may hold any byte but NUL: spaces, newlines and backslashes are escaped as \xHH, so
 * that a line is one member and two names never read the same. */
static int append_escaped(struct vps_backup_manifest *m, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char buf[8];
		int r;

		if (c <= 0x20 || c >= 0x7f || c == '\\') {
			snprintf(buf, sizeof(buf), "\\x%02x", c);
			r = append(m, buf, 4);
		} else
			r = append(m, s, 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int vps_backup_manifest_add(struct vps_backup_manifest *m, const uint8_t digest[32], uint64_t size,
                            char type, unsigned mode, uint64_t uid, uint64_t gid, const char *path,
                            const char *target)
{
	char head[160];
	int n = 0, r;

	for (int i = 0; i < 32; i++)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "%02x", digest[i]);
	n += snprintf(head + n, sizeof(head) - (size_t)n,
	              " %" PRIu64 " %c %04o %" PRIu64 " %" PRIu64 " ", size, type, mode & 07777,
	              uid, gid);
	r = append(m, head, (size_t)n);
	if (r == 0)
		r = append_escaped(m, path);
	if (r == 0 && target) {
		r = append(m, " ", 1);
		if (r == 0)
			r = append_escaped(m, target);
	}
	if (r == 0)
		r = append(m, "\n", 1);
	m->members++;
	if (type == 'f')
		m->data_bytes += size;
	return r;
}

int vps_backup_manifest_entry(struct vps_backup_manifest *m, struct archive_entry *e,
                              const uint8_t digest[32])
{
	const char *hard = archive_entry_hardlink(e);
	mode_t t = archive_entry_filetype(e);
	char type = hard            ? 'h'
	            : t == AE_IFREG ? 'f'
	            : t == AE_IFDIR ? 'd'
	            : t == AE_IFLNK ? 'l'
	            : t == AE_IFCHR ? 'c'
	                            : 'o';
	la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
	la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
	const char *path = archive_entry_pathname(e);

	if (!path || size < 0 || uid < 0 || gid < 0)
		return -EBADMSG;
	return vps_backup_manifest_add(m, digest, type == 'f' ? (uint64_t)size : 0, type,
	                               archive_entry_perm(e), (uint64_t)uid, (uint64_t)gid, path,
	                               hard            ? hard
	                               : t == AE_IFLNK ? archive_entry_symlink(e)
	                                               : NULL);
}

int vps_backup_manifest_end(struct vps_backup_manifest *m)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "end %" PRIu64 " %" PRIu64 "\n", m->members,
	                 m->data_bytes);

	return append(m, line, (size_t)n);
}

void vps_backup_manifest_done(struct vps_backup_manifest *m)
{
	free(m->text);
	*m = (struct vps_backup_manifest){0};
}

/* The path field of a line (the 7th), for a reason; "?" when there is none. */
static void line_path(const char *line, size_t len, char *buf, size_t size)
{
	const char *p = line, *end = line + len;
	size_t n;

	for (int field = 0; field < 6 && p < end; field++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));

		p = sp ? sp + 1 : end;
	}
	n = (size_t)(end - p);
	if (n == 0)
		p = "?", n = 1;
	snprintf(buf, size, "%.*s", (int)(n > 120 ? 120 : n), p);
}

int vps_backup_manifest_compare(const struct vps_backup_manifest *ours, const char *theirs,
                                struct vps_error *err)
{
	const char *a = ours->text ?: "", *b = theirs;
	char pa[128], pb[128];

	while (*a || *b) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

		if (la != lb || memcmp(a, b, la) != 0) {
			line_path(a, la, pa, sizeof(pa));
			line_path(b, lb, pb, sizeof(pb));
			if (strcmp(pa, pb) == 0 && la > 64 && lb > 64 && memcmp(a, b, 64) != 0)
				return vps_error_set(err, -EBADMSG,
				                     "checksum mismatch: member '%s' has SHA-256 "
				                     "%.64s, the manifest says %.64s",
				                     pa, a, b);
			if (strcmp(pa, pb) == 0)
				return vps_error_set(
					err, -EBADMSG,
					"manifest mismatch: member '%s' differs from its "
					"manifest line (size, mode or owner)",
					pa);
			return vps_error_set(err, -EBADMSG,
			                     "manifest mismatch: the archive has '%s' where the "
			                     "manifest lists '%s'",
			                     la ? pa : "(nothing)", lb ? pb : "(nothing)");
		}
		a += la + (a[la] == '\n');
		b += lb + (b[lb] == '\n');
	}
	return 0;
}

int vps_backup_head_format(const struct vps_backup_head *h, char **ret)
{
	return asprintf(ret,
	                "# vpsctl backup of a VPS (vpsctl restore FILE)\n"
	                "FORMAT=%u\nVPSCTL_VERSION=%s\nNAME=%s\nSTORAGE=%s\nDISK=%" PRIu64
	                "\nTEMPLATE=%s\nTEMPLATE_SHA256=%s\nCREATED=%" PRIu64 "\n",
	                VPS_BACKUP_FORMAT, VPSCTL_VERSION, h->name, vps_storage_names[h->storage],
	                h->disk, h->template_name, h->template_sha256, h->created) < 0
	               ? -ENOMEM
	               : 0;
}

static int head_key(struct vps_backup_head *h, const char *k, const char *v)
{
	if (strcmp(k, "FORMAT") == 0) {
		int f, r = parse_int_range(v, 1, 1000, &f);

		h->format = (unsigned)f;
		return r;
	}
	if (strcmp(k, "VPSCTL_VERSION") == 0)
		return snprintf(h->version, sizeof(h->version), "%s", v) < (int)sizeof(h->version)
		               ? 0
		               : -EINVAL;
	if (strcmp(k, "NAME") == 0)
		return name_is_valid(v) ? (snprintf(h->name, sizeof(h->name), "%s", v), 0)
		                        : -EINVAL;
	if (strcmp(k, "STORAGE") == 0) {
		for (int i = 0; i < _VPS_STORAGE_MAX; i++)
			if (strcmp(v, vps_storage_names[i]) == 0)
				return h->storage = (enum vps_storage)i, 0;
		return -EINVAL;
	}
	if (strcmp(k, "DISK") == 0)
		return parse_uint64(v, &h->disk);
	if (strcmp(k, "TEMPLATE") == 0)
		return (!v[0] || name_is_valid(v)) && strlen(v) < sizeof(h->template_name)
		               ? (snprintf(h->template_name, sizeof(h->template_name), "%s", v), 0)
		               : -EINVAL;
	if (strcmp(k, "TEMPLATE_SHA256") == 0)
		return strlen(v) < sizeof(h->template_sha256) &&
		                       strspn(v, "0123456789abcdef") == strlen(v)
		               ? (snprintf(h->template_sha256, sizeof(h->template_sha256), "%s", v),
		                  0)
		               : -EINVAL;
	if (strcmp(k, "CREATED") == 0)
		return parse_uint64(v, &h->created);
	return 0; /* a later format's addition: FORMAT says whether we may read it */
}

int vps_backup_head_parse(const char *text, struct vps_backup_head *ret, struct vps_error *err)
{
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL;
	unsigned n = 0;

	if (!copy)
		return -ENOMEM;
	*ret = (struct vps_backup_head){.storage = _VPS_STORAGE_MAX};
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		n++;
		if (line[0] == '#')
			continue;
		if (!eq)
			return vps_error_set(err, -EBADMSG, "BACKUP line %u: not KEY=value", n);
		*eq = '\0';
		if (head_key(ret, line, eq + 1) < 0)
			return vps_error_set(err, -EBADMSG, "BACKUP line %u: invalid %.32s", n,
			                     line);
	}
	if (ret->format == 0 || !ret->name[0] || ret->storage == _VPS_STORAGE_MAX)
		return vps_error_set(err, -EBADMSG,
		                     "BACKUP lacks FORMAT, NAME or STORAGE: not a vpsctl backup");
	if (ret->format > VPS_BACKUP_FORMAT)
		return vps_error_set(err, -EPROTONOSUPPORT,
		                     "backup format %u is newer than this vpsctl's (%u); made by "
		                     "vpsctl %s",
		                     ret->format, VPS_BACKUP_FORMAT, ret->version);
	if (ret->format < 2 && ret->disk)
		return vps_error_set(err, -EPROTONOSUPPORT,
		                     "a format-1 backup of a VPS with a disk quota packs its image "
		                     "whole, which this vpsctl no longer restores (made by vpsctl "
		                     "%s)",
		                     ret->version);
	return 0;
}
