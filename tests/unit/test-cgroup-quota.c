/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The quota model without cgroupfs: value mappings, validation messages, write ordering and
 * rollback for both backends. The ordering tests replay each plan on a model of the kernel
 * that checks, after every single write, the constraints the kernel enforces. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libcgroup.h>

#include "cg-internal.h"
#include "parse.h"

#define M (1ULL << 20)

static struct cg_features features(enum vps_cgroup_backend b)
{
	struct cg_features f = {
		.backend = b,
		.pids = true,
		.cpuset = true,
		.burst = true,
		.swap = true,
		.io_file = b == VPS_CGROUP_V2 ? "io.weight" : "blkio.weight",
	};
	snprintf(f.parent_cpus, sizeof(f.parent_cpus), "0-3");
	return f;
}

static struct vps_quota quota(uint64_t cpus, uint64_t burst, uint64_t mem, uint64_t reserve,
                              uint64_t swap)
{
	struct vps_quota q;

	vps_quota_init_default(&q);
	q.cpus_milli = cpus;
	q.cpu_burst_milli = burst;
	q.memory = mem;
	q.memory_reserve = reserve;
	q.swap = swap;
	return q;
}

static ssize_t find(const struct cg_plan *p, const char *file)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->w[i].file, file) == 0)
			return (ssize_t)i;
	return -1;
}

/* ---- a model of the kernel's checks ---- */

struct model {
	char file[CG_PLAN_MAX][64];
	uint64_t val[CG_PLAN_MAX];
	size_t n;
};

static uint64_t parse_val(const char *s)
{
	char tok[64];
	uint64_t v = 0;

	snprintf(tok, sizeof(tok), "%s", strncmp(s, "default ", 8) == 0 ? s + 8 : s);
	tok[strcspn(tok, " ")] = '\0'; /* cpu.max: the quota */
	if (strcmp(tok, "max") == 0 || strcmp(tok, "-1") == 0)
		return UINT64_MAX;
	if (parse_uint64(tok, &v) < 0)
		return 0; /* cpuset lists: not part of any chain */
	return v;
}

static uint64_t *slot(struct model *m, const char *file)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->file[i], file) == 0)
			return &m->val[i];
	snprintf(m->file[m->n], sizeof(m->file[0]), "%s", file);
	m->val[m->n] = 0;
	return &m->val[m->n++];
}

static void model_check(struct model *m, enum vps_cgroup_backend b, const char *step)
{
	bool v2 = b == VPS_CGROUP_V2;
	uint64_t quota = *slot(m, v2 ? "cpu.max" : "cpu.cfs_quota_us");
	uint64_t burst = *slot(m, v2 ? "cpu.max.burst" : "cpu.cfs_burst_us");
	uint64_t cap = *slot(m, v2 ? "memory.max" : "memory.limit_in_bytes");
	uint64_t low = *slot(m, v2 ? "memory.low" : "memory.soft_limit_in_bytes");

	ck_assert_msg(burst <= quota, "%s: burst %" PRIu64 " > quota %" PRIu64, step, burst, quota);
	ck_assert_msg(low <= cap, "%s: reserve %" PRIu64 " > cap %" PRIu64, step, low, cap);
	if (!v2) {
		uint64_t memsw = *slot(m, "memory.memsw.limit_in_bytes");

		ck_assert_msg(cap <= memsw, "%s: limit %" PRIu64 " > memsw %" PRIu64, step, cap,
		              memsw);
	}
}

static void model_apply(struct model *m, enum vps_cgroup_backend b, const struct cg_plan *p,
                        size_t upto)
{
	for (size_t i = 0; i < upto; i++) {
		char step[128];

		*slot(m, p->w[i].file) = parse_val(p->w[i].value);
		snprintf(step, sizeof(step), "after %s=%s", p->w[i].file, p->w[i].value);
		model_check(m, b, step);
	}
}

/* The state a quota maps to: every file, from an all-writes plan's values. */
static void model_of(struct model *m, const struct cg_features *f, const struct vps_quota *q)
{
	struct vps_quota any = quota(VALUE_UNLIMITED, 0, VALUE_UNLIMITED, 0, VALUE_UNLIMITED);
	struct cg_plan p;

	m->n = 0;
	ck_assert_int_eq(cg_plan_build(f, &any, q, true, &p, NULL), 0);
	for (size_t i = 0; i < p.n; i++)
		*slot(m, p.w[i].file) = parse_val(p.w[i].value);
}

static bool model_eq(const struct model *a, struct model *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (*slot(b, a->file[i]) != a->val[i])
			return false;
	return true;
}

/* Replays old -> new, and every possible failure with its rollback, on the model. */
static void check_transition(enum vps_cgroup_backend b, const struct vps_quota *o,
                             const struct vps_quota *n)
{
	struct cg_features f = features(b);
	struct model start, want, m;
	struct cg_plan p, undo;

	ck_assert_int_eq(cg_plan_build(&f, o, n, false, &p, NULL), 0);
	model_of(&start, &f, o);
	model_of(&want, &f, n);
	m = start;
	model_check(&m, b, "start");
	model_apply(&m, b, &p, p.n);
	ck_assert(model_eq(&want, &m));
	for (size_t k = 0; k <= p.n; k++) {
		m = start;
		model_apply(&m, b, &p, k);
		cg_plan_rollback(&p, k, &undo);
		ck_assert_uint_eq(undo.n, k);
		model_apply(&m, b, &undo, undo.n);
		ck_assert(model_eq(&start, &m));
	}
}

/* ---- mappings ---- */

START_TEST(test_defaults)
{
	struct vps_quota q;
	struct vps_error err = VPS_ERROR_INIT;

	vps_quota_init_default(&q);
	ck_assert_uint_eq(q.cpus_milli, VALUE_UNLIMITED);
	ck_assert_uint_eq(q.cpu_burst_milli, 0);
	ck_assert_uint_eq(q.cpu_weight, 100);
	ck_assert_uint_eq(q.memory, 512 * M);
	ck_assert_uint_eq(q.memory_reserve, 0);
	ck_assert_uint_eq(q.swap, 0);
	ck_assert_uint_eq(q.pids, 1024);
	ck_assert_uint_eq(q.io_weight, 100);
	ck_assert_str_eq(q.cpuset, "");
	ck_assert_int_eq(vps_quota_validate(&q, 2, &err), 0);
}
END_TEST

START_TEST(test_cpu_mappings)
{
	char buf[32];

	ck_assert_str_eq(cg_format_cpu_max(500, buf, sizeof(buf)), "50000 100000");
	ck_assert_str_eq(cg_format_cpu_max(1500, buf, sizeof(buf)), "150000 100000");
	ck_assert_str_eq(cg_format_cpu_max(10, buf, sizeof(buf)), "1000 100000");
	ck_assert_str_eq(cg_format_cpu_max(VALUE_UNLIMITED, buf, sizeof(buf)), "max 100000");
	ck_assert_str_eq(cg_format_cfs_quota(500, buf, sizeof(buf)), "50000");
	ck_assert_str_eq(cg_format_cfs_quota(VALUE_UNLIMITED, buf, sizeof(buf)), "-1");
	ck_assert_uint_eq(cg_cpus_to_quota_us(2000), 200000);
	ck_assert_uint_eq(cg_quota_us_to_cpus(50000, 100000), 500);
	ck_assert_uint_eq(cg_quota_us_to_cpus(150000, 100000), 1500);
	/* another period still reads in thousandths of a CPU, rounded */
	ck_assert_uint_eq(cg_quota_us_to_cpus(33333, 50000), 667);
	ck_assert_uint_eq(cg_quota_us_to_cpus(VALUE_UNLIMITED, 100000), VALUE_UNLIMITED);
	for (uint64_t m = 10; m <= 64000; m += 7)
		ck_assert_uint_eq(cg_quota_us_to_cpus(cg_cpus_to_quota_us(m), CG_PERIOD_US), m);
}
END_TEST

START_TEST(test_weight_mappings)
{
	ck_assert_uint_eq(cg_weight_to_shares(100), 1024);
	ck_assert_uint_eq(cg_weight_to_shares(1), 10);
	ck_assert_uint_eq(cg_weight_to_shares(50), 512);
	ck_assert_uint_eq(cg_weight_to_shares(10000), 102400);
	ck_assert_uint_eq(cg_weight_to_shares(0), 2);
	for (uint64_t w = 1; w <= 10000; w++)
		ck_assert_uint_eq(cg_shares_to_weight(cg_weight_to_shares(w)), w);
	/* blkio.weight (CFQ): 10..1000, default 500 */
	ck_assert_uint_eq(cg_io_weight_to_blkio(100, false), 500);
	ck_assert_uint_eq(cg_io_weight_to_blkio(1, false), 10);
	ck_assert_uint_eq(cg_io_weight_to_blkio(50, false), 253);
	ck_assert_uint_eq(cg_io_weight_to_blkio(200, false), 505);
	ck_assert_uint_eq(cg_io_weight_to_blkio(1000, false), 545);
	ck_assert_uint_eq(cg_io_weight_to_blkio(5050, false), 750);
	ck_assert_uint_eq(cg_io_weight_to_blkio(10000, false), 1000);
	/* blkio.bfq.weight: 1..1000, default 100 */
	ck_assert_uint_eq(cg_io_weight_to_blkio(1, true), 1);
	ck_assert_uint_eq(cg_io_weight_to_blkio(100, true), 100);
	ck_assert_uint_eq(cg_io_weight_to_blkio(1000, true), 182);
	ck_assert_uint_eq(cg_io_weight_to_blkio(10000, true), 1000);
	for (int bfq = 0; bfq <= 1; bfq++) {
		uint64_t prev = 0;

		for (uint64_t w = 1; w <= 10000; w++) {
			uint64_t b = cg_io_weight_to_blkio(w, bfq);

			/* every weight orders: nothing above 200 collapses onto the maximum */
			ck_assert_uint_ge(b, prev);
			ck_assert_uint_le(b, 1000);
			prev = b;
			/* what reads back maps to the same kernel value, and exactly up to 100 */
			ck_assert_uint_eq(cg_io_weight_to_blkio(cg_blkio_to_io_weight(b, bfq), bfq),
			                  b);
			if (w <= 100)
				ck_assert_uint_eq(cg_blkio_to_io_weight(b, bfq), w);
		}
	}
}
END_TEST

START_TEST(test_memory_mappings)
{
	char buf[32];

	ck_assert_uint_eq(cg_memsw(64 * M, 0), 64 * M);
	ck_assert_uint_eq(cg_memsw(64 * M, 32 * M), 96 * M);
	ck_assert_uint_eq(cg_memsw(64 * M, VALUE_UNLIMITED), VALUE_UNLIMITED);
	ck_assert_uint_eq(cg_memsw(VALUE_UNLIMITED, 0), VALUE_UNLIMITED);
	ck_assert_uint_eq(cg_memsw(UINT64_MAX - 5, 10), VALUE_UNLIMITED);
	ck_assert_uint_eq(cg_swap_from_memsw(96 * M, 64 * M), 32 * M);
	ck_assert_uint_eq(cg_swap_from_memsw(64 * M, 64 * M), 0);
	ck_assert_uint_eq(cg_swap_from_memsw(VALUE_UNLIMITED, 64 * M), VALUE_UNLIMITED);
	ck_assert_str_eq(cg_format_limit(VPS_CGROUP_V2, VALUE_UNLIMITED, buf, sizeof(buf)), "max");
	ck_assert_str_eq(cg_format_limit(VPS_CGROUP_V1, VALUE_UNLIMITED, buf, sizeof(buf)), "-1");
	ck_assert_str_eq(cg_format_limit(VPS_CGROUP_V1, 64 * M, buf, sizeof(buf)), "67108864");
}
END_TEST

START_TEST(test_keyed_and_words)
{
	const char *stat = "usage_usec 1234\nnr_periods 5\nnr_throttled 2\nthrottled_usec 77\n";
	uint64_t v;

	ck_assert_int_eq(cg_parse_keyed(stat, "usage_usec", &v), 0);
	ck_assert_uint_eq(v, 1234);
	ck_assert_int_eq(cg_parse_keyed(stat, "throttled_usec", &v), 0);
	ck_assert_uint_eq(v, 77);
	ck_assert_int_eq(cg_parse_keyed(stat, "nr_throttled", &v), 0);
	ck_assert_uint_eq(v, 2);
	ck_assert_int_eq(cg_parse_keyed(stat, "usage", &v), -ENODATA);
	ck_assert_int_eq(cg_parse_keyed("low 0\nhigh 3\nmax 9\noom 1\noom_kill 1", "oom_kill", &v),
	                 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(
		cg_parse_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 4\n", "oom_kill", &v), 0);
	ck_assert_uint_eq(v, 4);
	ck_assert_int_eq(cg_parse_keyed("default 100\n8:0 200\n", "default", &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(cg_parse_keyed("max max\n", "max", &v), 0);
	ck_assert_uint_eq(v, VALUE_UNLIMITED);
	ck_assert_int_eq(cg_parse_keyed("max x1\n", "max", &v), -EINVAL);
	ck_assert_int_eq(cg_parse_keyed("", "max", &v), -ENODATA);
	ck_assert(cg_word_in("cpuset cpu io memory", "cpu"));
	ck_assert(cg_word_in("cpuset io memory\n", "memory"));
	ck_assert(!cg_word_in("cpuset io memory", "cpu"));
	ck_assert(!cg_word_in("hugetlb", "memory"));
}
END_TEST

START_TEST(test_libcgroup_errors)
{
	ck_assert_int_eq(cg_libcgroup_to_errno(0, 0), 0);
	ck_assert_int_eq(cg_libcgroup_to_errno(ECGOTHER, EACCES), -EACCES);
	ck_assert_int_eq(cg_libcgroup_to_errno(ECGOTHER, 0), -EIO);
	ck_assert_int_eq(cg_libcgroup_to_errno(ECGROUPNOTEXIST, 0), -ENOENT);
	ck_assert_int_eq(cg_libcgroup_to_errno(ECGROUPSUBSYSNOTMOUNTED, 0), -ENOMEDIUM);
	ck_assert_int_eq(cg_libcgroup_to_errno(ECGROUPNOTALLOWED, 0), -EPERM);
	ck_assert_int_eq(cg_libcgroup_to_errno(ECGNONEMPTY, 0), -EBUSY);
	ck_assert_int_eq(cg_libcgroup_to_errno(ECGFAIL, 0), -EIO);
	ck_assert_int_eq(cg_libcgroup_to_errno(ENOENT, 0), -ENOENT);
}
END_TEST

/* ---- validation ---- */

static const char *invalid(const struct vps_quota *q, unsigned host_cpus)
{
	static struct vps_error err;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(vps_quota_validate(q, host_cpus, &err), -EINVAL);
	return err.msg;
}

/* Named by the caller: a file's keys, or a flag for what was typed; the field is reported. */
START_TEST(test_validate_names)
{
	static const char *const keys[_VPS_QUOTA_FIELD_MAX] = {
		"CPUS", "CPU_BURST", "CPU_WEIGHT", "MEMORY", "MEMORY_RESERVE",
		"SWAP", "PIDS",      "IO_WEIGHT",  "CPUSET",
	};
	struct vps_quota q = quota(2000, 1000, 64 * M, 0, 0);
	struct vps_error err = VPS_ERROR_INIT;
	enum vps_quota_field f = _VPS_QUOTA_FIELD_MAX;

	q.pids = 0;
	ck_assert_int_eq(vps_quota_check(&q, 0, keys, &err, &f), -EINVAL);
	ck_assert_str_eq(err.msg, "PIDS 0 is below the minimum 1");
	ck_assert_int_eq(f, VPS_QUOTA_PIDS);
	/* the first reason wins: a set error keeps it until it is cleared */
	ck_assert_int_eq(vps_quota_validate(&q, 0, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "PIDS 0 is below the minimum 1");
	vps_error_clear(&err);
	ck_assert_int_eq(vps_quota_validate(&q, 0, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "--pids 0 is below the minimum 1");
	q.pids = 10;
	q.memory_reserve = 128 * M;
	vps_error_clear(&err);
	ck_assert_int_eq(vps_quota_check(&q, 0, keys, &err, &f), -EINVAL);
	ck_assert_str_eq(err.msg, "MEMORY_RESERVE 128M exceeds MEMORY 64M");
	ck_assert_int_eq(f, VPS_QUOTA_MEMORY_RESERVE);
	q.memory_reserve = 0;
	ck_assert_int_eq(vps_quota_check(&q, 0, keys, &err, &f), 0);
}
END_TEST

START_TEST(test_validate_cpu)
{
	struct vps_quota q = quota(1000, 2000, 64 * M, 0, 0);

	ck_assert_str_eq(invalid(&q, 2), "--cpu-burst 2 exceeds --cpus 1");
	q = quota(1500, 1750, 64 * M, 0, 0);
	ck_assert_str_eq(invalid(&q, 2), "--cpu-burst 1.75 exceeds --cpus 1.5");
	q = quota(VALUE_UNLIMITED, 500, 64 * M, 0, 0);
	ck_assert_str_eq(invalid(&q, 2), "--cpu-burst 0.5 needs a finite --cpus");
	q = quota(5, 0, 64 * M, 0, 0);
	ck_assert_str_eq(invalid(&q, 2), "--cpus 0.005 is below the minimum 0.01");
	q = quota(8001, 0, 64 * M, 0, 0);
	ck_assert_str_eq(invalid(&q, 2), "--cpus 8.001 exceeds 4 x the host's 2 CPUs");
	q = quota(8000, 8000, 64 * M, 0, 0);
	ck_assert_int_eq(vps_quota_validate(&q, 2, NULL), 0);
	q = quota(10, 10, 64 * M, 0, 0);
	ck_assert_int_eq(vps_quota_validate(&q, 2, NULL), 0);
	/* host_cpus 0: unknown, no upper bound */
	q = quota(64000, 0, 64 * M, 0, 0);
	ck_assert_int_eq(vps_quota_validate(&q, 0, NULL), 0);
	q = quota(1000, 0, 64 * M, 0, 0);
	q.cpu_weight = 0;
	ck_assert_str_eq(invalid(&q, 2), "--cpu-weight 0 is out of range 1..10000");
	q.cpu_weight = 10001;
	ck_assert_str_eq(invalid(&q, 2), "--cpu-weight 10001 is out of range 1..10000");
	q.cpu_weight = 10000;
	ck_assert_int_eq(vps_quota_validate(&q, 2, NULL), 0);
}
END_TEST

START_TEST(test_validate_memory_and_rest)
{
	struct vps_quota q = quota(1000, 0, 1 * M, 0, 0);

	ck_assert_str_eq(invalid(&q, 2), "--memory 1M is below the minimum 4M");
	q = quota(1000, 0, 512 * M, 1024 * M, 0);
	ck_assert_str_eq(invalid(&q, 2), "--memory-reserve 1G exceeds --memory 512M");
	q = quota(1000, 0, 4 * M, 4 * M, VALUE_UNLIMITED);
	ck_assert_int_eq(vps_quota_validate(&q, 2, NULL), 0);
	q = quota(1000, 0, VALUE_UNLIMITED, VALUE_UNLIMITED, VALUE_UNLIMITED);
	ck_assert_int_eq(vps_quota_validate(&q, 2, NULL), 0);
	q = quota(1000, 0, 64 * M, 0, 0);
	q.pids = 0;
	ck_assert_str_eq(invalid(&q, 2), "--pids 0 is below the minimum 1");
	q.pids = VALUE_UNLIMITED;
	ck_assert_int_eq(vps_quota_validate(&q, 2, NULL), 0);
	q.io_weight = 0;
	ck_assert_str_eq(invalid(&q, 2), "--io-weight 0 is out of range 1..10000");
	q.io_weight = 100;
	snprintf(q.cpuset, sizeof(q.cpuset), "0-3,x");
	ck_assert_str_eq(invalid(&q, 2), "--cpuset '0-3,x' is not a CPU list like 0-3,5");
}
END_TEST

START_TEST(test_cpuset_syntax)
{
	static const char *const good[] = {"", "0", "0-3", "0-3,5", "1,3,5-7", "0-0", "8191"};
	static const char *const bad[] = {"x",   "0-", "-1",    "3-1",  "1,,2", "1,",  ",1",
	                                  "0 1", " 0", "0-3-5", "8192", "1.5",  "0x1", "+1"};

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		ck_assert_msg(cg_cpuset_is_valid(good[i]), "'%s' should be valid", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ck_assert_msg(!cg_cpuset_is_valid(bad[i]), "'%s' should be invalid", bad[i]);
	ck_assert(!cg_cpuset_is_valid(NULL));
}
END_TEST

/* ---- write planning ---- */

START_TEST(test_plan_v1_grow)
{
	struct cg_features f = features(VPS_CGROUP_V1);
	struct vps_quota o = quota(1000, 500, 64 * M, 32 * M, 0);
	struct vps_quota n = quota(2000, 1500, 128 * M, 96 * M, 64 * M);
	struct cg_plan p;

	ck_assert_int_eq(cg_plan_build(&f, &o, &n, false, &p, NULL), 0);
	ck_assert_uint_eq(p.n, 5);
	/* memsw before the limit it must stay above; caps before reserves */
	ck_assert_int_lt(find(&p, "memory.memsw.limit_in_bytes"),
	                 find(&p, "memory.limit_in_bytes"));
	ck_assert_int_lt(find(&p, "memory.limit_in_bytes"), find(&p, "memory.soft_limit_in_bytes"));
	/* the quota goes up before the burst that needs it */
	ck_assert_int_lt(find(&p, "cpu.cfs_quota_us"), find(&p, "cpu.cfs_burst_us"));
	ck_assert_str_eq(p.w[find(&p, "memory.memsw.limit_in_bytes")].value, "201326592");
	ck_assert_str_eq(p.w[find(&p, "memory.memsw.limit_in_bytes")].undo, "67108864");
	ck_assert_str_eq(p.w[find(&p, "cpu.cfs_quota_us")].value, "200000");
	ck_assert_str_eq(p.w[find(&p, "cpu.cfs_burst_us")].value, "150000");
	ck_assert(!p.w[find(&p, "memory.limit_in_bytes")].memory_shrink);
	check_transition(VPS_CGROUP_V1, &o, &n);
}
END_TEST

START_TEST(test_plan_v1_shrink)
{
	struct cg_features f = features(VPS_CGROUP_V1);
	struct vps_quota o = quota(2000, 1500, 128 * M, 96 * M, 64 * M);
	struct vps_quota n = quota(500, 200, 32 * M, 16 * M, 0);
	struct cg_plan p;
	ssize_t lim;

	ck_assert_int_eq(cg_plan_build(&f, &o, &n, false, &p, NULL), 0);
	lim = find(&p, "memory.limit_in_bytes");
	ck_assert_int_lt(find(&p, "memory.soft_limit_in_bytes"), lim);
	ck_assert_int_lt(lim, find(&p, "memory.memsw.limit_in_bytes"));
	ck_assert_int_lt(find(&p, "cpu.cfs_burst_us"), find(&p, "cpu.cfs_quota_us"));
	ck_assert(p.w[lim].memory_shrink);
	ck_assert_uint_eq(p.w[lim].to, 32 * M);
	check_transition(VPS_CGROUP_V1, &o, &n);
}
END_TEST

/* RAM grows while swap shrinks (memsw falls), and the reverse. */
START_TEST(test_plan_v1_mixed)
{
	struct vps_quota a = quota(1000, 0, 1024 * M, 0, 1024 * M);
	struct vps_quota b = quota(1000, 0, 1536 * M, 0, 0);
	struct cg_features f = features(VPS_CGROUP_V1);
	struct cg_plan p;

	check_transition(VPS_CGROUP_V1, &a, &b);
	check_transition(VPS_CGROUP_V1, &b, &a);
	ck_assert_int_eq(cg_plan_build(&f, &a, &b, false, &p, NULL), 0);
	ck_assert_int_lt(find(&p, "memory.limit_in_bytes"),
	                 find(&p, "memory.memsw.limit_in_bytes"));
	/* burst up while quota goes down, within the new quota */
	a = quota(4000, 500, 64 * M, 0, 0);
	b = quota(2000, 2000, 64 * M, 0, 0);
	check_transition(VPS_CGROUP_V1, &a, &b);
	check_transition(VPS_CGROUP_V1, &b, &a);
	check_transition(VPS_CGROUP_V2, &a, &b);
	check_transition(VPS_CGROUP_V2, &b, &a);
}
END_TEST

START_TEST(test_plan_v2)
{
	struct cg_features f = features(VPS_CGROUP_V2);
	struct vps_quota o = quota(1000, 500, 64 * M, 32 * M, 0);
	struct vps_quota n = quota(VALUE_UNLIMITED, 0, 256 * M, 128 * M, VALUE_UNLIMITED);
	struct cg_plan p;

	ck_assert_int_eq(cg_plan_build(&f, &o, &n, false, &p, NULL), 0);
	ck_assert_int_lt(find(&p, "memory.max"), find(&p, "memory.low"));
	/* the quota opens up before the burst comes down (either order is valid here) */
	ck_assert_int_lt(find(&p, "cpu.max"), find(&p, "cpu.max.burst"));
	ck_assert_str_eq(p.w[find(&p, "cpu.max")].value, "max 100000");
	ck_assert_str_eq(p.w[find(&p, "cpu.max")].undo, "100000 100000");
	ck_assert_str_eq(p.w[find(&p, "memory.swap.max")].value, "max");
	ck_assert_str_eq(p.w[find(&p, "memory.swap.max")].undo, "0");
	ck_assert_int_eq(find(&p, "memory.memsw.limit_in_bytes"), -1);
	check_transition(VPS_CGROUP_V2, &o, &n);
	check_transition(VPS_CGROUP_V2, &n, &o);
	ck_assert_int_eq(cg_plan_build(&f, &n, &o, false, &p, NULL), 0);
	ck_assert_int_lt(find(&p, "memory.low"), find(&p, "memory.max"));
	/* burst 0 -> 0.5 fits under "max"; the quota then comes down to 1, still above it */
	ck_assert_int_lt(find(&p, "cpu.max.burst"), find(&p, "cpu.max"));
	ck_assert(p.w[find(&p, "memory.max")].memory_shrink);
}
END_TEST

START_TEST(test_plan_only_changes)
{
	struct cg_features f = features(VPS_CGROUP_V1);
	struct vps_quota o = quota(1000, 0, 64 * M, 0, 0);
	struct vps_quota n = o;
	struct cg_plan p;

	ck_assert_int_eq(cg_plan_build(&f, &o, &n, false, &p, NULL), 0);
	ck_assert_uint_eq(p.n, 0);
	n.cpus_milli = 1500;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, false, &p, NULL), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_str_eq(p.w[0].file, "cpu.cfs_quota_us");
	ck_assert_str_eq(p.w[0].value, "150000");
	ck_assert_str_eq(p.w[0].undo, "100000");
	/* creation writes everything, in a valid order */
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, NULL), 0);
	ck_assert_uint_eq(p.n, 9);
	ck_assert_str_eq(p.w[find(&p, "cpu.shares")].value, "1024");
	ck_assert_str_eq(p.w[find(&p, "pids.max")].value, "1024");
	ck_assert_str_eq(p.w[find(&p, "blkio.weight")].value, "500");
	/* "" on v1 is every CPU of the parent */
	ck_assert_str_eq(p.w[find(&p, "cpuset.cpus")].value, "0-3");
	f = features(VPS_CGROUP_V2);
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, NULL), 0);
	ck_assert_str_eq(p.w[find(&p, "cpuset.cpus")].value, "");
	ck_assert_str_eq(p.w[find(&p, "io.weight")].value, "default 100");
	ck_assert_str_eq(p.w[find(&p, "cpu.weight")].value, "100");
	n.pids = VALUE_UNLIMITED;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, false, &p, NULL), 0);
	ck_assert_str_eq(p.w[find(&p, "pids.max")].value, "max");
	f = features(VPS_CGROUP_V1);
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, false, &p, NULL), 0);
	ck_assert_str_eq(p.w[find(&p, "pids.max")].value, "max");
}
END_TEST

START_TEST(test_plan_missing_features)
{
	struct cg_features f = features(VPS_CGROUP_V1);
	struct vps_quota o = quota(1000, 0, 64 * M, 0, 0);
	struct vps_quota n = quota(1000, 500, 64 * M, 0, 0);
	struct vps_error err = VPS_ERROR_INIT;
	struct cg_plan p;

	f.burst = false;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, false, &p, &err), -EOPNOTSUPP);
	ck_assert_str_eq(err.msg, "--cpu-burst needs cpu.cfs_burst_us, which this kernel lacks");
	ck_assert_uint_eq(p.n, 0);
	n.cpu_burst_milli = 0;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), 0);
	ck_assert_int_eq(find(&p, "cpu.cfs_burst_us"), -1);

	f.swap = false;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), 0);
	ck_assert_int_eq(find(&p, "memory.memsw.limit_in_bytes"), -1);
	n.swap = 256 * M;
	vps_error_clear(&err);
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), -EOPNOTSUPP);
	ck_assert_str_eq(err.msg,
	                 "--swap needs swap accounting (memory.memsw.limit_in_bytes is missing)");
	n.swap = VALUE_UNLIMITED;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), 0);

	f.io_file = NULL;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), 0);
	n.io_weight = 200;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), -EOPNOTSUPP);
	n.io_weight = 100;
	f.cpuset = false;
	snprintf(n.cpuset, sizeof(n.cpuset), "1");
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), -EOPNOTSUPP);
	n.cpuset[0] = '\0';
	f.pids = false;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), -EOPNOTSUPP);
	n.pids = VALUE_UNLIMITED;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), 0);
}
END_TEST

START_TEST(test_rollback_order)
{
	struct cg_features f = features(VPS_CGROUP_V1);
	struct vps_quota o = quota(1000, 500, 64 * M, 32 * M, 0);
	struct vps_quota n = quota(2000, 1500, 128 * M, 96 * M, 64 * M);
	struct cg_plan p, undo;

	ck_assert_int_eq(cg_plan_build(&f, &o, &n, false, &p, NULL), 0);
	ck_assert_uint_ge(p.n, 4);
	cg_plan_rollback(&p, 3, &undo);
	ck_assert_uint_eq(undo.n, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(undo.w[i].file, p.w[2 - i].file);
		ck_assert_str_eq(undo.w[i].value, p.w[2 - i].undo);
		ck_assert_str_eq(undo.w[i].undo, p.w[2 - i].value);
		ck_assert(!undo.w[i].memory_shrink);
	}
	cg_plan_rollback(&p, 0, &undo);
	ck_assert_uint_eq(undo.n, 0);
}
END_TEST

/* Deterministic pseudo-random valid quotas, every pair replayed on the model. */
static uint64_t next(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static struct vps_quota random_quota(uint64_t *s)
{
	static const uint64_t mems[] = {4 * M, 64 * M, 100 * M, 512 * M, 4096 * M, VALUE_UNLIMITED};
	static const uint64_t swaps[] = {0, 32 * M, 1024 * M, VALUE_UNLIMITED};
	uint64_t cpus = next(s) % 5 == 0 ? VALUE_UNLIMITED : 10 + next(s) % 7991;
	uint64_t burst = cpus == VALUE_UNLIMITED || next(s) % 3 == 0 ? 0 : next(s) % (cpus + 1);
	uint64_t mem = mems[next(s) % ELEMENTSOF(mems)];
	uint64_t reserve = next(s) % 3 == 0 ? 0 : mem == VALUE_UNLIMITED ? 1024 * M : mem / 2;
	struct vps_quota q = quota(cpus, burst, mem, reserve, swaps[next(s) % ELEMENTSOF(swaps)]);

	q.cpu_weight = 1 + next(s) % 10000;
	q.pids = next(s) % 4 == 0 ? VALUE_UNLIMITED : 1 + next(s) % 5000;
	ck_assert_int_eq(vps_quota_validate(&q, 2, NULL), 0);
	return q;
}

START_TEST(test_plan_random_pairs)
{
	uint64_t seed = 42;

	for (int i = 0; i < 2000; i++) {
		struct vps_quota a = random_quota(&seed), b = random_quota(&seed);

		check_transition(VPS_CGROUP_V1, &a, &b);
		check_transition(VPS_CGROUP_V2, &a, &b);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgroup-quota");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	/* the random-pairs walk takes 1 s on an idle node; check's 4 s default failed it under a
	 * load of 15 on 2 cores */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_cpu_mappings);
	tcase_add_test(tc, test_weight_mappings);
	tcase_add_test(tc, test_memory_mappings);
	tcase_add_test(tc, test_keyed_and_words);
	tcase_add_test(tc, test_libcgroup_errors);
	tcase_add_test(tc, test_validate_cpu);
	tcase_add_test(tc, test_validate_names);
	tcase_add_test(tc, test_validate_memory_and_rest);
	tcase_add_test(tc, test_cpuset_syntax);
	tcase_add_test(tc, test_plan_v1_grow);
	tcase_add_test(tc, test_plan_v1_shrink);
	tcase_add_test(tc, test_plan_v1_mixed);
	tcase_add_test(tc, test_plan_v2);
	tcase_add_test(tc, test_plan_only_changes);
	tcase_add_test(tc, test_plan_missing_features);
	tcase_add_test(tc, test_rollback_order);
	tcase_add_test(tc, test_plan_random_pairs);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
