/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The anti-spoofing program, run on crafted frames by a small classic BPF interpreter that
 * behaves like the kernel's (a load past the end ends the program with 0 = TC_ACT_OK), and
 * validated by the kernel's own checker (SO_ATTACH_FILTER, unprivileged).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "msg.h"
#include "netsetup.h"

#define PASS NETSETUP_BPF_PASS
#define DROP NETSETUP_BPF_DROP

static struct sock_filter prog[BPF_MAXINSNS];
static size_t prog_len;
static bool vlan_tag;

static const uint8_t own_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

static bool ld(const uint8_t *pkt, uint32_t len, uint32_t off, unsigned size, uint32_t *ret)
{
	uint32_t v = 0;

	if (off > len || size > len - off)
		return false;
	for (unsigned i = 0; i < size; i++)
		v = v << 8 | pkt[off + i];
	*ret = v;
	return true;
}

static unsigned size_of(uint16_t code)
{
	return BPF_SIZE(code) == BPF_W ? 4 : BPF_SIZE(code) == BPF_H ? 2 : 1;
}

/* Returns the program's verdict; 0 when a load runs past the end, as in the kernel. */
static uint32_t run(const uint8_t *pkt, uint32_t len)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0};

	for (size_t pc = 0; pc < prog_len; pc++) {
		const struct sock_filter *f = &prog[pc];
		uint16_t c = f->code;
		uint32_t k = f->k;

		switch (BPF_CLASS(c)) {
		case BPF_LD:
			if (BPF_MODE(c) == BPF_LEN)
				A = len;
			else if (BPF_MODE(c) == BPF_ABS &&
			         k == (uint32_t)(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT))
				A = vlan_tag;
			else if (BPF_MODE(c) == BPF_ABS || BPF_MODE(c) == BPF_IND) {
				if (!ld(pkt, len, BPF_MODE(c) == BPF_IND ? X + k : k, size_of(c),
				        &A))
					return 0;
			} else
				ck_abort_msg("ld mode %#x", c);
			break;
		case BPF_LDX:
			if (BPF_MODE(c) == BPF_IMM)
				X = k;
			else if (BPF_MODE(c) == BPF_MEM)
				X = M[k];
			else if (BPF_MODE(c) == BPF_MSH) {
				if (!ld(pkt, len, k, 1, &X))
					return 0;
				X = (X & 0xf) << 2;
			} else
				ck_abort_msg("ldx mode %#x", c);
			break;
		case BPF_ST:
			M[k] = A;
			break;
		case BPF_STX:
			M[k] = X;
			break;
		case BPF_ALU:
			ck_assert_uint_eq(BPF_SRC(c), BPF_K);
			if (BPF_OP(c) == BPF_ADD)
				A += k;
			else if (BPF_OP(c) == BPF_LSH)
				A <<= k;
			else
				ck_abort_msg("alu %#x", c);
			break;
		case BPF_JMP: {
			uint32_t v = BPF_SRC(c) == BPF_X ? X : k;
			bool t;

			if (BPF_OP(c) == BPF_JA) {
				pc += k;
				continue;
			}
			t = BPF_OP(c) == BPF_JEQ    ? A == v
			    : BPF_OP(c) == BPF_JGE  ? A >= v
			    : BPF_OP(c) == BPF_JSET ? (A & v) != 0
			                            : (ck_abort_msg("jmp %#x", c), false);
			pc += t ? f->jt : f->jf;
			break;
		}
		case BPF_RET:
			return k;
		case BPF_MISC:
			if (BPF_MISCOP(c) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		default:
			ck_abort_msg("class %#x", c);
		}
	}
	ck_abort_msg("fell off the end of the program");
	return 0;
}

/* --- frames --------------------------------------------------------------------------- */

struct frame {
	uint8_t b[256];
	uint32_t len;
};

static void put(struct frame *f, uint32_t off, const void *p, size_t n)
{
	memcpy(f->b + off, p, n);
	if (off + n > f->len)
		f->len = (uint32_t)(off + n);
}

static void put16(struct frame *f, uint32_t off, uint16_t v)
{
	uint16_t be = htons(v);

	put(f, off, &be, 2);
}

static void ether(struct frame *f, const uint8_t *src, uint16_t type)
{
	static const uint8_t dst[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	memset(f, 0, sizeof(*f));
	put(f, 0, dst, 6);
	put(f, 6, src, 6);
	put16(f, 12, type);
}

static struct frame ipv4(const uint8_t *mac, const char *src, uint8_t proto, uint16_t sport)
{
	struct frame f;
	struct in_addr a;

	ether(&f, mac, ETH_P_IP);
	f.b[14] = 0x45;
	f.b[23] = proto;
	ck_assert_int_eq(inet_pton(AF_INET, src, &a), 1);
	put(&f, 26, &a, 4);
	put(&f, 30, &a, 4); /* destination: irrelevant */
	put16(&f, 34, sport);
	put16(&f, 36, 53);
	put16(&f, 34 + 6, 0);
	return f;
}

static struct frame arp(const uint8_t *mac, const uint8_t *sha, const char *spa)
{
	struct frame f;
	struct in_addr a;

	ether(&f, mac, ETH_P_ARP);
	put16(&f, 14, 1);
	put16(&f, 16, ETH_P_IP);
	f.b[18] = 6;
	f.b[19] = 4;
	put16(&f, 20, 1);
	put(&f, 22, sha, 6);
	ck_assert_int_eq(inet_pton(AF_INET, spa, &a), 1);
	put(&f, 28, &a, 4);
	put(&f, 38, &a, 4);
	return f;
}

/* IPv6 with next header nh and an 8-byte ICMP/UDP header start (type or source port). */
static struct frame ipv6(const uint8_t *mac, const char *src, uint8_t nh, const void *l4,
                         size_t l4len)
{
	struct frame f;
	struct in6_addr a;

	ether(&f, mac, ETH_P_IPV6);
	f.b[14] = 0x60;
	f.b[20] = nh;
	ck_assert_int_eq(inet_pton(AF_INET6, src, &a), 1);
	put(&f, 22, &a, 16);
	put(&f, 38, &a, 16);
	put(&f, 54, l4, l4len);
	return f;
}

/* ICMPv6 neighbour message type with target and an optional link-layer option. */
static struct frame nd(uint8_t type, const char *src, const char *target, uint8_t opt,
                       const uint8_t *optmac)
{
	uint8_t l4[32] = {type};
	struct in6_addr t;

	ck_assert_int_eq(inet_pton(AF_INET6, target, &t), 1);
	memcpy(l4 + 8, &t, 16);
	if (opt) {
		l4[24] = opt;
		l4[25] = 1;
		memcpy(l4 + 26, optmac, 6);
	}
	return ipv6(own_mac, src, IPPROTO_ICMPV6, l4, opt ? 32 : 24);
}

static void build(const char *const *addrs, size_t n)
{
	struct netsetup_addr a[2 * NETSETUP_MAX_ADDRS];

	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(netsetup_addr_parse(addrs[i], &a[i]), 0);
	ck_assert_int_eq(netsetup_antispoof_program(own_mac, a, n, prog, BPF_MAXINSNS, &prog_len),
	                 0);
}

static const char *const own[] = {"10.0.0.2/24", "10.0.0.9/24", "fd00::2/64", "2001:db8::2/64"};
#define OWN_LL "fe80::ff:fe00:a"

static void setup(void)
{
	vlan_tag = false;
	build(own, 4);
}

/* Every frame a program sees, whole or cut short, ends in an explicit verdict: never 0. */
static uint32_t verdict(const struct frame *f)
{
	for (uint32_t len = 0; len < f->len; len++)
		ck_assert_msg(run(f->b, len) != 0, "truncated to %u bytes: accepted", len);
	return run(f->b, f->len);
}

START_TEST(test_ipv4)
{
	struct frame f = ipv4(own_mac, "10.0.0.2", IPPROTO_ICMP, 0);

	ck_assert_uint_eq(verdict(&f), PASS);
	f = ipv4(own_mac, "10.0.0.9", IPPROTO_TCP, 0);
	ck_assert_uint_eq(verdict(&f), PASS);
	f = ipv4(own_mac, "10.0.0.3", IPPROTO_ICMP, 0); /* a neighbour's address */
	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv4(own_mac, "0.0.0.0", IPPROTO_UDP, 68);
	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv4(other_mac, "10.0.0.2", IPPROTO_ICMP, 0); /* changed MAC */
	ck_assert_uint_eq(verdict(&f), DROP);
}
END_TEST

START_TEST(test_dhcp)
{
	struct frame f = ipv4(own_mac, "10.0.0.2", IPPROTO_UDP, 67); /* DHCP server reply */

	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv4(own_mac, "10.0.0.2", IPPROTO_UDP, 68);
	ck_assert_uint_eq(verdict(&f), PASS);
	f = ipv4(own_mac, "10.0.0.2", IPPROTO_TCP, 67); /* TCP port 67 is not DHCP */
	ck_assert_uint_eq(verdict(&f), PASS);
	/* with IP options the UDP header moves: IHL 6 */
	f = ipv4(own_mac, "10.0.0.2", IPPROTO_UDP, 0);
	f.b[14] = 0x46;
	put16(&f, 38, 67);
	f.len = 60;
	ck_assert_uint_eq(verdict(&f), DROP);
	/* a later fragment has no UDP header: its bytes are not a port */
	f = ipv4(own_mac, "10.0.0.2", IPPROTO_UDP, 67);
	put16(&f, 20, 100);
	ck_assert_uint_eq(verdict(&f), PASS);
}
END_TEST

START_TEST(test_arp)
{
	struct frame f = arp(own_mac, own_mac, "10.0.0.2");

	ck_assert_uint_eq(verdict(&f), PASS);
	f = arp(own_mac, own_mac, "0.0.0.0"); /* address probe */
	ck_assert_uint_eq(verdict(&f), PASS);
	f = arp(own_mac, own_mac, "10.0.0.3"); /* poisoning the neighbour's entry */
	ck_assert_uint_eq(verdict(&f), DROP);
	f = arp(own_mac, other_mac, "10.0.0.2");
	ck_assert_uint_eq(verdict(&f), DROP);
	f = arp(own_mac, own_mac, "10.0.0.2");
	f.b[18] = 8; /* another hardware address length moves the fields */
	ck_assert_uint_eq(verdict(&f), DROP);
}
END_TEST

START_TEST(test_ipv6_source)
{
	static const uint8_t echo[8] = {128};
	struct frame f = ipv6(own_mac, "fd00::2", IPPROTO_ICMPV6, echo, 8);

	ck_assert_uint_eq(verdict(&f), PASS);
	f = ipv6(own_mac, "2001:db8::2", IPPROTO_TCP, echo, 8);
	ck_assert_uint_eq(verdict(&f), PASS);
	f = ipv6(own_mac, OWN_LL, IPPROTO_ICMPV6, echo, 8);
	ck_assert_uint_eq(verdict(&f), PASS);
	f = ipv6(own_mac, "::", IPPROTO_ICMPV6, echo, 8);
	ck_assert_uint_eq(verdict(&f), PASS);
	f = ipv6(own_mac, "fd00::3", IPPROTO_ICMPV6, echo, 8);
	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv6(own_mac, "fe80::ff:fe00:b", IPPROTO_ICMPV6, echo, 8); /* another link-local */
	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv6(own_mac, "fd00::2:0:0:0", IPPROTO_TCP, echo, 8); /* differs in one word only */
	ck_assert_uint_eq(verdict(&f), DROP);
}
END_TEST

START_TEST(test_ipv6_router)
{
	static const uint8_t ra[8] = {134}, redirect[8] = {137}, dhcp6[8] = {0x02, 0x23};
	uint8_t hbh[16] = {IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0, 134};
	struct frame f = ipv6(own_mac, OWN_LL, IPPROTO_ICMPV6, ra, 8);

	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv6(own_mac, OWN_LL, IPPROTO_ICMPV6, redirect, 8);
	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv6(own_mac, OWN_LL, 0 /* hop-by-hop */, hbh, 16); /* an RA behind it */
	ck_assert_uint_eq(verdict(&f), DROP);
	hbh[8] = 143; /* an MLD report behind it */
	f = ipv6(own_mac, OWN_LL, 0, hbh, 16);
	ck_assert_uint_eq(verdict(&f), PASS);
	f = ipv6(own_mac, OWN_LL, 43 /* routing */, hbh, 16);
	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv6(own_mac, "fd00::2", IPPROTO_UDP, dhcp6, 8); /* DHCPv6 server port 547 */
	ck_assert_uint_eq(verdict(&f), DROP);
}
END_TEST

START_TEST(test_ndp)
{
	struct frame f = nd(136, "fd00::2", "fd00::2", 2, own_mac);

	ck_assert_uint_eq(verdict(&f), PASS);
	f = nd(136, OWN_LL, OWN_LL, 0, NULL);
	ck_assert_uint_eq(verdict(&f), PASS);
	f = nd(136, "fd00::2", "fd00::3", 2, own_mac); /* advertising a neighbour's address */
	ck_assert_uint_eq(verdict(&f), DROP);
	f = nd(136, "fd00::2", "fd00::2", 2, other_mac); /* ours, at another MAC */
	ck_assert_uint_eq(verdict(&f), DROP);
	f = nd(135, "fd00::2", "fd00::3", 1, own_mac); /* asking for a neighbour: fine */
	ck_assert_uint_eq(verdict(&f), PASS);
	f = nd(135, "fd00::2", "fd00::3", 1, other_mac);
	ck_assert_uint_eq(verdict(&f), DROP);
	f = nd(135, "::", "fd00::2", 0, NULL); /* duplicate address detection */
	ck_assert_uint_eq(verdict(&f), PASS);
	f = nd(135, "fd00::3", "fd00::2", 1, own_mac);
	ck_assert_uint_eq(verdict(&f), DROP);
}
END_TEST

START_TEST(test_ether)
{
	struct frame f;

	ether(&f, own_mac, 0x88cc); /* LLDP: not ours to send */
	f.len = 60;
	ck_assert_uint_eq(verdict(&f), DROP);
	ether(&f, own_mac, 0x8100); /* an 802.1Q tag in the data */
	f.len = 60;
	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv4(own_mac, "10.0.0.2", IPPROTO_ICMP, 0);
	vlan_tag = true; /* a tag the driver took out of the data */
	ck_assert_uint_eq(verdict(&f), DROP);
}
END_TEST

START_TEST(test_no_addresses)
{
	static const uint8_t echo[8] = {128};
	struct frame f;

	build(NULL, 0);
	f = ipv4(own_mac, "10.0.0.2", IPPROTO_ICMP, 0);
	ck_assert_uint_eq(verdict(&f), DROP);
	f = arp(own_mac, own_mac, "10.0.0.2");
	ck_assert_uint_eq(verdict(&f), DROP);
	f = ipv6(own_mac, OWN_LL, IPPROTO_ICMPV6, echo, 8); /* the link-local stays allowed */
	ck_assert_uint_eq(verdict(&f), PASS);
}
END_TEST

/* The kernel's checker accepts it (sk_chk_filter: jumps in range, ends in ret, ...). */
static void kernel_accepts(void)
{
	struct sock_fprog fp = {(unsigned short)prog_len, prog};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) == 0,
	              "kernel refused the program: %s", strerror(errno));
	close(fd);
}

START_TEST(test_kernel_check)
{
	kernel_accepts();
}
END_TEST

START_TEST(test_many_addresses)
{
	struct netsetup_addr a[2 * NETSETUP_MAX_ADDRS + 1];
	struct frame f;
	char s[64];

	for (int i = 0; i < NETSETUP_MAX_ADDRS; i++) {
		snprintf(s, sizeof(s), "10.1.0.%d/16", i + 1);
		ck_assert_int_eq(netsetup_addr_parse(s, &a[i]), 0);
		snprintf(s, sizeof(s), "fd00::%x/64", i + 1);
		ck_assert_int_eq(netsetup_addr_parse(s, &a[NETSETUP_MAX_ADDRS + i]), 0);
	}
	ck_assert_int_eq(netsetup_antispoof_program(own_mac, a, 2 * NETSETUP_MAX_ADDRS, prog,
	                                            BPF_MAXINSNS, &prog_len),
	                 0);
	kernel_accepts();
	/* the message must still fit one request */
	ck_assert_uint_le(prog_len * sizeof(prog[0]), NL_MSG_SIZE - 256);
	f = ipv4(own_mac, "10.1.0.32", IPPROTO_ICMP, 0);
	ck_assert_uint_eq(verdict(&f), PASS);
	f = nd(136, "fd00::20", "fd00::20", 2, own_mac); /* the last address, far from the start */
	ck_assert_uint_eq(verdict(&f), PASS);
	f = ipv4(own_mac, "10.1.0.33", IPPROTO_ICMP, 0);
	ck_assert_uint_eq(verdict(&f), DROP);
	/* one more of a family is refused, not silently left out */
	ck_assert_int_eq(netsetup_addr_parse("10.1.0.99/16", &a[2 * NETSETUP_MAX_ADDRS]), 0);
	ck_assert_int_eq(netsetup_antispoof_program(own_mac, a, 2 * NETSETUP_MAX_ADDRS + 1, prog,
	                                            BPF_MAXINSNS, &prog_len),
	                 -E2BIG);
	/* too little room */
	ck_assert_int_eq(netsetup_antispoof_program(own_mac, a, 4, prog, 10, &prog_len), -E2BIG);
	a[0].family = AF_UNIX;
	ck_assert_int_eq(netsetup_antispoof_program(own_mac, a, 1, prog, BPF_MAXINSNS, &prog_len),
	                 -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netsetup-filter");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_ipv4);
	tcase_add_test(tc, test_dhcp);
	tcase_add_test(tc, test_arp);
	tcase_add_test(tc, test_ipv6_source);
	tcase_add_test(tc, test_ipv6_router);
	tcase_add_test(tc, test_ndp);
	tcase_add_test(tc, test_ether);
	tcase_add_test(tc, test_no_addresses);
	tcase_add_test(tc, test_kernel_check);
	tcase_add_test(tc, test_many_addresses);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
