/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "caps.h"
#include "conf.h"
#include "ptys.h"
#include "netsetup.h"
#include "parse.h"

bool hostname_is_valid(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && !(c == '-' && label > 0))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[n - 1] != '-';
}

bool cpuset_is_valid(const char *s)
{
	const char *p = s;

	if (*p == '\0')
		return true;
	for (;;) {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			return false;
		a = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			if (!isdigit((unsigned char)p[1]))
				return false;
			b = strtoul(p + 1, &end, 10);
			if (b < a)
				return false;
			p = end;
		}
		if (a > 8191)
			return false;
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			return false;
	}
}

/* Calls fn for each CPU of a valid list until it returns non-zero; returns that. */
static int cpuset_each(const char *s, int (*fn)(unsigned cpu, void *data), void *data)
{
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		for (unsigned long cpu = a; cpu <= b; cpu++) {
			int r = fn((unsigned)cpu, data);

			if (r)
				return r;
		}
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* Whether a valid list holds cpu. */
static bool cpuset_has(const char *s, unsigned cpu)
{
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (cpu >= a && cpu <= b)
			return true;
		s = *end == ',' ? end + 1 : end;
	}
	return false;
}

struct outside {
	const char *within;
	unsigned cpu;
};

static int not_within(unsigned cpu, void *data)
{
	struct outside *o = data;

	o->cpu = cpu;
	return !cpuset_has(o->within, cpu);
}

int cpuset_first_outside(const char *set, const char *within, unsigned *ret_cpu)
{
	struct outside o = {within, 0};

	if (!cpuset_is_valid(set) || !cpuset_is_valid(within))
		return -EINVAL;
	if (!cpuset_each(set, not_within, &o))
		return 0;
	*ret_cpu = o.cpu;
	return 1;
}

static bool text_is_safe(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || *s == '$' || *s == '`' || *s == '\'' ||
		    (unsigned char)*s < 0x20)
			return false;
	return true;
}

static bool string_is_valid(const struct conf_key *k, const char *v)
{
	switch (k->type) {
	case CONF_NAME:
		return name_is_valid(v);
	case CONF_HOSTNAME:
		return hostname_is_valid(v);
	case CONF_PATH:
		return v[0] == '/' && text_is_safe(v);
	case CONF_CPUSET:
		return cpuset_is_valid(v);
	case CONF_MAC: {
		uint8_t mac[NETSETUP_MAC_LEN];

		return v[0] == '\0' || netsetup_mac_parse(v, mac) == 0;
	}
	default:
		return text_is_safe(v);
	}
}

static int set_string(const struct conf_key *k, void *field, const char *v)
{
	if (!string_is_valid(k, v))
		return -EINVAL;
	if (strlen(v) >= k->size)
		return -ENAMETOOLONG;
	strcpy(field, v);
	return 0;
}

static int set_enum(const struct conf_key *k, void *field, const char *v)
{
	for (int i = 0; k->names && k->names[i]; i++)
		if (strcmp(v, k->names[i]) == 0) {
			*(int *)field = i;
			return 0;
		}
	return -EINVAL;
}

/* What an enum key takes, for the refusal of anything else: " (one of: auto, off)"; "" for a
 * key of another type. */
static const char *enum_choices(const struct conf_key *k, char *buf, size_t len)
{
	size_t used;

	if (k->type != CONF_ENUM || !k->names || len < 16)
		return "";
	used = (size_t)snprintf(buf, len, " (one of:");
	for (int i = 0; k->names[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s %s", i ? "," : "",
		                         k->names[i]);
	if (used + 2 > len)
		return "";
	strcat(buf, ")");
	return buf;
}

/* The name of an enum field's value; NULL for one outside the key's names. */
static const char *enum_name(const struct conf_key *k, const void *field)
{
	int v = *(const int *)field;

	for (int i = 0; k->names && k->names[i]; i++)
		if (i == v)
			return k->names[i];
	return NULL;
}

/* Every type listed, no default: a new type makes -Wswitch say which way it goes. */
static bool type_is_string(enum conf_type t)
{
	switch (t) {
	case CONF_BOOL:
	case CONF_SIGNAL:
	case CONF_SIZE:
	case CONF_COUNT:
	case CONF_CPUS:
	case CONF_WEIGHT:
	case CONF_UINT:
	case CONF_MTU:
	case CONF_RATE:
	case CONF_PTYS:
	case CONF_IPLIST:
	case CONF_FORWARDS:
	case CONF_CAPLIST:
	case CONF_ENUM:
	case _CONF_TYPE_MAX:
		return false;
	case CONF_STRING:
	case CONF_NAME:
	case CONF_HOSTNAME:
	case CONF_PATH:
	case CONF_CPUSET:
	case CONF_MAC:
		return true;
	}
	return false;
}

const struct conf_key *conf_find(const struct conf_key *keys, size_t n, const char *name)
{
	/* the first letter first: a node-wide list looks up every key of every vps.conf */
	for (size_t i = 0; i < n; i++)
		if (keys[i].name[0] == name[0] && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

int conf_set(const struct conf_key *keys, size_t n, void *obj, const char *key, const char *value)
{
	const struct conf_key *k = conf_find(keys, n, key);
	void *field;
	uint64_t u;
	int r;

	if (!k)
		return -ENOKEY;
	field = (char *)obj + k->offset;
	switch (k->type) {
	case CONF_BOOL:
		return parse_bool(value, (bool *)field);
	case CONF_SIGNAL:
		return parse_signal(value, (int *)field);
	case CONF_SIZE:
		r = parse_size(value, &u);
		break;
	case CONF_COUNT:
		r = parse_count(value, &u);
		break;
	case CONF_CPUS:
		r = parse_cpus(value, &u);
		break;
	case CONF_WEIGHT:
		r = parse_uint64_range(value, 1, 10000, &u);
		break;
	case CONF_PTYS:
		r = parse_uint64_range(value, 1, VPS_PTYS_LIMIT, &u);
		break;
	case CONF_UINT:
		r = parse_uint64(value, &u);
		break;
	case CONF_MTU:
		r = parse_uint64(value, &u);
		if (r == 0 && u != 0 && (u < CONF_MTU_MIN || u > CONF_MTU_MAX))
			r = -ERANGE;
		break;
	case CONF_RATE:
		r = netsetup_rate_parse(value, &u);
		break;
	case CONF_CAPLIST:
		r = text_is_safe(value) ? vps_caps_parse_list(value, &u) : -EINVAL;
		break;
	case CONF_IPLIST:
		return netsetup_addr_list_parse(value, field) < 0 ? -EINVAL : 0;
	case CONF_FORWARDS:
		return netsetup_forward_list_parse(value, field) < 0 ? -EINVAL : 0;
	case CONF_ENUM:
		return set_enum(k, field, value);
	default:
		return set_string(k, field, value);
	}
	if (r < 0)
		return r;
	*(uint64_t *)field = u;
	return 0;
}

int conf_format_value(const struct conf_key *k, const void *obj, char *buf, size_t len)
{
	const void *field = (const char *)obj + k->offset;
	uint64_t u = 0;

	/* only the fields that are a uint64_t are read as one */
	if (k->size == sizeof(uint64_t) && !type_is_string(k->type) && k->type != CONF_IPLIST &&
	    k->type != CONF_FORWARDS && k->type != CONF_ENUM && k->type != CONF_BOOL &&
	    k->type != CONF_SIGNAL)
		u = *(const uint64_t *)field;
	switch (k->type) {
	case CONF_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "yes" : "no");
		break;
	case CONF_SIGNAL:
		format_signal(*(const int *)field, buf, len);
		break;
	case CONF_SIZE:
		format_size(u, buf, len);
		break;
	case CONF_COUNT:
		format_count(u, buf, len);
		break;
	case CONF_CPUS:
		format_cpus(u, buf, len);
		break;
	case CONF_WEIGHT:
	case CONF_UINT:
	case CONF_MTU:
	case CONF_PTYS:
		snprintf(buf, len, "%" PRIu64, u);
		break;
	case CONF_RATE:
		if (u == 0)
			snprintf(buf, len, "0");
		else
			netsetup_rate_format(u, buf, len);
		break;
	case CONF_CAPLIST:
		if (u == vps_caps_all())
			snprintf(buf, len, "all");
		else
			return vps_caps_format_list(u, buf, len);
		break;
	case CONF_IPLIST:
		return netsetup_addr_list_format(field, buf, len);
	case CONF_FORWARDS:
		return netsetup_forward_list_format(field, buf, len);
	case CONF_ENUM: {
		const char *name = enum_name(k, field);

		if (!name)
			return -EINVAL;
		snprintf(buf, len, "%s", name);
		break;
	}
	default:
		if ((size_t)snprintf(buf, len, "%s", (const char *)field) >= len)
			return -ENAMETOOLONG;
	}
	return 0;
}

/* Splits one line into key and unquoted value, in place. Returns 0, 1 for blank, or -EINVAL. */
static int split_line(char *line, char **ret_key, char **ret_value)
{
	char *eq, *v, *end;

	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (*line == '\0' || *line == '#')
		return 1;
	eq = strchr(line, '=');
	if (!eq || eq == line)
		return -EINVAL;
	*eq = '\0';
	v = eq + 1;
	if ((*v == '"' || *v == '\'') && end > v + 1 && end[-1] == *v) {
		end[-1] = '\0';
		v++;
	}
	for (char *p = line; *p; p++)
		if (!(isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
			return -EINVAL;
	*ret_key = line;
	*ret_value = v;
	return 0;
}

struct parse_ctx {
	const struct conf_file *f;
	void *obj;
	unsigned *lines; /* f->n entries */
	unsigned version_line;
	uint64_t version;
	struct vps_error *err;
	int r; /* the first error */
};

/* Records the first error only: later lines are still read into obj. */
__attribute__((format(printf, 3, 4))) static void parse_fail(struct parse_ctx *c, unsigned lineno,
                                                             const char *fmt, ...)
{
	char what[192];
	va_list ap;

	if (c->r < 0)
		return;
	c->r = -EBADMSG;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	vps_error_set(c->err, c->r, "%s:%u: %s", c->f->path, lineno, what);
}

static void parse_version(struct parse_ctx *c, unsigned lineno, const char *value)
{
	if (c->version_line)
		parse_fail(c, lineno, "duplicate key '%s' (first on line %u)", CONF_VERSION_KEY,
		           c->version_line);
	else if (parse_uint64(value, &c->version) < 0 || c->version == 0)
		parse_fail(c, lineno, "invalid %s '%s'", CONF_VERSION_KEY, value);
	else
		c->version_line = lineno;
}

static void parse_key(struct parse_ctx *c, unsigned lineno, const char *key, const char *value)
{
	const struct conf_key *k = conf_find(c->f->keys, c->f->n, key);
	size_t i;
	char choices[128];
	int r;

	if (strcmp(key, CONF_VERSION_KEY) == 0) {
		parse_version(c, lineno, value);
		return;
	}
	if (!k) {
		parse_fail(c, lineno, "unknown key '%s'", key);
		return;
	}
	i = (size_t)(k - c->f->keys);
	if (c->lines[i]) {
		/* the first one stands: a salvaged state keeps what was written first */
		parse_fail(c, lineno, "duplicate key '%s' (first on line %u)", key, c->lines[i]);
		return;
	}
	r = conf_set(c->f->keys, c->f->n, c->obj, key, value);
	if (r < 0)
		parse_fail(c, lineno, "invalid %s '%s'%s%s", key, value,
		           r == -ERANGE ? ": out of range" : "",
		           enum_choices(k, choices, sizeof(choices)));
	else
		c->lines[i] = lineno;
}

/* A file of a newer format is refused as a whole: its other errors may be new keys. */
static int check_version(struct parse_ctx *c)
{
	if (c->version <= c->f->version)
		return c->r;
	/* replaces a line's error: that may be a key of the newer format */
	vps_error_clear(c->err);
	return vps_error_set(c->err, -EPROTONOSUPPORT,
	                     "%s: written by a newer vpsctl (format %" PRIu64
	                     "; this one reads up to %u)",
	                     c->f->path, c->version, c->f->version);
}

int conf_parse(const struct conf_file *f, void *obj, const char *text, unsigned *ret_lines,
               struct vps_error *err)
{
	_cleanup_free_ char *copy = strdup(text);
	_cleanup_free_ unsigned *lines = calloc(f->n ? f->n : 1, sizeof(unsigned));
	struct parse_ctx c = {.f = f, .obj = obj, .lines = lines, .err = err};
	char *line, *next;
	unsigned lineno = 0;

	if (!copy || !lines)
		return -ENOMEM;
	vps_error_clear(err);
	for (line = copy; line && *line; line = next) {
		char *key, *value;
		int r;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		r = split_line(line, &key, &value);
		if (r == 1)
			continue;
		if (r < 0)
			parse_fail(&c, lineno, "not a KEY=value line");
		else
			parse_key(&c, lineno, key, value);
	}
	if (ret_lines)
		memcpy(ret_lines, lines, f->n * sizeof(unsigned));
	return check_version(&c);
}

/* One key's "\n# comment\nKEY=\"value\"\n", or nothing for an empty value the parser
 * would refuse. */
static int format_key(FILE *out, const struct conf_key *k, const void *obj)
{
	char v[4096]; /* a full address list of IPv6 /128s */
	int r = conf_format_value(k, obj, v, sizeof(v));

	if (r < 0)
		return r;
	if (type_is_string(k->type) && !string_is_valid(k, v)) {
		if (v[0] != '\0')
			return -EINVAL;
		return 0;
	}
	fprintf(out, "\n# %s\n%s=\"%s\"\n", k->comment, k->name, v);
	return 0;
}

int conf_format(const struct conf_file *f, const void *obj, const char *header, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (!out)
		return -ENOMEM;
	fprintf(out, "%s%s=\"%u\"\n", header, CONF_VERSION_KEY, f->version);
	for (size_t i = 0; i < f->n; i++) {
		int r = format_key(out, &f->keys[i], obj);

		if (r < 0) {
			fclose(out);
			return r;
		}
	}
	if (fclose(out) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}
