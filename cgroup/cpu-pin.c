/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Automatic CPU pinning: the choice of CPUs, without I/O (cpu-pin.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpu-pin.h"
#include "parse.h" /* VALUE_UNLIMITED */

bool vps_cpumask_has(const struct vps_cpumask *m, unsigned cpu)
{
	return cpu < VPS_CPU_PIN_MAX && (m->bits[cpu / 64] >> (cpu % 64) & 1);
}

void vps_cpumask_set(struct vps_cpumask *m, unsigned cpu)
{
	if (cpu < VPS_CPU_PIN_MAX)
		m->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

unsigned vps_cpumask_count(const struct vps_cpumask *m)
{
	unsigned n = 0;

	for (size_t i = 0; i < VPS_CPU_PIN_MAX / 64; i++)
		n += (unsigned)__builtin_popcountll(m->bits[i]);
	return n;
}

/* One CPU number at *p; -EINVAL without digits, -ERANGE past the max. */
static int parse_cpu(const char **p, unsigned *ret)
{
	unsigned long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s++ - '0');
		if (v >= VPS_CPU_PIN_MAX)
			return -ERANGE;
	}
	*p = s;
	*ret = (unsigned)v;
	return 0;
}

int vps_cpumask_parse(const char *list, struct vps_cpumask *ret)
{
	const char *p = list;

	memset(ret, 0, sizeof(*ret));
	if (*p == '\0' || strcmp(p, "\n") == 0)
		return 0;
	for (;;) {
		unsigned a, b;
		int r = parse_cpu(&p, &a);

		b = a;
		if (r == 0 && *p == '-') {
			p++;
			r = parse_cpu(&p, &b);
		}
		if (r < 0)
			return r;
		if (b < a)
			return -EINVAL;
		for (unsigned c = a; c <= b; c++)
			vps_cpumask_set(ret, c);
		if (*p == '\0' || strcmp(p, "\n") == 0)
			return 0;
		if (*p++ != ',')
			return -EINVAL;
	}
}

int vps_cpumask_format(const struct vps_cpumask *m, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	for (unsigned c = 0; c < VPS_CPU_PIN_MAX; c++) {
		unsigned end = c;
		int n;

		if (!vps_cpumask_has(m, c))
			continue;
		while (end + 1 < VPS_CPU_PIN_MAX && vps_cpumask_has(m, end + 1))
			end++;
		n = end == c ? snprintf(buf + used, len - used, "%s%u", used ? "," : "", c)
		             : snprintf(buf + used, len - used, "%s%u-%u", used ? "," : "", c, end);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOBUFS;
		used += (size_t)n;
		c = end;
	}
	return 0;
}

unsigned vps_cpu_pin_count(uint64_t cpus_milli, const struct vps_cpumask *online)
{
	uint64_t n;

	if (cpus_milli == VALUE_UNLIMITED || cpus_milli == 0)
		return 0;
	n = (cpus_milli + 999) / 1000;
	return n >= vps_cpumask_count(online) ? 0 : (unsigned)n;
}

bool vps_cpu_pin_is_partial(const struct vps_cpumask *set, const struct vps_cpumask *online)
{
	bool some = false, all = true;

	for (unsigned c = 0; c < VPS_CPU_PIN_MAX; c++) {
		if (!vps_cpumask_has(online, c))
			continue;
		if (vps_cpumask_has(set, c))
			some = true;
		else
			all = false;
	}
	return some && !all;
}

void vps_cpu_load_add(unsigned load[VPS_CPU_PIN_MAX], const struct vps_cpumask *set,
                      const struct vps_cpumask *online)
{
	if (!vps_cpu_pin_is_partial(set, online))
		return;
	for (unsigned c = 0; c < VPS_CPU_PIN_MAX; c++)
		if (vps_cpumask_has(set, c) && vps_cpumask_has(online, c))
			load[c]++;
}

int vps_cpu_pin_choose(const unsigned load[VPS_CPU_PIN_MAX], const struct vps_cpumask *online,
                       unsigned count, struct vps_cpumask *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (count == 0 || count > vps_cpumask_count(online))
		return -EINVAL;
	for (unsigned k = 0; k < count; k++) {
		unsigned best = VPS_CPU_PIN_MAX;

		for (unsigned c = 0; c < VPS_CPU_PIN_MAX; c++)
			if (vps_cpumask_has(online, c) && !vps_cpumask_has(ret, c) &&
			    (best == VPS_CPU_PIN_MAX || load[c] < load[best]))
				best = c;
		vps_cpumask_set(ret, best);
	}
	return 0;
}
