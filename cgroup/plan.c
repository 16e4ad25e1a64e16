/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Write planning: the ordered list of file writes that takes a group from one quota to
 * another without ever passing through a state the kernel refuses.
 *
 * Limits form chains the kernel checks on every write: cpu burst <= cpu quota, and on v1
 * memory.limit_in_bytes <= memory.memsw.limit_in_bytes; the reserve (memory.low /
 * soft_limit_in_bytes) is kept <= the cap by our own rule. Each write carries its rank in
 * its chain (reserve 0, cap 1, memsw 2). Writing every raised value first, from the top of
 * the chain down, and then every lowered value from the bottom up keeps each chain ordered
 * after every single write, whatever mix of raises and cuts a resize holds: a raised value
 * only ever meets a higher one above it, a lowered one a lower one below it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cg-internal.h"
#include "parse.h"

enum { RANK_RESERVE, RANK_CAP, RANK_MEMSW };

struct builder {
	const struct cg_features *f;
	bool all;
	struct cg_plan *plan;
};

static void add_write(struct builder *b, enum cg_ctrl ctrl, const char *file, unsigned rank,
                      const char *undo, const char *value, uint64_t from, uint64_t to)
{
	struct cg_write *w;

	if (!b->all && strcmp(undo, value) == 0)
		return;
	w = &b->plan->w[b->plan->n++];
	*w = (struct cg_write){.ctrl = ctrl, .file = file, .rank = rank, .from = from, .to = to};
	snprintf(w->value, sizeof(w->value), "%s", value);
	snprintf(w->undo, sizeof(w->undo), "%s", undo);
}

static void add_limit(struct builder *b, enum cg_ctrl ctrl, const char *file, unsigned rank,
                      uint64_t from, uint64_t to)
{
	char u[32], v[32];

	add_write(b, ctrl, file, rank, cg_format_limit(b->f->backend, from, u, sizeof(u)),
	          cg_format_limit(b->f->backend, to, v, sizeof(v)), from, to);
}

static const char *fmt_u64(uint64_t v, char buf[static 32])
{
	snprintf(buf, 32, "%" PRIu64, v);
	return buf;
}

static void add_number(struct builder *b, enum cg_ctrl ctrl, const char *file, uint64_t from,
                       uint64_t to)
{
	char u[32], v[32];

	add_write(b, ctrl, file, RANK_CAP, fmt_u64(from, u), fmt_u64(to, v), from, to);
}

static int plan_cpu(struct builder *b, const struct vps_quota *o, const struct vps_quota *n,
                    struct vps_error *err)
{
	bool v2 = b->f->backend == VPS_CGROUP_V2;
	char u[32], v[32];

	if (v2)
		add_write(b, CG_CPU, "cpu.max", RANK_CAP,
		          cg_format_cpu_max(o->cpus_milli, u, sizeof(u)),
		          cg_format_cpu_max(n->cpus_milli, v, 32),
		          cg_cpus_to_quota_us(o->cpus_milli), cg_cpus_to_quota_us(n->cpus_milli));
	else
		add_write(b, CG_CPU, "cpu.cfs_quota_us", RANK_CAP,
		          cg_format_cfs_quota(o->cpus_milli, u, 32),
		          cg_format_cfs_quota(n->cpus_milli, v, 32),
		          cg_cpus_to_quota_us(o->cpus_milli), cg_cpus_to_quota_us(n->cpus_milli));
	if (b->f->burst) {
		uint64_t from = cg_cpus_to_quota_us(o->cpu_burst_milli);
		uint64_t to = cg_cpus_to_quota_us(n->cpu_burst_milli);

		add_write(b, CG_CPU, v2 ? "cpu.max.burst" : "cpu.cfs_burst_us", RANK_RESERVE,
		          fmt_u64(from, u), fmt_u64(to, v), from, to);
	} else if (n->cpu_burst_milli != 0) {
		vps_error_set(err, -EOPNOTSUPP, "--cpu-burst needs %s, which this kernel lacks",
		              v2 ? "cpu.max.burst" : "cpu.cfs_burst_us");
		return -EOPNOTSUPP;
	}
	if (v2)
		add_number(b, CG_CPU, "cpu.weight", o->cpu_weight, n->cpu_weight);
	else
		add_number(b, CG_CPU, "cpu.shares", cg_weight_to_shares(o->cpu_weight),
		           cg_weight_to_shares(n->cpu_weight));
	return 0;
}

/* Without swap accounting the kernel cannot cap swap: "no cap" and the default 0 are
 * accepted (0 is then not enforced), any other finite amount is refused rather than
 * silently ignored. */
static int plan_swap(struct builder *b, const struct vps_quota *o, const struct vps_quota *n,
                     struct vps_error *err)
{
	if (!b->f->swap) {
		if (n->swap == 0 || n->swap == VALUE_UNLIMITED)
			return 0;
		vps_error_set(err, -EOPNOTSUPP, "--swap needs swap accounting (%s is missing)",
		              b->f->backend == VPS_CGROUP_V2 ? "memory.swap.max"
		                                             : "memory.memsw.limit_in_bytes");
		return -EOPNOTSUPP;
	}
	if (b->f->backend == VPS_CGROUP_V2)
		add_limit(b, CG_MEMORY, "memory.swap.max", RANK_CAP, o->swap, n->swap);
	else
		add_limit(b, CG_MEMORY, "memory.memsw.limit_in_bytes", RANK_MEMSW,
		          cg_memsw(o->memory, o->swap), cg_memsw(n->memory, n->swap));
	return 0;
}

static int plan_memory(struct builder *b, const struct vps_quota *o, const struct vps_quota *n,
                       struct vps_error *err)
{
	bool v2 = b->f->backend == VPS_CGROUP_V2;
	size_t before;

	add_limit(b, CG_MEMORY, v2 ? "memory.low" : "memory.soft_limit_in_bytes", RANK_RESERVE,
	          o->memory_reserve, n->memory_reserve);
	before = b->plan->n;
	add_limit(b, CG_MEMORY, v2 ? "memory.max" : "memory.limit_in_bytes", RANK_CAP, o->memory,
	          n->memory);
	if (b->plan->n > before && n->memory < o->memory)
		b->plan->w[before].memory_shrink = true;
	return plan_swap(b, o, n, err);
}

static int plan_pids(struct builder *b, const struct vps_quota *o, const struct vps_quota *n,
                     struct vps_error *err)
{
	char u[32], a[32];

	if (b->f->pids) {
		/* pids.max spells "no cap" as "max" on v1 too */
		add_write(b, CG_PIDS, "pids.max", RANK_CAP,
		          cg_format_limit(VPS_CGROUP_V2, o->pids, u, sizeof(u)),
		          cg_format_limit(VPS_CGROUP_V2, n->pids, a, sizeof(a)), o->pids, n->pids);
		return 0;
	}
	if (n->pids == VALUE_UNLIMITED)
		return 0;
	vps_error_set(err, -EOPNOTSUPP,
	              "--pids %s needs the pids controller, which is not available",
	              format_count(n->pids, a, sizeof(a)));
	return -EOPNOTSUPP;
}

/* The throttle's values go to the devices of the VPS's storage (io-limit.c), which only the
 * caller knows; here only whether the kernel can throttle at all. */
static int plan_io_throttle(const struct cg_features *f, const struct vps_quota *n,
                            struct vps_error *err)
{
	static const char *const flags[] = {"--io-read-bps", "--io-write-bps", "--io-read-iops",
	                                    "--io-write-iops"};
	const uint64_t v[] = {n->io_read_bps, n->io_write_bps, n->io_read_iops, n->io_write_iops};

	if (f->io_throttle)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		if (cg_io_limited(v[i])) {
			vps_error_set(
				err, -EOPNOTSUPP, "%s needs %s, which this kernel lacks", flags[i],
				f->backend == VPS_CGROUP_V2 ? "io.max" : "blkio.throttle.*_device");
			return -EOPNOTSUPP;
		}
	return 0;
}

static int plan_io(struct builder *b, const struct vps_quota *o, const struct vps_quota *n,
                   struct vps_error *err)
{
	char u[32], v[32];
	bool bfq;

	if (!b->f->io_file) {
		if (n->io_weight != CG_WEIGHT_DEFAULT) {
			vps_error_set(
				err, -EOPNOTSUPP,
				"--io-weight needs an io weight file, which this kernel lacks");
			return -EOPNOTSUPP;
		}
		/* nothing to differentiate: every group shares alike */
	} else if (b->f->backend == VPS_CGROUP_V2) {
		snprintf(u, sizeof(u), "default %" PRIu64, o->io_weight);
		snprintf(v, sizeof(v), "default %" PRIu64, n->io_weight);
		add_write(b, CG_IO, b->f->io_file, RANK_CAP, u, v, o->io_weight, n->io_weight);
	} else {
		bfq = strcmp(b->f->io_file, "blkio.bfq.weight") == 0;
		add_number(b, CG_IO, b->f->io_file, cg_io_weight_to_blkio(o->io_weight, bfq),
		           cg_io_weight_to_blkio(n->io_weight, bfq));
	}
	return plan_io_throttle(b->f, n, err);
}

/* v1 has no "inherit": an empty cpuset.cpus means no CPU at all, so "" is the parent's. */
static const char *cpuset_value(const struct cg_features *f, const char *s)
{
	return f->backend == VPS_CGROUP_V1 && s[0] == '\0' ? f->parent_cpus : s;
}

static int plan_cpuset(struct builder *b, const struct vps_quota *o, const struct vps_quota *n,
                       struct vps_error *err)
{
	if (!b->f->cpuset) {
		if (n->cpuset[0] == '\0')
			return 0;
		vps_error_set(err, -EOPNOTSUPP,
		              "--cpuset needs the cpuset controller, which is not available");
		return -EOPNOTSUPP;
	}
	add_write(b, CG_CPUSET, "cpuset.cpus", RANK_CAP, cpuset_value(b->f, o->cpuset),
	          cpuset_value(b->f, n->cpuset), 0, 0);
	return 0;
}

/* Raised values first, top of each chain down; then lowered ones, bottom up. */
static unsigned order_key(const struct cg_write *w)
{
	if (w->to >= w->from)
		return RANK_MEMSW - w->rank;
	return 10 + w->rank;
}

static void sort_plan(struct cg_plan *p)
{
	for (size_t i = 1; i < p->n; i++) {
		struct cg_write w = p->w[i];
		size_t j = i;

		for (; j > 0 && order_key(&p->w[j - 1]) > order_key(&w); j--)
			p->w[j] = p->w[j - 1];
		p->w[j] = w;
	}
}

int cg_plan_build(const struct cg_features *f, const struct vps_quota *old,
                  const struct vps_quota *new, bool all, struct cg_plan *ret, struct vps_error *err)
{
	struct builder b = {.f = f, .all = all, .plan = ret};
	int r;

	ret->n = 0;
	r = plan_cpu(&b, old, new, err);
	if (r == 0)
		r = plan_memory(&b, old, new, err);
	if (r == 0)
		r = plan_pids(&b, old, new, err);
	if (r == 0)
		r = plan_io(&b, old, new, err);
	if (r == 0)
		r = plan_cpuset(&b, old, new, err);
	if (r < 0) {
		ret->n = 0;
		return r;
	}
	sort_plan(ret);
	return 0;
}

void cg_plan_rollback(const struct cg_plan *p, size_t failed, struct cg_plan *ret)
{
	ret->n = 0;
	for (size_t i = failed; i > 0; i--) {
		struct cg_write *w = &ret->w[ret->n++];

		*w = p->w[i - 1];
		memcpy(w->value, p->w[i - 1].undo, sizeof(w->value));
		memcpy(w->undo, p->w[i - 1].value, sizeof(w->undo));
		w->from = p->w[i - 1].to;
		w->to = p->w[i - 1].from;
		w->memory_shrink = false;
	}
}
