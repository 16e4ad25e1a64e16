/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Usage and failure counters of a group, in the same units on both backends. A counter the
 * kernel does not offer (an old kernel, no swap accounting) reads as 0. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cg-internal.h"
#include "parse.h"

/* One counter: a plain file (key NULL) or a "key value" line of a file. */
struct counter {
	enum cg_ctrl ctrl;
	const char *file;
	const char *key;
	size_t offset; /* into struct vps_cgroup_stats */
};

#define AT(field) offsetof(struct vps_cgroup_stats, field)

static const struct counter v2_counters[] = {
	{CG_CPU, "cpu.stat", "usage_usec", AT(cpu_usage_usec)},
	{CG_CPU, "cpu.stat", "nr_periods", AT(cpu_nr_periods)},
	{CG_CPU, "cpu.stat", "nr_throttled", AT(cpu_nr_throttled)},
	{CG_CPU, "cpu.stat", "throttled_usec", AT(cpu_throttled_usec)},
	{CG_MEMORY, "memory.current", NULL, AT(memory_current)},
	{CG_MEMORY, "memory.peak", NULL, AT(memory_peak)},
	{CG_MEMORY, "memory.max", NULL, AT(memory_max)},
	{CG_MEMORY, "memory.swap.current", NULL, AT(swap_current)},
	{CG_PIDS, "pids.current", NULL, AT(pids_current)},
	{CG_PIDS, "pids.max", NULL, AT(pids_max)},
	{CG_MEMORY, "memory.events", "high", AT(memory_high_events)},
	{CG_MEMORY, "memory.events", "max", AT(memory_max_events)},
	{CG_MEMORY, "memory.events", "oom", AT(memory_oom_events)},
	{CG_MEMORY, "memory.events", "oom_kill", AT(memory_oom_kills)},
	{CG_PIDS, "pids.events", "max", AT(pids_max_events)},
};

/* v1 has no memory.high and no separate OOM event count: every OOM there ends in a kill, so
 * oom events read as the kills. Max events are the hits of the hard limits: memory.failcnt
 * plus memory.memsw.failcnt (with swap 0 the memsw counter is the one that fills first).
 * Newer kernels stopped counting memsw.failcnt, so the OOM kills (each one a hit of the cap)
 * are the floor. */
static const struct counter v1_counters[] = {
	{CG_CPUACCT, "cpuacct.usage", NULL, AT(cpu_usage_usec)},
	{CG_CPU, "cpu.stat", "nr_periods", AT(cpu_nr_periods)},
	{CG_CPU, "cpu.stat", "nr_throttled", AT(cpu_nr_throttled)},
	{CG_CPU, "cpu.stat", "throttled_time", AT(cpu_throttled_usec)},
	{CG_MEMORY, "memory.usage_in_bytes", NULL, AT(memory_current)},
	{CG_MEMORY, "memory.max_usage_in_bytes", NULL, AT(memory_peak)},
	{CG_MEMORY, "memory.limit_in_bytes", NULL, AT(memory_max)},
	{CG_MEMORY, "memory.memsw.usage_in_bytes", NULL, AT(swap_current)},
	{CG_PIDS, "pids.current", NULL, AT(pids_current)},
	{CG_PIDS, "pids.max", NULL, AT(pids_max)},
	{CG_MEMORY, "memory.failcnt", NULL, AT(memory_max_events)},
	{CG_MEMORY, "memory.memsw.failcnt", NULL, AT(memory_high_events)}, /* see fixup_v1 */
	{CG_MEMORY, "memory.oom_control", "oom_kill", AT(memory_oom_events)},
	{CG_MEMORY, "memory.oom_control", "oom_kill", AT(memory_oom_kills)},
	{CG_PIDS, "pids.events", "max", AT(pids_max_events)},
};

static int read_counter(const struct cg_dirs *d, const struct counter *c,
                        struct vps_cgroup_stats *st)
{
	uint64_t *dst = (uint64_t *)((char *)st + c->offset);
	int fd = d->fd[c->ctrl], r;

	*dst = 0;
	if (fd < 0)
		return 0;
	if (c->key)
		r = cg_read_keyed(fd, c->file, c->key, dst);
	else
		r = cg_read_u64(fd, c->file, dst);
	if (r == -ENOENT || r == -ENODATA) {
		*dst = 0;
		return 0;
	}
	return r;
}

/* v1 counts nanoseconds where v2 counts microseconds, and memsw includes the RAM. */
static void fixup_v1(const struct cg_dirs *d, struct vps_cgroup_stats *st)
{
	st->memory_max_events += st->memory_high_events;
	if (st->memory_max_events < st->memory_oom_kills)
		st->memory_max_events = st->memory_oom_kills;
	st->memory_high_events = 0;
	st->cpu_usage_usec /= 1000;
	st->cpu_throttled_usec /= 1000;
	if (st->swap_current == VALUE_UNLIMITED ||
	    !cg_has_file(d->fd[CG_MEMORY], "memory.memsw.usage_in_bytes"))
		st->swap_current = 0;
	else
		st->swap_current = st->swap_current > st->memory_current
		                           ? st->swap_current - st->memory_current
		                           : 0;
}

int vps_cgroup_stats(struct vps_cgroup *cg, struct vps_cgroup_stats *ret)
{
	_cleanup_(cg_dirs_close) struct cg_dirs d;
	bool v2 = cg->backend == VPS_CGROUP_V2;
	const struct counter *tab = v2 ? v2_counters : v1_counters;
	size_t n = v2 ? ELEMENTSOF(v2_counters) : ELEMENTSOF(v1_counters);
	struct vps_cgroup_stats st = {};
	int r;

	r = cg_dirs_open(cg, &d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = read_counter(&d, &tab[i], &st);
		if (r < 0)
			return r;
	}
	if (!v2)
		fixup_v1(&d, &st);
	r = cg_io_stats(cg, &d, &st);
	if (r < 0)
		return r;
	/* kernels before memory.peak: the best known lower bound */
	if (st.memory_peak < st.memory_current)
		st.memory_peak = st.memory_current;
	*ret = st;
	return 0;
}

/* What `vpsctl list` shows of every VPS: the few counters it needs, not the failure counts. */
static const struct counter v2_usage[] = {
	{CG_CPU, "cpu.stat", "usage_usec", AT(cpu_usage_usec)},
	{CG_MEMORY, "memory.current", NULL, AT(memory_current)},
	{CG_MEMORY, "memory.max", NULL, AT(memory_max)},
	{CG_PIDS, "pids.current", NULL, AT(pids_current)},
};
static const struct counter v1_usage[] = {
	{CG_CPUACCT, "cpuacct.usage", NULL, AT(cpu_usage_usec)},
	{CG_MEMORY, "memory.usage_in_bytes", NULL, AT(memory_current)},
	{CG_MEMORY, "memory.limit_in_bytes", NULL, AT(memory_max)},
	{CG_PIDS, "pids.current", NULL, AT(pids_current)},
};

/* One counter, opened by NAME/FILE relative to the parent directory a list opened once
 * (vps_cgroup_new_at), else by its full path: not the group's directory first, which would
 * double the path walks of a node-wide list. */
static int read_counter_path(const struct vps_cgroup *cg, const struct counter *c,
                             struct vps_cgroup_stats *st)
{
	const struct cg_hier *h = cg_hier_of(cg, c->ctrl);
	uint64_t *dst = (uint64_t *)((char *)st + c->offset);
	char path[PATH_MAX];
	int dfd, r;

	*dst = 0;
	if (!h)
		return 0;
	r = cg_group_at(cg, h, c->file, path, sizeof(path), &dfd);
	if (r < 0)
		return r;
	r = c->key ? cg_read_keyed(dfd, path, c->key, dst) : cg_read_u64(dfd, path, dst);
	if (r == -ENODATA) {
		*dst = 0;
		return 0;
	}
	return r;
}

int vps_cgroup_usage(struct vps_cgroup *cg, struct vps_cgroup_stats *ret)
{
	bool v2 = cg->backend == VPS_CGROUP_V2;
	const struct counter *tab = v2 ? v2_usage : v1_usage;
	struct vps_cgroup_stats st = {};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(v2_usage); i++) {
		r = read_counter_path(cg, &tab[i], &st);
		/* a missing file is a missing counter, but a missing group is no usage at all */
		if (r == -ENOENT && i > 0)
			continue;
		if (r < 0)
			return r;
	}
	if (!v2)
		st.cpu_usage_usec /= 1000; /* nanoseconds on v1 */
	*ret = st;
	return 0;
}
