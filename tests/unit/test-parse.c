/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

START_TEST(test_size)
{
	uint64_t v;

	ck_assert_int_eq(parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(parse_size("512M", &v), 0);
	ck_assert_uint_eq(v, 512ULL << 20);
	ck_assert_int_eq(parse_size("2G", &v), 0);
	ck_assert_uint_eq(v, 2ULL << 30);
	ck_assert_int_eq(parse_size("1.5G", &v), 0);
	ck_assert_uint_eq(v, 3ULL << 29);
	ck_assert_int_eq(parse_size("64MiB", &v), 0);
	ck_assert_uint_eq(v, 64ULL << 20);
	ck_assert_int_eq(parse_size("1k", &v), 0);
	ck_assert_uint_eq(v, 1024);
	ck_assert_int_eq(parse_size("unlimited", &v), 0);
	ck_assert_uint_eq(v, VALUE_UNLIMITED);
	ck_assert_int_eq(parse_size("-1", &v), -EINVAL);
	ck_assert_int_eq(parse_size("", &v), -EINVAL);
	ck_assert_int_eq(parse_size("12X", &v), -EINVAL);
	ck_assert_int_eq(parse_size("1.5", &v), -EINVAL);
	ck_assert_int_eq(parse_size(" 1M", &v), -EINVAL);
	ck_assert_int_eq(parse_size("1M ", &v), -EINVAL);
	ck_assert_int_eq(parse_size("99999999999999999999", &v), -ERANGE);
	ck_assert_int_eq(parse_size("16777216T", &v), -ERANGE);
	ck_assert_int_eq(parse_size(NULL, &v), -EINVAL);
}
END_TEST

START_TEST(test_cpus)
{
	uint64_t v;

	ck_assert_int_eq(parse_cpus("1.5", &v), 0);
	ck_assert_uint_eq(v, 1500);
	ck_assert_int_eq(parse_cpus("0.5", &v), 0);
	ck_assert_uint_eq(v, 500);
	ck_assert_int_eq(parse_cpus("2", &v), 0);
	ck_assert_uint_eq(v, 2000);
	ck_assert_int_eq(parse_cpus("0.125", &v), 0);
	ck_assert_uint_eq(v, 125);
	ck_assert_int_eq(parse_cpus("max", &v), 0);
	ck_assert_uint_eq(v, VALUE_UNLIMITED);
	ck_assert_int_eq(parse_cpus("abc", &v), -EINVAL);
	ck_assert_int_eq(parse_cpus("0.1234", &v), -EINVAL);
	ck_assert_int_eq(parse_cpus("1.", &v), -EINVAL);
	ck_assert_int_eq(parse_cpus("-1", &v), -EINVAL);
}
END_TEST

START_TEST(test_numbers)
{
	uint64_t v;
	int i;

	ck_assert_int_eq(parse_uint64("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse_uint64("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(parse_uint64("+1", &v), -EINVAL);
	ck_assert_int_eq(parse_uint64("0x10", &v), -EINVAL);
	ck_assert_int_eq(parse_uint64_range("10001", 1, 10000, &v), -ERANGE);
	ck_assert_int_eq(parse_int_range("-5", -10, 10, &i), 0);
	ck_assert_int_eq(i, -5);
	ck_assert_int_eq(parse_int_range("11", -10, 10, &i), -ERANGE);
	ck_assert_int_eq(parse_count("unlimited", &v), 0);
	ck_assert_uint_eq(v, VALUE_UNLIMITED);
	ck_assert_int_eq(parse_count("64", &v), 0);
	ck_assert_uint_eq(v, 64);
}
END_TEST

START_TEST(test_bool_signal)
{
	bool b;
	int s;
	char buf[32];

	ck_assert_int_eq(parse_bool("yes", &b), 0);
	ck_assert(b);
	ck_assert_int_eq(parse_bool("off", &b), 0);
	ck_assert(!b);
	ck_assert_int_eq(parse_bool("maybe", &b), -EINVAL);
	ck_assert_int_eq(parse_signal("SIGUSR2", &s), 0);
	ck_assert_int_eq(s, SIGUSR2);
	ck_assert_int_eq(parse_signal("RTMIN+4", &s), 0);
	ck_assert_int_eq(s, SIGRTMIN + 4);
	ck_assert_int_eq(parse_signal("15", &s), 0);
	ck_assert_int_eq(s, SIGTERM);
	ck_assert_int_eq(parse_signal("SIGFOO", &s), -EINVAL);
	ck_assert_int_eq(parse_signal("0", &s), -ERANGE);
	ck_assert_str_eq(format_signal(SIGRTMIN + 4, buf, sizeof(buf)), "SIGRTMIN+4");
	ck_assert_str_eq(format_signal(SIGUSR2, buf, sizeof(buf)), "SIGUSR2");
	ck_assert_int_eq(parse_signal(format_signal(SIGRTMIN + 4, buf, sizeof(buf)), &s), 0);
	ck_assert_int_eq(s, SIGRTMIN + 4);
}
END_TEST

START_TEST(test_format_roundtrip)
{
	static const char *const sizes[] = {"1", "4095", "512K", "64M", "3G", "1T", "unlimited"};
	static const char *const cpus[] = {"0.5", "1.5", "2", "0.125", "0.01", "unlimited"};
	char buf[32];
	uint64_t v;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_int_eq(parse_size(sizes[i], &v), 0);
		ck_assert_str_eq(format_size(v, buf, sizeof(buf)), sizes[i]);
	}
	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		ck_assert_int_eq(parse_cpus(cpus[i], &v), 0);
		ck_assert_str_eq(format_cpus(v, buf, sizeof(buf)), cpus[i]);
	}
}
END_TEST

START_TEST(test_names)
{
	char long_name[301];

	memset(long_name, 'a', 300);
	long_name[300] = '\0';
	ck_assert(name_is_valid("web1"));
	ck_assert(name_is_valid("0-a"));
	ck_assert(name_is_valid("abcdefghijklmnopqrstuvwxyz012345"));
	ck_assert(!name_is_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	ck_assert(!name_is_valid(long_name));
	ck_assert(!name_is_valid(""));
	ck_assert(!name_is_valid(NULL));
	ck_assert(!name_is_valid("../x"));
	ck_assert(!name_is_valid("-a"));
	ck_assert(!name_is_valid("Web"));
	ck_assert(!name_is_valid("a.b"));
	ck_assert(!name_is_valid("a/b"));
	ck_assert(!name_is_valid("a b"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_cpus);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_bool_signal);
	tcase_add_test(tc, test_format_roundtrip);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
