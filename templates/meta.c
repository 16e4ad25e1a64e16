/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME.meta: commented KEY=value lines, one key table for parsing and writing. Values are kept
 * to a shell-safe character set so the file can be sourced as it is, like a vps.conf.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "parse.h"
#include "template-internal.h"

const char *const template_suffixes[3] = {".tar.zst", ".tar.xz", ".tar.gz"};

struct meta_key {
	const char *key;
	int (*parse)(const char *v, struct vps_template_meta *m);
	void (*format)(const struct vps_template_meta *m, char *buf, size_t len);
};

static bool value_char_ok(char c)
{
	return isalnum((unsigned char)c) || strchr("._+:/@-", c);
}

/* Copies v into a fixed field; anything that does not fit or is not shell-safe is malformed. */
static int copy_value(char *dst, size_t size, const char *v)
{
	size_t n = strlen(v);

	if (n >= size)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		if (!value_char_ok(v[i]))
			return -EBADMSG;
	memcpy(dst, v, n + 1);
	return 0;
}

static int parse_name(const char *v, struct vps_template_meta *m)
{
	if (!name_is_valid(v))
		return -EBADMSG;
	return copy_value(m->name, sizeof(m->name), v);
}

static int parse_os(const char *v, struct vps_template_meta *m)
{
	return copy_value(m->os, sizeof(m->os), v);
}

static int parse_release(const char *v, struct vps_template_meta *m)
{
	return copy_value(m->release, sizeof(m->release), v);
}

static int parse_arch(const char *v, struct vps_template_meta *m)
{
	return copy_value(m->arch, sizeof(m->arch), v);
}

static int parse_init(const char *v, struct vps_template_meta *m)
{
	/* The runtime execs this inside the VPS root: it has to be an absolute path. */
	if (v[0] != '/')
		return -EBADMSG;
	return copy_value(m->init, sizeof(m->init), v);
}

static int parse_poweroff(const char *v, struct vps_template_meta *m)
{
	return parse_signal(v, &m->poweroff_signal) < 0 ? -EBADMSG : 0;
}

static int parse_created(const char *v, struct vps_template_meta *m)
{
	return parse_uint64(v, &m->created) < 0 ? -EBADMSG : 0;
}

static int parse_size_key(const char *v, struct vps_template_meta *m)
{
	return parse_uint64(v, &m->size) < 0 ? -EBADMSG : 0;
}

static int parse_sha256(const char *v, struct vps_template_meta *m)
{
	if (strlen(v) != TEMPLATE_SHA256_HEX_LEN)
		return -EBADMSG;
	for (size_t i = 0; i < TEMPLATE_SHA256_HEX_LEN; i++) {
		if (!isxdigit((unsigned char)v[i]))
			return -EBADMSG;
		m->sha256[i] = (char)tolower((unsigned char)v[i]);
	}
	m->sha256[TEMPLATE_SHA256_HEX_LEN] = '\0';
	return 0;
}

static void format_name(const struct vps_template_meta *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s", m->name);
}

static void format_os(const struct vps_template_meta *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s", m->os);
}

static void format_release(const struct vps_template_meta *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s", m->release);
}

static void format_arch(const struct vps_template_meta *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s", m->arch);
}

static void format_init(const struct vps_template_meta *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s", m->init);
}

static void format_poweroff(const struct vps_template_meta *m, char *buf, size_t len)
{
	format_signal(m->poweroff_signal, buf, len);
}

static void format_created(const struct vps_template_meta *m, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64, m->created);
}

static void format_size_key(const struct vps_template_meta *m, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64, m->size);
}

static void format_sha256(const struct vps_template_meta *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s", m->sha256);
}

static const struct meta_key meta_keys[] = {
	{"NAME", parse_name, format_name},
	{"OS", parse_os, format_os},
	{"RELEASE", parse_release, format_release},
	{"ARCH", parse_arch, format_arch},
	{"INIT", parse_init, format_init},
	{"POWEROFF_SIGNAL", parse_poweroff, format_poweroff},
	{"CREATED", parse_created, format_created},
	{"SIZE", parse_size_key, format_size_key},
	{"SHA256", parse_sha256, format_sha256},
};

static bool key_valid(const char *k, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)k[i]) && !isdigit((unsigned char)k[i]) && k[i] != '_')
			return false;
	return true;
}

/* Strips one pair of surrounding double quotes that a hand-edited file may carry. */
static void unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
	}
}

static int parse_line(char *line, struct vps_template_meta *m)
{
	char *eq;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq || !key_valid(line, (size_t)(eq - line)))
		return -EBADMSG;
	*eq = '\0';
	unquote(eq + 1);
	for (size_t i = 0; i < ELEMENTSOF(meta_keys); i++)
		if (strcmp(line, meta_keys[i].key) == 0)
			return meta_keys[i].parse(eq + 1, m);
	return 0; /* unknown keys belong to newer writers */
}

int template_meta_parse(const char *text, struct vps_template_meta *ret)
{
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	/* strtok_r skips empty lines, which carry nothing anyway. */
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int r = parse_line(line, ret);

		if (r < 0)
			return r;
	}
	return 0;
}

int template_meta_format(const struct vps_template_meta *meta, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	_cleanup_fclose_ FILE *f = open_memstream(&buf, &len);
	char value[PATH_MAX];

	if (!f)
		return -ENOMEM;
	fputs("# vpsctl OS template metadata, written by vpsctl; KEY=value, shell-readable.\n", f);
	for (size_t i = 0; i < ELEMENTSOF(meta_keys); i++) {
		meta_keys[i].format(meta, value, sizeof(value));
		fprintf(f, "%s=%s\n", meta_keys[i].key, value);
	}
	if (fflush(f) != 0 || ferror(f)) {
		fclose(TAKE_PTR(f));
		free(buf);
		return -ENOMEM;
	}
	fclose(TAKE_PTR(f));
	*ret = buf;
	return 0;
}

int template_meta_validate(const struct vps_template_meta *meta)
{
	if (!name_is_valid(meta->name) || meta->init[0] != '/' || meta->poweroff_signal <= 0 ||
	    strlen(meta->sha256) != TEMPLATE_SHA256_HEX_LEN)
		return -EBADMSG;
	return 0;
}
