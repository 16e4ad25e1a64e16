/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "caps.h"
#include "conf.h"
#include "network.h"
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

static bool text_is_safe(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || *s == '$' || *s == '`' || *s == '\'' ||
		    (unsigned char)*s < 0x20)
			return false;
	return true;
}

static int set_string(const struct conf_key *k, void *field, const char *v)
{
	uint64_t caps;
	bool ok;

	switch (k->type) {
	case CONF_NAME:
		ok = name_is_valid(v);
		break;
	case CONF_HOSTNAME:
		ok = hostname_is_valid(v);
		break;
	case CONF_PATH:
		ok = v[0] == '/' && text_is_safe(v);
		break;
	case CONF_CPUSET:
		ok = cpuset_is_valid(v);
		break;
	case CONF_STORAGE:
		ok = strcmp(v, "copy") == 0 || strcmp(v, "overlay") == 0;
		break;
	case CONF_NODE_SERVICES:
		ok = strcmp(v, "deny") == 0 || strcmp(v, "allow") == 0;
		break;
	case CONF_IPLIST: {
		struct netsetup_addr a[VPS_NET_MAX_ADDRS];
		size_t n;

		ok = vps_net_parse_addrs(v, a, VPS_NET_MAX_ADDRS, &n) == 0;
		break;
	}
	case CONF_MAC: {
		uint8_t mac[NETSETUP_MAC_LEN];

		ok = v[0] == '\0' || netsetup_mac_parse(v, mac) == 0;
		break;
	}
	case CONF_CAPLIST:
		ok = text_is_safe(v) && vps_caps_parse_list(v, &caps) == 0;
		break;
	default:
		ok = text_is_safe(v);
	}
	if (!ok)
		return -EINVAL;
	if (strlen(v) >= k->size)
		return -ENAMETOOLONG;
	strcpy(field, v);
	return 0;
}

const struct conf_key *conf_find(const struct conf_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
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
	case CONF_UINT:
		r = parse_uint64(value, &u);
		break;
	case CONF_RATE:
		r = netsetup_rate_parse(value, &u);
		break;
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
	uint64_t u = *(const uint64_t *)field;

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
		snprintf(buf, len, "%" PRIu64, u);
		break;
	case CONF_RATE:
		if (u == 0)
			snprintf(buf, len, "0");
		else
			netsetup_rate_format(u, buf, len);
		break;
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

int conf_parse(const struct conf_key *keys, size_t n, void *obj, const char *text, char *err,
	       size_t errlen)
{
	_cleanup_free_ char *copy = strdup(text);
	char *line, *next;
	unsigned lineno = 0;

	if (!copy)
		return -ENOMEM;
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
		if (r < 0) {
			snprintf(err, errlen, "line %u: not a KEY=value line", lineno);
			return -EBADMSG;
		}
		r = conf_set(keys, n, obj, key, value);
		if (r == -ENOKEY) {
			snprintf(err, errlen, "line %u: unknown key '%s'", lineno, key);
			return -EBADMSG;
		}
		if (r < 0) {
			snprintf(err, errlen, "line %u: invalid %s '%s'", lineno, key, value);
			return -EBADMSG;
		}
	}
	return 0;
}

int conf_format(const struct conf_key *keys, size_t n, const void *obj, const char *header,
		char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	fprintf(f, "%s", header);
	for (size_t i = 0; i < n; i++) {
		char v[512];
		int r = conf_format_value(&keys[i], obj, v, sizeof(v));

		if (r < 0) {
			fclose(f);
			return r;
		}
		fprintf(f, "\n# %s\n%s=\"%s\"\n", keys[i].comment, keys[i].name, v);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}
