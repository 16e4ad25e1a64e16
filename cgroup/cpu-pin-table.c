/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node's pins as one table: parse, format, update (cpu-pin-table.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cpu-pin-table.h"
#include "parse.h"

#define PIN_HEADER "vpsctl-cpu-pins 1 "

void vps_pin_table_done(struct vps_pin_table *t)
{
	free(t->e);
	*t = (struct vps_pin_table){0};
}

struct vps_pin_entry *vps_pin_table_find(struct vps_pin_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].name, name) == 0)
			return &t->e[i];
	return NULL;
}

static int append(struct vps_pin_table *t, const char *name, const struct vps_cpumask *set)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct vps_pin_entry *e = reallocarray(t->e, cap, sizeof(*e));

		if (!e)
			return -ENOMEM;
		t->e = e;
		t->cap = cap;
	}
	snprintf(t->e[t->n].name, sizeof(t->e[t->n].name), "%s", name);
	t->e[t->n++].set = *set;
	return 0;
}

/* One "NAME CPULIST" line (without its newline) into t. */
static int parse_line(char *line, struct vps_pin_table *t)
{
	char *list = strchr(line, ' ');
	struct vps_cpumask set;

	if (!list)
		return -EBADMSG;
	*list++ = '\0';
	if (!name_is_valid(line) || vps_pin_table_find(t, line) ||
	    vps_cpumask_parse(list, &set) < 0 || vps_cpumask_count(&set) == 0)
		return -EBADMSG;
	return append(t, line, &set);
}

static int parse_header(const char *text, size_t *ret_cursor, const char **ret_rest)
{
	char num[21]; /* a 64-bit cursor has at most 20 digits */
	const char *nl;
	uint64_t v;

	if (strncmp(text, PIN_HEADER, strlen(PIN_HEADER)) != 0)
		return -EBADMSG;
	text += strlen(PIN_HEADER);
	nl = strchr(text, '\n');
	if (!nl || nl == text || (size_t)(nl - text) >= sizeof(num))
		return -EBADMSG;
	memcpy(num, text, (size_t)(nl - text));
	num[nl - text] = '\0';
	if (parse_uint64(num, &v) < 0 || v > SIZE_MAX)
		return -EBADMSG;
	*ret_cursor = (size_t)v;
	*ret_rest = nl + 1;
	return 0;
}

int vps_pin_table_parse(const char *text, struct vps_pin_table *t)
{
	_cleanup_free_ char *copy = NULL;
	const char *rest;
	char *line, *nl;
	int r;

	*t = (struct vps_pin_table){0};
	r = parse_header(text, &t->cursor, &rest);
	if (r < 0)
		return r;
	if (rest[0] && rest[strlen(rest) - 1] != '\n')
		return -EBADMSG; /* cut short */
	copy = strdup(rest);
	if (!copy)
		return -ENOMEM;
	for (line = copy; *line; line = nl + 1) {
		nl = strchr(line, '\n'); /* there is one: the text ends with it */
		*nl = '\0';
		r = parse_line(line, t); /* an empty line too is refused */
		if (r < 0) {
			vps_pin_table_done(t);
			return r;
		}
	}
	return 0;
}

int vps_pin_table_format(const struct vps_pin_table *t, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char list[4096];
	int r = 0;

	if (!f)
		return -errno;
	fprintf(f, PIN_HEADER "%zu\n", t->cursor);
	for (size_t i = 0; i < t->n && r == 0; i++) {
		r = vps_cpumask_format(&t->e[i].set, list, sizeof(list));
		if (r == 0)
			fprintf(f, "%s %s\n", t->e[i].name, list);
	}
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0)
		return r;
	*ret = TAKE_PTR(buf);
	return 0;
}

int vps_pin_table_put(struct vps_pin_table *t, const char *name, const struct vps_cpumask *set,
                      const struct vps_cpumask *online)
{
	struct vps_pin_entry *e = vps_pin_table_find(t, name);
	bool partial = vps_cpu_pin_is_partial(set, online);

	if (!partial) {
		if (!e)
			return 0;
		*e = t->e[--t->n]; /* order does not matter */
		return 1;
	}
	if (e) {
		if (memcmp(&e->set, set, sizeof(*set)) == 0)
			return 0;
		e->set = *set;
		return 1;
	}
	if (!name_is_valid(name))
		return -EINVAL;
	return append(t, name, set) < 0 ? -ENOMEM : 1;
}

void vps_pin_table_loads(const struct vps_pin_table *t, const char *self,
                         const struct vps_cpumask *online, unsigned load[VPS_CPU_PIN_MAX])
{
	memset(load, 0, sizeof(unsigned) * VPS_CPU_PIN_MAX);
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].name, self) != 0)
			vps_cpu_load_add(load, &t->e[i].set, online);
}
