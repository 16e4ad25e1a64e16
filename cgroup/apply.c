/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applying a write plan (with rollback and the safe memory shrink), live resize, and reading
 * the limits back from the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-internal.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"

/* After the shrink timeout, how long a forced v1 shrink may keep killing to get under. */
#define CG_FORCE_GRACE_MS 5000

static int write_one(const struct cg_dirs *d, const struct cg_write *w)
{
	if (d->fd[w->ctrl] < 0)
		return -ENOMEDIUM;
	return cg_write(d->fd[w->ctrl], w->file, w->value);
}

/* A failure replaces the note of what a forced shrink killed (code 0, not an error). */
static void drop_note(struct vps_error *err)
{
	if (err && err->code == 0)
		vps_error_clear(err);
}

static int refusal(struct vps_error *err, const struct cg_write *w, int r)
{
	drop_note(err);
	return vps_error_errno(err, r, "failed to set %s to %s", w->file, w->value);
}

/* Both in MiB, so the two figures compare at a glance. */
static int too_big(struct vps_error *err, uint64_t usage, uint64_t target)
{
	drop_note(err);
	return vps_error_set(err, -EBUSY, "memory usage %.1fM stays above the new limit %.1fM",
	                     (double)usage / (1 << 20), (double)target / (1 << 20));
}

/* What a forced shrink killed, for the operator: "PID (COMM)" appended to err. */
static void note_killed(struct vps_error *err, pid_t pid)
{
	_cleanup_free_ char *comm = NULL;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_file_at(AT_FDCWD, path, 64, &comm, NULL) == 0)
		comm[strcspn(comm, "\n")] = '\0';
	vps_error_append(err, 0, "%s%d (%s)", vps_error_is_set(err) ? ", " : "killed ", (int)pid,
	                 comm ? comm : "?");
}

/* Polls usage every CG_POLL_MS until it is <= target or the deadline passes. */
static uint64_t wait_usage(int fd, const char *file, uint64_t target, uint64_t deadline)
{
	uint64_t usage = VALUE_UNLIMITED;

	for (;;) {
		if (cg_read_u64(fd, file, &usage) < 0 || usage <= target || cg_now_ms() >= deadline)
			return usage;
		cg_sleep_ms(CG_POLL_MS);
	}
}

/* v2: memory.high throttles and reclaims down to the target without killing anything; only
 * when usage got there (or force) does memory.max follow, whose overshoot the kernel meets
 * with an OOM kill inside this group alone. */
static int shrink_v2(const struct cg_dirs *d, const struct cg_write *w, unsigned timeout_ms,
                     bool force, struct vps_error *err)
{
	int fd = d->fd[CG_MEMORY], r;
	uint64_t usage;

	r = cg_read_u64(fd, "memory.current", &usage);
	if (r < 0)
		return refusal(err, w, r);
	if (usage > w->to) {
		char amount[32];

		(void)cg_write(fd, "memory.high", w->value);
		snprintf(amount, sizeof(amount), "%" PRIu64, usage - w->to);
		if (cg_has_file(fd, "memory.reclaim"))
			(void)cg_write(fd, "memory.reclaim", amount); /* -EAGAIN: got less */
		usage = wait_usage(fd, "memory.current", w->to, cg_now_ms() + timeout_ms);
		if (usage > w->to && !force) {
			(void)cg_write(fd, "memory.high", "max");
			return too_big(err, usage, w->to);
		}
	}
	r = cg_write(fd, "memory.max", w->value);
	(void)cg_write(fd, "memory.high", "max");
	return r < 0 ? refusal(err, w, r) : 0;
}

/* v1's stand-in for the OOM kill a forced v2 memory.max gets from the kernel (v1 refuses a
 * limit below what it cannot reclaim): SIGKILL the group's process with the highest
 * oom_score, as the kernel's OOM killer would pick it. */
static int kill_biggest(int fd, struct vps_error *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	uint64_t best_score = 0;
	pid_t best = 0;
	size_t n = 0;
	int r;

	r = cg_read_procs(fd, &pids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *s = NULL;
		char path[64];
		uint64_t score;

		snprintf(path, sizeof(path), "/proc/%d/oom_score", (int)pids[i]);
		if (read_file_at(AT_FDCWD, path, 64, &s, NULL) < 0)
			continue;
		s[strcspn(s, "\n")] = '\0';
		if (parse_uint64(s, &score) == 0 && (best == 0 || score > best_score)) {
			best = pids[i];
			best_score = score;
		}
	}
	if (best == 0)
		return -ESRCH;
	log_debug("cgroup: forced shrink kills %d (oom_score %" PRIu64 ")", (int)best, best_score);
	note_killed(err, best);
	return cg_signal_verified(fd, &best, 1, SIGKILL);
}

/* v1: writing memory.limit_in_bytes reclaims by itself and fails -EBUSY when it cannot get
 * under; retry until the deadline, and then, if forced, make room by killing. */
static int limit_v1(const struct cg_dirs *d, const struct cg_write *w, uint64_t deadline,
                    bool force, struct vps_error *err)
{
	int fd = d->fd[CG_MEMORY], r;
	uint64_t force_deadline = deadline + CG_FORCE_GRACE_MS;

	for (;;) {
		r = cg_write(fd, "memory.limit_in_bytes", w->value);
		if (r != -EBUSY)
			return r;
		if (cg_now_ms() >= (force ? force_deadline : deadline))
			return r;
		if (force && cg_now_ms() >= deadline)
			(void)kill_biggest(fd, err);
		cg_sleep_ms(CG_POLL_MS);
	}
}

/* v1: the soft limit asks global reclaim to push the group down while we retry. */
static int shrink_v1(const struct cg_dirs *d, const struct cg_write *w, unsigned timeout_ms,
                     bool force, struct vps_error *err)
{
	int fd = d->fd[CG_MEMORY], r;
	_cleanup_free_ char *soft = NULL;
	uint64_t usage = 0;

	r = cg_read_u64(fd, "memory.usage_in_bytes", &usage);
	if (r < 0)
		return refusal(err, w, r);
	if (usage > w->to && cg_read_string(fd, "memory.soft_limit_in_bytes", &soft) == 0)
		(void)cg_write(fd, "memory.soft_limit_in_bytes", w->value);
	r = limit_v1(d, w, cg_now_ms() + timeout_ms, force, err);
	if (soft)
		(void)cg_write(fd, "memory.soft_limit_in_bytes", soft);
	if (r == -EBUSY && cg_read_u64(fd, "memory.usage_in_bytes", &usage) == 0 && usage > w->to)
		return too_big(err, usage, w->to);
	return r < 0 ? refusal(err, w, r) : 0;
}

static void rollback(const struct cg_dirs *d, const struct cg_plan *p, size_t failed)
{
	struct cg_plan undo;

	cg_plan_rollback(p, failed, &undo);
	for (size_t i = 0; i < undo.n; i++) {
		int r = write_one(d, &undo.w[i]);

		if (r < 0)
			log_debug_errno(r, "cgroup: rollback of %s to %s failed, ignoring: %m",
			                undo.w[i].file, undo.w[i].value);
	}
}

int cg_plan_execute(const struct vps_cgroup *cg, const struct cg_dirs *d, const struct cg_plan *p,
                    unsigned shrink_timeout_ms, bool force, struct vps_error *err)
{
	for (size_t k = 0; k < p->n; k++) {
		const struct cg_write *w = &p->w[k];
		int r;

		if (!w->memory_shrink) {
			r = write_one(d, w);
			if (r < 0)
				refusal(err, w, r);
		} else if (cg->backend == VPS_CGROUP_V2) {
			r = shrink_v2(d, w, shrink_timeout_ms, force, err);
		} else {
			r = shrink_v1(d, w, shrink_timeout_ms, force, err);
		}
		if (r < 0) {
			rollback(d, p, k);
			return r;
		}
	}
	return 0;
}

int vps_cgroup_resize(struct vps_cgroup *cg, const struct vps_quota *old,
                      const struct vps_quota *new, unsigned shrink_timeout_ms, bool force,
                      struct vps_error *err)
{
	_cleanup_(cg_dirs_close) struct cg_dirs d;
	struct vps_error scratch;
	struct cg_features f;
	struct cg_plan plan;
	int r;

	if (!err)
		err = &scratch;
	vps_error_clear(err);
	r = cg_dirs_open(cg, &d);
	if (r < 0) {
		return vps_error_errno(err, r, "cgroup %s/%s is missing", cg->parent, cg->name);
	}
	r = cg_features_probe(cg, &d, &f);
	if (r == 0)
		r = cg_plan_build(&f, old, new, false, &plan, err);
	if (r == 0)
		r = cg_plan_execute(cg, &d, &plan, shrink_timeout_ms, force, err);
	return r;
}

/* A file of a controller that may be absent: absent reads as dflt. */
static int read_opt(bool present, int fd, const char *file, uint64_t dflt, uint64_t *ret)
{
	if (!present) {
		*ret = dflt;
		return 0;
	}
	return cg_read_u64(fd, file, ret);
}

static int read_cpu_v2(int fd, const struct cg_features *f, struct vps_quota *q)
{
	_cleanup_free_ char *s = NULL;
	uint64_t quota, period, burst;
	char *sp;
	int r;

	r = cg_read_string(fd, "cpu.max", &s);
	if (r < 0)
		return r;
	sp = strchr(s, ' ');
	if (!sp)
		return -EINVAL;
	*sp = '\0';
	quota = VALUE_UNLIMITED;
	if (strcmp(s, "max") != 0 && parse_uint64(s, &quota) < 0)
		return -EINVAL;
	if (parse_uint64(sp + 1, &period) < 0)
		return -EINVAL;
	q->cpus_milli = cg_quota_us_to_cpus(quota, period);
	r = read_opt(f->burst, fd, "cpu.max.burst", 0, &burst);
	if (r < 0)
		return r;
	q->cpu_burst_milli = cg_quota_us_to_cpus(burst, period);
	return cg_read_u64(fd, "cpu.weight", &q->cpu_weight);
}

static int read_cpu_v1(int fd, const struct cg_features *f, struct vps_quota *q)
{
	uint64_t quota, period, burst, shares;
	int r;

	r = cg_read_u64(fd, "cpu.cfs_quota_us", &quota);
	if (r == 0)
		r = cg_read_u64(fd, "cpu.cfs_period_us", &period);
	if (r == 0)
		r = read_opt(f->burst, fd, "cpu.cfs_burst_us", 0, &burst);
	if (r == 0)
		r = cg_read_u64(fd, "cpu.shares", &shares);
	if (r < 0)
		return r;
	q->cpus_milli = cg_quota_us_to_cpus(quota, period);
	q->cpu_burst_milli = cg_quota_us_to_cpus(burst, period);
	q->cpu_weight = cg_shares_to_weight(shares);
	return 0;
}

static int read_memory(const struct vps_cgroup *cg, int fd, const struct cg_features *f,
                       struct vps_quota *q)
{
	bool v2 = cg->backend == VPS_CGROUP_V2;
	uint64_t memsw;
	int r;

	r = cg_read_u64(fd, v2 ? "memory.max" : "memory.limit_in_bytes", &q->memory);
	if (r == 0)
		r = cg_read_u64(fd, v2 ? "memory.low" : "memory.soft_limit_in_bytes",
		                &q->memory_reserve);
	if (r < 0)
		return r;
	/* without swap accounting nothing caps swap: report what the kernel enforces */
	if (v2)
		return read_opt(f->swap, fd, "memory.swap.max", VALUE_UNLIMITED, &q->swap);
	r = read_opt(f->swap, fd, "memory.memsw.limit_in_bytes", VALUE_UNLIMITED, &memsw);
	q->swap = cg_swap_from_memsw(memsw, q->memory);
	return r;
}

static int read_io(const struct vps_cgroup *cg, int fd, const struct cg_features *f,
                   struct vps_quota *q)
{
	uint64_t w;
	int r;

	if (!f->io_file) {
		q->io_weight = CG_WEIGHT_DEFAULT;
		return 0;
	}
	if (cg->backend == VPS_CGROUP_V2)
		return cg_read_keyed(fd, f->io_file, "default", &q->io_weight);
	r = cg_read_u64(fd, f->io_file, &w);
	if (r == 0)
		q->io_weight =
			cg_blkio_to_io_weight(w, strcmp(f->io_file, "blkio.bfq.weight") == 0);
	return r;
}

/* "" stands for every CPU of the parent; a v1 group spells that out, so map it back. */
static int read_cpuset(int fd, const struct cg_features *f, struct vps_quota *q)
{
	_cleanup_free_ char *s = NULL;
	int r;

	q->cpuset[0] = '\0';
	if (!f->cpuset)
		return 0;
	r = cg_read_string(fd, "cpuset.cpus", &s);
	if (r < 0)
		return r;
	if (strlen(s) >= sizeof(q->cpuset))
		return -E2BIG;
	if (f->backend == VPS_CGROUP_V2 || strcmp(s, f->parent_cpus) != 0)
		snprintf(q->cpuset, sizeof(q->cpuset), "%s", s);
	return 0;
}

int cg_read_quota_dirs(const struct vps_cgroup *cg, const struct cg_dirs *d,
                       const struct cg_features *f, struct vps_quota *ret)
{
	struct vps_quota q = {};
	int r;

	if (cg->backend == VPS_CGROUP_V2)
		r = read_cpu_v2(d->fd[CG_CPU], f, &q);
	else
		r = read_cpu_v1(d->fd[CG_CPU], f, &q);
	if (r == 0)
		r = read_memory(cg, d->fd[CG_MEMORY], f, &q);
	if (r == 0)
		r = read_opt(f->pids, d->fd[CG_PIDS], "pids.max", VALUE_UNLIMITED, &q.pids);
	if (r == 0)
		r = read_io(cg, d->fd[CG_IO], f, &q);
	if (r == 0)
		r = read_cpuset(d->fd[CG_CPUSET], f, &q);
	if (r < 0)
		return r;
	*ret = q;
	return 0;
}

int vps_cgroup_read_quota(struct vps_cgroup *cg, struct vps_quota *ret)
{
	_cleanup_(cg_dirs_close) struct cg_dirs d;
	struct cg_features f;
	int r;

	r = cg_dirs_open(cg, &d);
	if (r < 0)
		return r;
	r = cg_features_probe(cg, &d, &f);
	if (r < 0)
		return r;
	return cg_read_quota_dirs(cg, &d, &f, ret);
}
