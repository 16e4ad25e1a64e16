/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"

START_TEST(test_host_ifname)
{
	char a[NETSETUP_IFNAMSIZ], b[NETSETUP_IFNAMSIZ];

	netsetup_host_ifname("web1", a);
	ck_assert_str_eq(a, "veth-web1");
	netsetup_host_ifname("abcdefghij", a);
	ck_assert_str_eq(a, "veth-abcdefghij");
	netsetup_host_ifname("abcdefghijk", a);
	ck_assert_uint_le(strlen(a), 15);
	ck_assert_ptr_nonnull(strchr(a, '_')); /* can never equal a short name's interface */
	netsetup_host_ifname("abcdefghijl", b);
	ck_assert_str_ne(a, b);
	netsetup_host_ifname("abcdefghijklmnopqrstuvwxyz012345", b);
	ck_assert_uint_le(strlen(b), 15);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_parse_addrs)
{
	struct netsetup_addr a[4];
	size_t n = 99;

	ck_assert_int_eq(netsetup_addr_list_parse("", a, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(netsetup_addr_list_parse("10.77.0.2/24  fd77::2/64", a, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(a[0].family, AF_INET);
	ck_assert_int_eq(a[0].prefixlen, 24);
	ck_assert_int_eq(a[1].family, AF_INET6);
	ck_assert_int_eq(netsetup_addr_list_parse("1.2.3.4 1.2.3.5 1.2.3.6", a, 2, &n), -E2BIG);
	ck_assert_int_lt(netsetup_addr_list_parse("10.77.0.2/33", a, 4, &n), 0);
	ck_assert_int_lt(netsetup_addr_list_parse("nonsense", a, 4, &n), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("network");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_host_ifname);
	tcase_add_test(tc, test_parse_addrs);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
