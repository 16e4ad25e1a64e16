/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netsetup parsing: addresses and subnets, rates, MACs, IFB names. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netsetup.h"

static struct netsetup_addr addr(const char *s)
{
	struct netsetup_addr a;

	ck_assert_int_eq(netsetup_addr_parse(s, &a), 0);
	return a;
}

START_TEST(test_addr_parse)
{
	struct netsetup_addr a;
	char buf[64];

	a = addr("10.0.0.2/24");
	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_uint_eq(a.prefixlen, 24);
	ck_assert_uint_eq(a.bytes[0], 10);
	ck_assert_uint_eq(a.bytes[3], 2);
	ck_assert_str_eq(netsetup_addr_format(&a, buf, sizeof(buf)), "10.0.0.2/24");
	a = addr("2001:db8::2/64");
	ck_assert_int_eq(a.family, AF_INET6);
	ck_assert_uint_eq(a.prefixlen, 64);
	ck_assert_uint_eq(a.bytes[15], 2);
	ck_assert_str_eq(netsetup_addr_format(&a, buf, sizeof(buf)), "2001:db8::2/64");
	ck_assert_str_eq(netsetup_addr_format_ip(&a, buf, sizeof(buf)), "2001:db8::2");
	/* without a prefix: a host */
	ck_assert_uint_eq(addr("10.0.0.1").prefixlen, 32);
	ck_assert_uint_eq(addr("fd00::1").prefixlen, 128);
	ck_assert_uint_eq(addr("0.0.0.0/0").prefixlen, 0);
}
END_TEST

START_TEST(test_addr_parse_bad)
{
	static const char *const bad[] = {
		"999.1.1.1/24",
		"10.0.0.1/33",
		"10.0.0.1/",
		"10.0.0.1/-1",
		"fd00::1/129",
		"",
		"/24",
		"10.0.0.1/24x",
		" 10.0.0.1",
		"10.0.0.1 ",
		"10.0.0",
		"10.0.0.1/2 4",
		"fe80::1%eth0/64",
		"10.0.0.1/024a",
		"example.com",
		"1.2.3.4/+8",
	};
	struct netsetup_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(netsetup_addr_parse(bad[i], &a) == -EINVAL, "accepted '%s'", bad[i]);
	ck_assert_int_eq(netsetup_addr_parse(NULL, &a), -EINVAL);
}
END_TEST

/* The network and broadcast addresses are no host's (base: 10.77.0.0/24 was a VPS's). */
START_TEST(test_addr_host_kind)
{
	static const struct {
		const char *a;
		unsigned prefix;
		enum netsetup_host_kind k;
	} t[] = {
		{"10.77.0.0", 24, NETSETUP_HOST_NETWORK},
		{"10.77.0.255", 24, NETSETUP_HOST_BROADCAST},
		{"10.77.0.1", 24, NETSETUP_HOST},
		{"10.77.0.254", 24, NETSETUP_HOST},
		{"10.77.1.255", 23, NETSETUP_HOST_BROADCAST},
		{"10.77.1.0", 23, NETSETUP_HOST},
		{"10.77.0.0", 31, NETSETUP_HOST},
		{"10.77.0.1", 31, NETSETUP_HOST},
		{"10.77.0.0", 32, NETSETUP_HOST},
		{"10.77.0.4", 30, NETSETUP_HOST_NETWORK},
		{"10.77.0.7", 30, NETSETUP_HOST_BROADCAST},
		{"fd77::", 64, NETSETUP_HOST_NETWORK},
		{"fd77::ffff:ffff:ffff:ffff", 64, NETSETUP_HOST},
		{"fd77::1", 64, NETSETUP_HOST},
		{"fd77::", 127, NETSETUP_HOST},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct netsetup_addr a = addr(t[i].a);

		ck_assert_msg(netsetup_addr_host_kind(&a, t[i].prefix) == t[i].k, "%s/%u", t[i].a,
		              t[i].prefix);
	}
}
END_TEST

START_TEST(test_addr_subnet)
{
	struct netsetup_addr net = addr("10.0.0.0/24"), net23 = addr("10.0.2.0/23");
	struct netsetup_addr a = addr("10.0.0.77/24"), b = addr("10.0.1.1/24");

	ck_assert(netsetup_addr_in_subnet(&a, &net));
	ck_assert(!netsetup_addr_in_subnet(&b, &net));
	ck_assert(netsetup_addr_in_subnet(&(struct netsetup_addr){0}, &(struct netsetup_addr){0}) ==
	          false); /* no family */
	a = addr("10.0.3.255");
	ck_assert(netsetup_addr_in_subnet(&a, &net23));
	a = addr("10.0.4.0");
	ck_assert(!netsetup_addr_in_subnet(&a, &net23));
	a = addr("10.0.1.255");
	ck_assert(!netsetup_addr_in_subnet(&a, &net23));
	net = addr("0.0.0.0/0");
	ck_assert(netsetup_addr_in_subnet(&b, &net));
	net = addr("2001:db8::/64");
	a = addr("2001:db8::5/64");
	ck_assert(netsetup_addr_in_subnet(&a, &net));
	a = addr("2001:db8:0:1::5/64");
	ck_assert(!netsetup_addr_in_subnet(&a, &net));
	/* families never mix */
	a = addr("10.0.0.1");
	ck_assert(!netsetup_addr_in_subnet(&a, &net));
}
END_TEST

START_TEST(test_addr_equal)
{
	struct netsetup_addr a = addr("10.0.0.2/24"), b = addr("10.0.0.2/32"), c = addr("10.0.0.3");
	struct netsetup_addr d = addr("::a00:2");

	ck_assert(netsetup_addr_equal(&a, &b)); /* prefix ignored */
	ck_assert(!netsetup_addr_equal(&a, &c));
	ck_assert(!netsetup_addr_equal(&a, &d)); /* same bytes at the end, other family */
}
END_TEST

START_TEST(test_rate_parse)
{
	static const struct {
		const char *s;
		uint64_t bps;
	} good[] = {
		{"10mbit", 10000000ULL},
		{"100mbit", 100000000ULL},
		{"1gbit", 1000000000ULL},
		{"1.5gbit", 1500000000ULL},
		{"512kbit", 512000ULL},
		{"10mbps", 80000000ULL},
		{"10MBit", 10000000ULL},
		{"0", 0},
		{"0mbit", 0},
		{"8000bit", 8000ULL},
		{"40gbit", 40000000000ULL},
		{"0.5mbit", 500000ULL},
	};
	static const struct {
		const char *s;
		int err;
	} bad[] = {
		{"fast", -EINVAL},
		{"10", -EINVAL},
		{"", -EINVAL},
		{"mbit", -EINVAL},
		{"10 mbit", -EINVAL},
		{"-10mbit", -EINVAL},
		{"1.2345gbit", -EINVAL},
		{"10mbitx", -EINVAL},
		{"1.mbit", -EINVAL},
		{"1bit", -ERANGE},
		{"7999bit", -ERANGE},
		{"99999999999999999999gbit", -ERANGE},
		{"100000000tbit", -ERANGE},
		{"0.0001bit", -EINVAL},
		{"1.5bit", -EINVAL},
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(netsetup_rate_parse(good[i].s, &v) == 0, "refused '%s'", good[i].s);
		ck_assert_uint_eq(v, good[i].bps);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(netsetup_rate_parse(bad[i].s, &v) == bad[i].err, "'%s' gave %d",
		              bad[i].s, netsetup_rate_parse(bad[i].s, &v));
	ck_assert_int_eq(netsetup_rate_parse(NULL, &v), -EINVAL);
}
END_TEST

START_TEST(test_rate_format)
{
	char buf[32];

	ck_assert_str_eq(netsetup_rate_format(10000000, buf, sizeof(buf)), "10mbit");
	ck_assert_str_eq(netsetup_rate_format(1000000000, buf, sizeof(buf)), "1gbit");
	ck_assert_str_eq(netsetup_rate_format(1500000000, buf, sizeof(buf)), "1500mbit");
	ck_assert_str_eq(netsetup_rate_format(512000, buf, sizeof(buf)), "512kbit");
	ck_assert_str_eq(netsetup_rate_format(8001, buf, sizeof(buf)), "8001bit");
}
END_TEST

START_TEST(test_mac_from_name)
{
	uint8_t a[6], b[6], c[6];
	char buf[32];

	netsetup_mac_from_name("web1", a);
	netsetup_mac_from_name("web1", b);
	netsetup_mac_from_name("web2", c);
	ck_assert_mem_eq(a, b, 6);
	ck_assert_uint_eq(a[0], 0x02); /* locally administered, unicast */
	/* one character apart: every hashed byte differs, not just one */
	for (int i = 1; i < 6; i++)
		ck_assert_msg(a[i] != c[i] || i == 0, "byte %d equal", i);
	/* pinned: a VPS keeps its MAC across vpsctl versions */
	ck_assert_str_eq(netsetup_mac_format(a, buf, sizeof(buf)), "02:66:98:3c:4a:f2");
}
END_TEST

START_TEST(test_mac_parse)
{
	uint8_t m[6];
	char buf[32];

	ck_assert_int_eq(netsetup_mac_parse("02:aa:BB:cc:dd:0e", m), 0);
	ck_assert_str_eq(netsetup_mac_format(m, buf, sizeof(buf)), "02:aa:bb:cc:dd:0e");
	ck_assert_int_eq(netsetup_mac_parse("01:00:5e:00:00:01", m), -EINVAL); /* multicast */
	ck_assert_int_eq(netsetup_mac_parse("00:00:00:00:00:00", m), -EINVAL);
	ck_assert_int_eq(netsetup_mac_parse("02:aa:bb:cc:dd", m), -EINVAL);
	ck_assert_int_eq(netsetup_mac_parse("02:aa:bb:cc:dd:eg", m), -EINVAL);
	ck_assert_int_eq(netsetup_mac_parse("02-aa-bb-cc-dd-ee", m), -EINVAL);
	ck_assert_int_eq(netsetup_mac_parse("02:aa:bb:cc:dd:ee:", m), -EINVAL);
	ck_assert_int_eq(netsetup_mac_parse(NULL, m), -EINVAL);
}
END_TEST

START_TEST(test_mac_link_local)
{
	static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
	static const uint8_t mac2[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	struct netsetup_addr ll;
	char buf[64];

	netsetup_mac_to_link_local(mac, &ll);
	ck_assert_str_eq(netsetup_addr_format(&ll, buf, sizeof(buf)), "fe80::ff:fe00:1/64");
	netsetup_mac_to_link_local(mac2, &ll);
	ck_assert_str_eq(netsetup_addr_format(&ll, buf, sizeof(buf)), "fe80::5054:ff:fe12:3456/64");
}
END_TEST

START_TEST(test_ifb_name)
{
	char n[NETSETUP_IFNAMSIZ];

	ck_assert_int_eq(netsetup_ifb_name("veth-web1", n), 0);
	ck_assert_str_eq(n, "ifb-web1");
	ck_assert_int_eq(netsetup_ifb_name("vethweb", n), 0);
	ck_assert_str_eq(n, "ifb-vethweb");
	ck_assert_int_eq(netsetup_ifb_name("veth-0123456789", n), 0);
	ck_assert_str_eq(n, "ifb-0123456789");
	ck_assert_int_eq(netsetup_ifb_name("x123456789abcde", n), -ENAMETOOLONG);
	ck_assert_int_eq(netsetup_ifb_name("veth-0123456789a", n), -EINVAL); /* 16 chars */
	ck_assert_int_eq(netsetup_ifb_name("a/b", n), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netsetup-parse");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_addr_parse);
	tcase_add_test(tc, test_addr_parse_bad);
	tcase_add_test(tc, test_addr_subnet);
	tcase_add_test(tc, test_addr_host_kind);
	tcase_add_test(tc, test_addr_equal);
	tcase_add_test(tc, test_rate_parse);
	tcase_add_test(tc, test_rate_format);
	tcase_add_test(tc, test_mac_from_name);
	tcase_add_test(tc, test_mac_parse);
	tcase_add_test(tc, test_mac_link_local);
	tcase_add_test(tc, test_ifb_name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
