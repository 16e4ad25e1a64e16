/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Automatic CPU pinning, the pure part (cpu-pin.c): CPU lists as masks, and the choice of the
 * least-loaded CPUs for a VPS with a CPU cap and no cpuset of its own. The load of a CPU is how
 * many VPSes pinned to a part of the node run on it. No I/O here; the node lock, the reading of
 * the other VPSes' cpusets and the write are the supervisor's (supervisor/cpu-pinning.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* The CPUs pinning handles; a node with CPUs past this is left unpinned. */
#define VPS_CPU_PIN_MAX 1024

struct vps_cpumask {
	uint64_t bits[VPS_CPU_PIN_MAX / 64];
};

/* "0-3,5" (as cpuset.cpus and /sys/devices/system/cpu/online write it, a trailing newline
 * allowed; "" is the empty mask). -EINVAL for anything else, -ERANGE for a CPU past the max. */
int vps_cpumask_parse(const char *list, struct vps_cpumask *ret);
/* The shortest list ("0-2,5"); -ENOBUFS when it does not fit. */
int vps_cpumask_format(const struct vps_cpumask *m, char *buf, size_t len);
unsigned vps_cpumask_count(const struct vps_cpumask *m);
bool vps_cpumask_has(const struct vps_cpumask *m, unsigned cpu);
void vps_cpumask_set(struct vps_cpumask *m, unsigned cpu);

/* How many CPUs a VPS with a cap of cpus_milli thousandths is pinned to: ceil(cap), or 0 when it
 * is not pinned at all (no cap, or a cap that needs every online CPU). */
unsigned vps_cpu_pin_count(uint64_t cpus_milli, const struct vps_cpumask *online);
/* Whether set pins a VPS to a part of the node: some online CPUs, not all. */
bool vps_cpu_pin_is_partial(const struct vps_cpumask *set, const struct vps_cpumask *online);
/* Adds another VPS's effective cpuset to load[] (one per CPU), when it is a partial pin: a VPS
 * that may run anywhere weighs on no CPU in particular. */
void vps_cpu_load_add(unsigned load[VPS_CPU_PIN_MAX], const struct vps_cpumask *set,
                      const struct vps_cpumask *online);
/* The count online CPUs with the least load, the lowest-numbered first among equals. -EINVAL
 * when count is 0 or more than the online CPUs. */
int vps_cpu_pin_choose(const unsigned load[VPS_CPU_PIN_MAX], const struct vps_cpumask *online,
                       unsigned count, struct vps_cpumask *ret);
