/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Automatic CPU pinning without a kernel: CPU lists, ceil(--cpus), and the choice of the
 * least-loaded CPUs, replayed over a node as VPSes start one after the other. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu-pin-table.h"
#include "cpu-pin.h"
#include "parse.h"

static struct vps_cpumask mask(const char *list)
{
	struct vps_cpumask m;

	ck_assert_int_eq(vps_cpumask_parse(list, &m), 0);
	return m;
}

static void assert_list(const struct vps_cpumask *m, const char *want)
{
	char buf[128];

	ck_assert_int_eq(vps_cpumask_format(m, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
}

START_TEST(parse_format_round_trip)
{
	static const char *const lists[] = {"", "0", "0-1", "0-3,5", "1,3,5-7", "1023"};
	struct vps_cpumask m;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		m = mask(lists[i]);
		assert_list(&m, lists[i]);
	}
	m = mask("0-1\n");
	assert_list(&m, "0-1");
	m = mask("0,1,2,4");
	assert_list(&m, "0-2,4");
	ck_assert_uint_eq(vps_cpumask_count(&m), 4);
	ck_assert_int_eq(vps_cpumask_parse("1024", &m), -ERANGE);
	ck_assert_int_eq(vps_cpumask_parse("3-1", &m), -EINVAL);
	ck_assert_int_eq(vps_cpumask_parse("1,", &m), -EINVAL);
	ck_assert_int_eq(vps_cpumask_parse("a", &m), -EINVAL);
	ck_assert_int_eq(vps_cpumask_parse("1-", &m), -EINVAL);
}
END_TEST

START_TEST(format_too_small)
{
	struct vps_cpumask m = mask("0-3,5");
	char buf[4];

	ck_assert_int_eq(vps_cpumask_format(&m, buf, sizeof(buf)), -ENOBUFS);
}
END_TEST

START_TEST(count_is_ceil_of_cap)
{
	struct vps_cpumask four = mask("0-3"), two = mask("0-1");

	ck_assert_uint_eq(vps_cpu_pin_count(1000, &four), 1);
	ck_assert_uint_eq(vps_cpu_pin_count(500, &four), 1);
	ck_assert_uint_eq(vps_cpu_pin_count(1001, &four), 2);
	ck_assert_uint_eq(vps_cpu_pin_count(2500, &four), 3);
	/* needing every CPU, or no cap at all, is no pin */
	ck_assert_uint_eq(vps_cpu_pin_count(3500, &four), 0);
	ck_assert_uint_eq(vps_cpu_pin_count(2000, &two), 0);
	ck_assert_uint_eq(vps_cpu_pin_count(VALUE_UNLIMITED, &four), 0);
	ck_assert_uint_eq(vps_cpu_pin_count(0, &four), 0);
}
END_TEST

START_TEST(partial_pins_carry_load)
{
	struct vps_cpumask online = mask("0-3"), all = mask("0-3"), one = mask("2");
	struct vps_cpumask wider = mask("0-7"), offline = mask("6");
	unsigned load[VPS_CPU_PIN_MAX] = {0};

	ck_assert(!vps_cpu_pin_is_partial(&all, &online));
	ck_assert(!vps_cpu_pin_is_partial(&wider, &online));
	ck_assert(!vps_cpu_pin_is_partial(&offline, &online));
	ck_assert(vps_cpu_pin_is_partial(&one, &online));
	vps_cpu_load_add(load, &all, &online);
	vps_cpu_load_add(load, &wider, &online);
	vps_cpu_load_add(load, &one, &online);
	vps_cpu_load_add(load, &one, &online);
	ck_assert_uint_eq(load[0], 0);
	ck_assert_uint_eq(load[2], 2);
}
END_TEST

START_TEST(choose_least_loaded)
{
	struct vps_cpumask online = mask("0-3"), got;
	unsigned load[VPS_CPU_PIN_MAX] = {0};

	load[0] = 2;
	load[1] = 1;
	load[2] = 0;
	load[3] = 1;
	ck_assert_int_eq(vps_cpu_pin_choose(load, &online, 1, &got), 0);
	assert_list(&got, "2");
	ck_assert_int_eq(vps_cpu_pin_choose(load, &online, 2, &got), 0);
	assert_list(&got, "1-2"); /* 1 before 3 among equals */
	ck_assert_int_eq(vps_cpu_pin_choose(load, &online, 4, &got), 0);
	assert_list(&got, "0-3");
	ck_assert_int_eq(vps_cpu_pin_choose(load, &online, 5, &got), -EINVAL);
	ck_assert_int_eq(vps_cpu_pin_choose(load, &online, 0, &got), -EINVAL);
}
END_TEST

START_TEST(choose_online_only)
{
	struct vps_cpumask online = mask("0,2-3"), got;
	unsigned load[VPS_CPU_PIN_MAX] = {0};

	load[0] = 1;
	ck_assert_int_eq(vps_cpu_pin_choose(load, &online, 2, &got), 0);
	assert_list(&got, "2-3"); /* CPU 1 has no load but is offline */
}
END_TEST

/* VPSes with --cpus 1 start one after another on a 2-CPU node: they alternate, and each
 * CPU carries at most one more than the other. */
START_TEST(starts_spread)
{
	struct vps_cpumask online = mask("0-1"), pins[5];
	unsigned load[VPS_CPU_PIN_MAX];

	for (size_t v = 0; v < 5; v++) {
		memset(load, 0, sizeof(load));
		for (size_t o = 0; o < v; o++)
			vps_cpu_load_add(load, &pins[o], &online);
		ck_assert_int_eq(vps_cpu_pin_choose(load, &online, 1, &pins[v]), 0);
		ck_assert(vps_cpumask_has(&pins[v], (unsigned)(v % 2)));
	}
}
END_TEST

/* The node's table of pins (cpu-pin-table.h): the file's text round-trips, updates keep one
 * entry per partial pin, and anything else in the file is refused (the caller rebuilds). */
START_TEST(table_round_trip)
{
	struct vps_cpumask online = mask("0-3"), one = mask("1"), all = mask("0-3");
	struct vps_pin_table t = {0}, back;
	char *text = NULL;

	ck_assert_int_eq(vps_pin_table_put(&t, "a", &one, &online), 1);
	ck_assert_int_eq(vps_pin_table_put(&t, "a", &one, &online), 0); /* unchanged */
	one = mask("2-3");
	ck_assert_int_eq(vps_pin_table_put(&t, "b-2", &one, &online), 1);
	ck_assert_int_eq(vps_pin_table_put(&t, "c", &all, &online), 0); /* no pin: no entry */
	t.cursor = 7;
	ck_assert_int_eq(vps_pin_table_format(&t, &text), 0);
	ck_assert_str_eq(text, "vpsctl-cpu-pins 1 7\na 1\nb-2 2-3\n");
	ck_assert_int_eq(vps_pin_table_parse(text, &back), 0);
	ck_assert_uint_eq(back.n, 2);
	ck_assert_uint_eq(back.cursor, 7);
	ck_assert_str_eq(back.e[1].name, "b-2");
	ck_assert(vps_cpumask_has(&back.e[1].set, 3));
	ck_assert_int_eq(vps_pin_table_put(&back, "a", &all, &online), 1); /* unpinned: out */
	ck_assert_uint_eq(back.n, 1);
	ck_assert_ptr_null(vps_pin_table_find(&back, "a"));
	free(text);
	vps_pin_table_done(&t);
	vps_pin_table_done(&back);
}
END_TEST

START_TEST(table_refuses_damage)
{
	static const char *const bad[] = {
		"",
		"garbage\n",
		"vpsctl-cpu-pins 2 0\n",
		"vpsctl-cpu-pins 1 \n",
		"vpsctl-cpu-pins 1 x\n",
		"vpsctl-cpu-pins 1 0",      /* no newline */
		"vpsctl-cpu-pins 1 0\na 1", /* cut short */
		"vpsctl-cpu-pins 1 0\na\n",
		"vpsctl-cpu-pins 1 0\na \n",
		"vpsctl-cpu-pins 1 0\nA 1\n",
		"vpsctl-cpu-pins 1 0\n../x 1\n",
		"vpsctl-cpu-pins 1 0\na 1-0\n",
		"vpsctl-cpu-pins 1 0\na 5000\n",
		"vpsctl-cpu-pins 1 0\na 1\na 2\n",
		"vpsctl-cpu-pins 1 0\na 1\n\nb 0\n",
		"vpsctl-cpu-pins 1 0\na 1 \n",
		"vpsctl-cpu-pins 1 99999999999999999999999\n",
	};
	struct vps_pin_table t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(vps_pin_table_parse(bad[i], &t) == -EBADMSG, "accepted '%s'", bad[i]);
		ck_assert_uint_eq(t.n, 0);
	}
	ck_assert_int_eq(vps_pin_table_parse("vpsctl-cpu-pins 1 0\n", &t), 0);
	ck_assert_uint_eq(t.n, 0);
}
END_TEST

/* Loads from the table are those of the VPSes in it, but the one being pinned. */
START_TEST(table_loads_skip_self)
{
	struct vps_cpumask online = mask("0-1"), zero = mask("0"), got;
	struct vps_pin_table t = {0};
	unsigned load[VPS_CPU_PIN_MAX];

	ck_assert_int_eq(vps_pin_table_put(&t, "a", &zero, &online), 1);
	ck_assert_int_eq(vps_pin_table_put(&t, "b", &zero, &online), 1);
	vps_pin_table_loads(&t, "b", &online, load);
	ck_assert_uint_eq(load[0], 1);
	ck_assert_uint_eq(load[1], 0);
	ck_assert_int_eq(vps_cpu_pin_choose(load, &online, 1, &got), 0);
	ck_assert(vps_cpumask_has(&got, 1));
	vps_pin_table_done(&t);
}
END_TEST

static Suite *cpu_pin_suite(void)
{
	Suite *s = suite_create("cpu-pin");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_format_round_trip);
	tcase_add_test(tc, format_too_small);
	tcase_add_test(tc, count_is_ceil_of_cap);
	tcase_add_test(tc, partial_pins_carry_load);
	tcase_add_test(tc, choose_least_loaded);
	tcase_add_test(tc, choose_online_only);
	tcase_add_test(tc, starts_spread);
	tcase_add_test(tc, table_round_trip);
	tcase_add_test(tc, table_refuses_damage);
	tcase_add_test(tc, table_loads_skip_self);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cpu_pin_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
