/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
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
	struct netsetup_addr_list l = {.n = 99}, m;
	char many[2048] = "", buf[4096];

	ck_assert_int_eq(netsetup_addr_list_parse("", &l), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(netsetup_addr_list_parse("10.77.0.2/24  fd77::2/64", &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(l.a[0].family, AF_INET);
	ck_assert_int_eq(l.a[0].prefixlen, 24);
	ck_assert_int_eq(l.a[1].family, AF_INET6);
	/* a list that does not parse leaves the old one */
	ck_assert_int_lt(netsetup_addr_list_parse("10.77.0.2/33", &l), 0);
	ck_assert_int_lt(netsetup_addr_list_parse("10.77.0.9/24 nonsense", &l), 0);
	ck_assert_uint_eq(l.n, 2);
	/* written back as read, in order, and equal to itself read again */
	ck_assert_int_eq(netsetup_addr_list_format(&l, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "10.77.0.2/24 fd77::2/64");
	ck_assert_int_eq(netsetup_addr_list_parse(buf, &m), 0);
	ck_assert(netsetup_addr_list_equal(&l, &m));
	ck_assert(netsetup_addr_list_has(&m, &l.a[1]));
	m.a[1].prefixlen = 128;
	ck_assert(!netsetup_addr_list_equal(&l, &m));
	ck_assert(!netsetup_addr_list_has(&m, &l.a[1]));
	ck_assert_int_eq(netsetup_addr_list_format(&l, buf, 12), -ENAMETOOLONG);
	/* at most NETSETUP_ADDR_LIST_MAX */
	for (int i = 0; i <= NETSETUP_ADDR_LIST_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "10.0.%d.1/24 ", i);
	ck_assert_int_eq(netsetup_addr_list_parse(many, &l), -E2BIG);
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
