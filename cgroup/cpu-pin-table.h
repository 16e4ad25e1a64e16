/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node's pins as one table (cpu-pin-table.c): which running VPS runs on a part of the node,
 * and on which CPUs. Kept in RUN/locks/_cpu-pin.pins under the pinning lock
 * (supervisor/cpu-pinning.c), so that a start reads one file instead of every VPS's cgroup.
 * Text, one "NAME CPULIST" line per pinned VPS under a header "vpsctl-cpu-pins 1 CURSOR" (the
 * cursor: where the next check of entries against the kernel starts). No I/O here.
 */
#pragma once

#include <stddef.h>

#include "cpu-pin.h"

#define VPS_PIN_NAME_MAX 32 /* name_is_valid()'s */

struct vps_pin_entry {
	char name[VPS_PIN_NAME_MAX + 1];
	struct vps_cpumask set;
};

struct vps_pin_table {
	struct vps_pin_entry *e;
	size_t n, cap;
	size_t cursor;
};

void vps_pin_table_done(struct vps_pin_table *t);
/* The file's text into an empty table; -EBADMSG for anything but the format above (a bad
 * header, line, name or list, a name twice), -ENOMEM. On error t is empty. */
int vps_pin_table_parse(const char *text, struct vps_pin_table *t);
/* The file's text (malloc'd), entries in table order. */
int vps_pin_table_format(const struct vps_pin_table *t, char **ret);
/* NAME's entry, or NULL. */
struct vps_pin_entry *vps_pin_table_find(struct vps_pin_table *t, const char *name);
/* NAME now runs on set: its entry when that is a partial pin of online, none otherwise.
 * Returns 1 when the table changed, 0 when not, -ENOMEM. */
int vps_pin_table_put(struct vps_pin_table *t, const char *name, const struct vps_cpumask *set,
                      const struct vps_cpumask *online);
/* Every entry but self's in load[] (vps_cpu_load_add). */
void vps_pin_table_loads(const struct vps_pin_table *t, const char *self,
                         const struct vps_cpumask *online, unsigned load[VPS_CPU_PIN_MAX]);
