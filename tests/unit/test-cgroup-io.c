/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The I/O throttle without cgroupfs: parsing the kernel's files, the validation of the values,
 * and the write plans for v1 and v2, replayed on a model of the throttle files that behaves as
 * the kernel does (v1: "MAJ:MIN 0" removes a device's rule; v2: io.max sets every key named,
 * a line of all "max" is no line), with every possible failure rolled back. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cg-internal.h"
#include "parse.h"

#define U VALUE_UNLIMITED

/* ---- a model of the throttle files ---- */

static void model_write(struct cg_io_state *m, enum vps_cgroup_backend b, const struct cg_write *w)
{
	struct cg_io_state one = {0};
	size_t k = CG_IO_KINDS;

	if (b == VPS_CGROUP_V2) {
		ck_assert_str_eq(w->file, "io.max");
		ck_assert_int_eq(cg_io_parse_v2(w->value, &one), 0);
	} else {
		static const char *const files[] = {
			"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
			"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};

		for (k = 0; k < CG_IO_KINDS; k++)
			if (strcmp(w->file, files[k]) == 0)
				break;
		ck_assert_uint_lt(k, CG_IO_KINDS);
		ck_assert_int_eq(cg_io_parse_v1(w->value, k, &one), 0);
	}
	ck_assert_uint_eq(one.n, 1);
	for (size_t i = 0; i <= m->n; i++) {
		if (i == m->n) {
			m->l[m->n] = (struct cg_io_line){.dev = one.l[0].dev, .v = {U, U, U, U}};
			m->n++;
		}
		if (m->l[i].dev != one.l[0].dev)
			continue;
		if (k == CG_IO_KINDS)
			memcpy(m->l[i].v, one.l[0].v, sizeof(one.l[0].v));
		else
			m->l[i].v[k] = one.l[0].v[k];
		break;
	}
}

/* The value a model holds for dev, kind k (U: no rule). */
static uint64_t model_get(const struct cg_io_state *m, dev_t dev, size_t k)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->l[i].dev == dev)
			return m->l[i].v[k];
	return U;
}

static bool model_same(const struct cg_io_state *a, const struct cg_io_state *b)
{
	for (size_t i = 0; i < a->n; i++)
		for (size_t k = 0; k < CG_IO_KINDS; k++)
			if (model_get(b, a->l[i].dev, k) != a->l[i].v[k])
				return false;
	for (size_t i = 0; i < b->n; i++)
		for (size_t k = 0; k < CG_IO_KINDS; k++)
			if (model_get(a, b->l[i].dev, k) != b->l[i].v[k])
				return false;
	return true;
}

static struct vps_quota limits(uint64_t rbps, uint64_t wbps, uint64_t riops, uint64_t wiops)
{
	struct vps_quota q;

	vps_quota_init_default(&q);
	q.io_read_bps = rbps;
	q.io_write_bps = wbps;
	q.io_read_iops = riops;
	q.io_write_iops = wiops;
	return q;
}

/* cur -> q on devs: the model ends at q on devs and nothing elsewhere; a failure at any write
 * rolls back to cur exactly. */
static void check_io_plan(enum vps_cgroup_backend b, const struct cg_io_state *cur,
                          const struct vps_quota *q, const dev_t *devs, size_t n)
{
	const uint64_t want[] = {q->io_read_bps, q->io_write_bps, q->io_read_iops,
	                         q->io_write_iops};
	struct cg_plan p, undo;
	struct cg_io_state m = *cur;

	ck_assert_int_eq(cg_plan_io_limits(b, cur, q, devs, n, &p), 0);
	for (size_t i = 0; i < p.n; i++)
		model_write(&m, b, &p.w[i]);
	for (size_t i = 0; i < m.n; i++) {
		bool ours = false;

		for (size_t d = 0; d < n; d++)
			ours |= m.l[i].dev == devs[d];
		for (size_t k = 0; k < CG_IO_KINDS; k++)
			ck_assert_uint_eq(m.l[i].v[k], ours && want[k] != 0 ? want[k] : U);
	}
	for (size_t d = 0; d < n; d++)
		ck_assert_uint_eq(model_get(&m, devs[d], 1), want[1] ? want[1] : U);
	for (size_t failed = 0; failed <= p.n; failed++) {
		struct cg_io_state r = *cur;

		for (size_t i = 0; i < failed; i++)
			model_write(&r, b, &p.w[i]);
		cg_plan_rollback(&p, failed, &undo);
		for (size_t i = 0; i < undo.n; i++)
			model_write(&r, b, &undo.w[i]);
		ck_assert_msg(model_same(&r, cur), "rollback after %zu writes", failed);
	}
}

START_TEST(test_parse)
{
	struct cg_io_state st = {0};

	ck_assert_int_eq(cg_io_parse_v1("7:3 2097152\n254:0 1048576\n", 1, &st), 0);
	ck_assert_int_eq(cg_io_parse_v1("7:3 100\n", 2, &st), 0);
	ck_assert_uint_eq(st.n, 2);
	ck_assert_uint_eq(st.l[0].dev, makedev(7, 3));
	ck_assert_uint_eq(st.l[0].v[1], 2097152);
	ck_assert_uint_eq(st.l[0].v[2], 100);
	ck_assert_uint_eq(st.l[0].v[0], U);
	ck_assert_uint_eq(st.l[1].v[1], 1048576);
	ck_assert_int_eq(cg_io_parse_v1("7:3\n", 0, &st), -EINVAL);
	ck_assert_int_eq(cg_io_parse_v1("7-3 5\n", 0, &st), -EINVAL);

	st = (struct cg_io_state){0};
	ck_assert_int_eq(cg_io_parse_v2("7:3 rbps=max wbps=2097152 riops=max wiops=50\n", &st), 0);
	ck_assert_uint_eq(st.n, 1);
	ck_assert_uint_eq(st.l[0].v[0], U);
	ck_assert_uint_eq(st.l[0].v[1], 2097152);
	ck_assert_uint_eq(st.l[0].v[3], 50);
	ck_assert_int_eq(cg_io_parse_v2("7:3 wbps\n", &st), -EINVAL);
	ck_assert_int_eq(cg_io_parse_v2("7:3 wbps=x\n", &st), -EINVAL);
}
END_TEST

START_TEST(test_sums)
{
	struct vps_cgroup_stats st = {0};
	uint64_t r, w;

	static const char v1[] = "7:3 Read 10\n7:3 Write 20\n7:3 Sync 30\n7:3 Total 30\n"
				 "254:0 Read 1\n254:0 Write 2\nTotal 33\n";
	static const char v2[] = "7:3 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n"
				 "254:0 rbytes=5 wbytes=6 rios=3 wios=4 dbytes=9 dios=9\n";
	const dev_t loop[] = {makedev(7, 3)}, disk[] = {makedev(254, 0)};

	ck_assert_int_eq(cg_io_sum_v1(v1, NULL, 0, &r, &w), 0);
	ck_assert_uint_eq(r, 11);
	ck_assert_uint_eq(w, 22);
	ck_assert_int_eq(cg_io_sum_v1(v1, loop, 1, &r, &w), 0);
	ck_assert_uint_eq(r, 10);
	ck_assert_uint_eq(w, 20);
	ck_assert_int_eq(cg_io_sum_v2(v2, NULL, 0, &st), 0);
	ck_assert_uint_eq(st.io_read_bytes, 15);
	ck_assert_uint_eq(st.io_write_bytes, 26);
	ck_assert_uint_eq(st.io_read_ops, 4);
	ck_assert_uint_eq(st.io_write_ops, 6);
	st = (struct vps_cgroup_stats){0};
	ck_assert_int_eq(cg_io_sum_v2(v2, disk, 1, &st), 0);
	ck_assert_uint_eq(st.io_read_bytes, 5);
	ck_assert_uint_eq(st.io_write_bytes, 6);
	ck_assert_uint_eq(st.io_read_ops, 3);
	ck_assert_uint_eq(st.io_write_ops, 4);
}
END_TEST

START_TEST(test_validate)
{
	struct vps_quota q = limits(U, 4096, 0, 1);
	struct vps_error err = VPS_ERROR_INIT;
	enum vps_quota_field f;

	ck_assert_int_eq(vps_quota_validate(&q, 0, &err), 0);
	q.io_write_bps = 0; /* none */
	ck_assert_int_eq(vps_quota_validate(&q, 0, &err), 0);
	q.io_read_bps = 4095;
	ck_assert_int_eq(vps_quota_check(&q, 0, NULL, &err, &f), -EINVAL);
	ck_assert_str_eq(err.msg, "--io-read-bps 4095 is below the minimum 4K (0 = no limit)");
	ck_assert_int_eq(f, VPS_QUOTA_IO_READ_BPS);
}
END_TEST

START_TEST(test_plan_v1)
{
	const dev_t devs[] = {makedev(7, 3), makedev(254, 0)};
	struct vps_quota q = limits(U, 2 << 20, 0, 100);
	struct cg_io_state cur = {0};
	struct cg_plan p;

	/* a new group: one write per device and limit, in the v1 files' format */
	ck_assert_int_eq(cg_plan_io_limits(VPS_CGROUP_V1, &cur, &q, devs, 2, &p), 0);
	ck_assert_uint_eq(p.n, 4);
	ck_assert_str_eq(p.w[0].file, "blkio.throttle.write_bps_device");
	ck_assert_str_eq(p.w[0].value, "7:3 2097152");
	ck_assert_str_eq(p.w[0].undo, "7:3 0");
	ck_assert_str_eq(p.w[1].file, "blkio.throttle.write_iops_device");
	ck_assert_str_eq(p.w[1].value, "7:3 100");
	check_io_plan(VPS_CGROUP_V1, &cur, &q, devs, 2);

	/* resize to 8M: only what changed; then to none: the rules go */
	ck_assert_int_eq(cg_io_parse_v1("7:3 2097152\n254:0 2097152\n", 1, &cur), 0);
	ck_assert_int_eq(cg_io_parse_v1("7:3 100\n254:0 100\n", 3, &cur), 0);
	q.io_write_bps = 8 << 20;
	ck_assert_int_eq(cg_plan_io_limits(VPS_CGROUP_V1, &cur, &q, devs, 2, &p), 0);
	ck_assert_uint_eq(p.n, 2);
	ck_assert_str_eq(p.w[0].value, "7:3 8388608");
	ck_assert_str_eq(p.w[0].undo, "7:3 2097152");
	check_io_plan(VPS_CGROUP_V1, &cur, &q, devs, 2);
	q = limits(U, U, U, 0);
	ck_assert_int_eq(cg_plan_io_limits(VPS_CGROUP_V1, &cur, &q, devs, 2, &p), 0);
	ck_assert_uint_eq(p.n, 4);
	ck_assert_str_eq(p.w[0].value, "7:3 0");
	check_io_plan(VPS_CGROUP_V1, &cur, &q, devs, 2);

	/* a reboot on another loop device: the old device's rules are removed */
	const dev_t moved[] = {makedev(7, 9), makedev(254, 0)};

	q = limits(U, 2 << 20, 0, 100);
	ck_assert_int_eq(cg_plan_io_limits(VPS_CGROUP_V1, &cur, &q, moved, 2, &p), 0);
	check_io_plan(VPS_CGROUP_V1, &cur, &q, moved, 2);
	ck_assert_int_eq(cg_plan_io_limits(VPS_CGROUP_V1, &cur, &q, moved, 2, &p), 0);
	bool removed = false;

	for (size_t i = 0; i < p.n; i++)
		removed |= strcmp(p.w[i].value, "7:3 0") == 0;
	ck_assert(removed);
}
END_TEST

START_TEST(test_plan_v2)
{
	const dev_t devs[] = {makedev(7, 3)};
	struct vps_quota q = limits(10 << 20, 2 << 20, U, 50);
	struct cg_io_state cur = {0};
	struct cg_plan p;

	ck_assert_int_eq(cg_plan_io_limits(VPS_CGROUP_V2, &cur, &q, devs, 1, &p), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_str_eq(p.w[0].file, "io.max");
	ck_assert_str_eq(p.w[0].value, "7:3 rbps=10485760 wbps=2097152 riops=max wiops=50");
	ck_assert_str_eq(p.w[0].undo, "7:3 rbps=max wbps=max riops=max wiops=max");
	check_io_plan(VPS_CGROUP_V2, &cur, &q, devs, 1);
	ck_assert_int_eq(cg_io_parse_v2(p.w[0].value, &cur), 0);
	ck_assert_int_eq(cg_plan_io_limits(VPS_CGROUP_V2, &cur, &q, devs, 1, &p), 0);
	ck_assert_uint_eq(p.n, 0); /* nothing changed, nothing written */
	q = limits(0, U, 0, U);
	check_io_plan(VPS_CGROUP_V2, &cur, &q, devs, 1);
	ck_assert_int_eq(cg_plan_io_limits(VPS_CGROUP_V2, &cur, &q, devs, 1, &p), 0);
	ck_assert_str_eq(p.w[0].value, "7:3 rbps=max wbps=max riops=max wiops=max");
}
END_TEST

START_TEST(test_plan_too_many)
{
	dev_t devs[CG_IO_LINES_MAX + 1];
	struct vps_quota q = limits(U, 2 << 20, 0, 0);
	struct cg_io_state cur = {0};
	struct cg_plan p;

	for (size_t i = 0; i < ELEMENTSOF(devs); i++)
		devs[i] = makedev(7, (unsigned)i);
	ck_assert_int_eq(cg_plan_io_limits(VPS_CGROUP_V1, &cur, &q, devs, ELEMENTSOF(devs), &p),
	                 -E2BIG);
	ck_assert_uint_eq(p.n, 0);
}
END_TEST

/* Without the throttle files, a limit is refused by name, and none is fine. */
START_TEST(test_plan_missing_throttle)
{
	struct cg_features f = {.backend = VPS_CGROUP_V1, .pids = true, .io_file = "blkio.weight"};
	struct vps_quota o = limits(U, U, U, U), n = limits(U, U, U, 7);
	struct vps_error err = VPS_ERROR_INIT;
	struct cg_plan p;

	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), -EOPNOTSUPP);
	ck_assert_str_eq(err.msg, "--io-write-iops needs blkio.throttle.*_device, which this "
	                          "kernel lacks");
	n.io_write_iops = 0;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), 0);
	f.io_throttle = true;
	n.io_write_iops = 7;
	ck_assert_int_eq(cg_plan_build(&f, &o, &n, true, &p, &err), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgroup-io");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_sums);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_plan_v1);
	tcase_add_test(tc, test_plan_v2);
	tcase_add_test(tc, test_plan_too_many);
	tcase_add_test(tc, test_plan_missing_throttle);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
