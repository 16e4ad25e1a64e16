/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rtnetlink messages netsetup builds, checked without a socket. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/veth.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "netsetup.h"

#define MAXATTR 64

static char buf[NL_MSG_SIZE];

/* tb[type] for every attribute of a message (after hdrlen) or of a nest. */
static int table_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	ck_assert_int_lt(mnl_attr_get_type(a), MAXATTR);
	ck_assert_ptr_null(tb[mnl_attr_get_type(a)]); /* no attribute twice */
	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void parse_msg(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb)
{
	memset(tb, 0, sizeof(*tb) * MAXATTR);
	ck_assert_int_ge(mnl_attr_parse(nlh, (unsigned)hdrlen, table_cb, tb), 0);
}

static void parse_nest(const struct nlattr *nest, const struct nlattr **tb)
{
	ck_assert_ptr_nonnull(nest);
	memset(tb, 0, sizeof(*tb) * MAXATTR);
	ck_assert_int_ge(mnl_attr_parse_nested(nest, table_cb, tb), 0);
}

static void assert_str(const struct nlattr *a, const char *s)
{
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(mnl_attr_validate(a, MNL_TYPE_NUL_STRING), 0);
	ck_assert_str_eq(mnl_attr_get_str(a), s);
}

static void assert_u32(const struct nlattr *a, uint32_t v)
{
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(mnl_attr_get_payload_len(a), 4);
	ck_assert_uint_eq(mnl_attr_get_u32(a), v);
}

static void assert_bytes(const struct nlattr *a, const void *p, size_t len)
{
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(mnl_attr_get_payload_len(a), len);
	ck_assert_mem_eq(mnl_attr_get_payload(a), p, len);
}

static struct netsetup_addr addr(const char *s)
{
	struct netsetup_addr a;

	ck_assert_int_eq(netsetup_addr_parse(s, &a), 0);
	return a;
}

static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

START_TEST(test_veth)
{
	const struct nlmsghdr *nlh = (void *)buf;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[MAXATTR], *info[MAXATTR], *data[MAXATTR], *peer[MAXATTR];
	const struct ifinfomsg *pifm;
	const struct nlattr *p;

	ck_assert_int_eq(netsetup_build_veth(buf, "veth-web1", "eth0", 7, mac, 1400), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_NEWLINK);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	ck_assert_uint_eq(ifm->ifi_family, AF_UNSPEC);
	ck_assert_uint_eq(ifm->ifi_flags & IFF_UP, 0); /* node end stays down until filtered */
	parse_msg(nlh, sizeof(*ifm), tb);
	assert_str(tb[IFLA_IFNAME], "veth-web1");
	assert_u32(tb[IFLA_MTU], 1400);
	ck_assert_ptr_null(tb[IFLA_NET_NS_FD]); /* the node end stays here */
	parse_nest(tb[IFLA_LINKINFO], info);
	assert_str(info[IFLA_INFO_KIND], "veth");
	parse_nest(info[IFLA_INFO_DATA], data);
	p = data[VETH_INFO_PEER];
	ck_assert_ptr_nonnull(p);
	/* the peer: an ifinfomsg, then its own attributes */
	ck_assert_uint_ge(mnl_attr_get_payload_len(p), sizeof(*pifm));
	pifm = mnl_attr_get_payload(p);
	ck_assert_uint_eq(pifm->ifi_family, AF_UNSPEC);
	ck_assert_int_eq(pifm->ifi_index, 0);
	memset(peer, 0, sizeof(peer));
	ck_assert_int_ge(mnl_attr_parse_payload((const char *)pifm + sizeof(*pifm),
	                                        mnl_attr_get_payload_len(p) - sizeof(*pifm),
	                                        table_cb, peer),
	                 0);
	assert_str(peer[IFLA_IFNAME], "eth0");
	assert_u32(peer[IFLA_NET_NS_FD], 7);
	assert_bytes(peer[IFLA_ADDRESS], mac, 6);
	assert_u32(peer[IFLA_MTU], 1400);
	/* nothing after the attributes: lengths add up exactly */
	ck_assert_uint_eq((const char *)mnl_attr_next(tb[IFLA_LINKINFO]) - buf, nlh->nlmsg_len);
}
END_TEST

START_TEST(test_veth_bad)
{
	ck_assert_int_eq(netsetup_build_veth(buf, "veth-0123456789ab", "eth0", 3, mac, 0), -EINVAL);
	ck_assert_int_eq(netsetup_build_veth(buf, "veth-a", "", 3, mac, 0), -EINVAL);
	ck_assert_int_eq(netsetup_build_veth(buf, "a/b", "eth0", 3, mac, 0), -EINVAL);
	ck_assert_int_eq(netsetup_build_veth(buf, "veth-a", NULL, 3, mac, 0), -EINVAL);
	ck_assert_int_eq(netsetup_veth_create("veth-a", "eth0", -1, mac, 0), -EBADF);
}
END_TEST

/* IPv4 address add, byte for byte. */
START_TEST(test_addr_v4_bytes)
{
	struct netsetup_addr a = addr("10.0.0.2/24");
	const uint8_t expect[] = {
		40,          0,
		0,           0,    /* nlmsg_len */
		RTM_NEWADDR, 0,    /* nlmsg_type */
		0x00,        0x05, /* NLM_F_CREATE | NLM_F_REPLACE (LE) */
		0,           0,
		0,           0,
		0,           0,
		0,           0, /* seq, pid: set when sent */
		AF_INET,     24,
		0,           RT_SCOPE_UNIVERSE, /* family, prefixlen, flags, scope */
		5,           0,
		0,           0, /* ifa_index */
		8,           0,
		IFA_LOCAL,   0,
		10,          0,
		0,           2, /* IFA_LOCAL 10.0.0.2 */
		8,           0,
		IFA_ADDRESS, 0,
		10,          0,
		0,           2 /* IFA_ADDRESS 10.0.0.2 */
	};

	ck_assert_int_eq(netsetup_build_addr(buf, RTM_NEWADDR, 5, &a), 0);
	ck_assert_uint_eq(((struct nlmsghdr *)buf)->nlmsg_len, sizeof(expect));
	ck_assert_mem_eq(buf, expect, sizeof(expect));
}
END_TEST

START_TEST(test_addr_v6)
{
	struct netsetup_addr a = addr("2001:db8::2/64");
	const struct nlmsghdr *nlh = (void *)buf;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[MAXATTR];

	ck_assert_int_eq(netsetup_build_addr(buf, RTM_NEWADDR, 9, &a), 0);
	ck_assert_uint_eq(ifa->ifa_family, AF_INET6);
	ck_assert_uint_eq(ifa->ifa_prefixlen, 64);
	ck_assert_uint_eq(ifa->ifa_index, 9);
	ck_assert_uint_eq(ifa->ifa_flags, IFA_F_NODAD);
	parse_msg(nlh, sizeof(*ifa), tb);
	assert_bytes(tb[IFA_ADDRESS], a.bytes, 16);
	ck_assert_ptr_null(tb[IFA_LOCAL]);
	assert_u32(tb[IFA_FLAGS], IFA_F_NODAD);
	/* deleting: no create flags, no NODAD */
	ck_assert_int_eq(netsetup_build_addr(buf, RTM_DELADDR, 9, &a), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_DELADDR);
	ck_assert_uint_eq(nlh->nlmsg_flags, 0);
	parse_msg(nlh, sizeof(*ifa), tb);
	ck_assert_ptr_null(tb[IFA_FLAGS]);
	/* bad input */
	a.prefixlen = 129;
	ck_assert_int_eq(netsetup_build_addr(buf, RTM_NEWADDR, 9, &a), -EINVAL);
	a = addr("10.0.0.1");
	ck_assert_int_eq(netsetup_build_addr(buf, RTM_NEWADDR, 0, &a), -EINVAL);
	ck_assert_int_eq(netsetup_build_addr(buf, RTM_NEWLINK, 3, &a), -EINVAL);
}
END_TEST

static void check_default_route(const char *gw, int family, size_t alen)
{
	struct netsetup_addr g = addr(gw);
	const struct nlmsghdr *nlh = (void *)buf;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[MAXATTR];

	ck_assert_int_eq(netsetup_build_route_default(buf, 4, &g), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_NEWROUTE);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_REPLACE);
	ck_assert_uint_eq(rtm->rtm_family, family);
	ck_assert_uint_eq(rtm->rtm_dst_len, 0); /* default */
	ck_assert_uint_eq(rtm->rtm_table, RT_TABLE_MAIN);
	ck_assert_uint_eq(rtm->rtm_type, RTN_UNICAST);
	ck_assert_uint_eq(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	parse_msg(nlh, sizeof(*rtm), tb);
	assert_bytes(tb[RTA_GATEWAY], g.bytes, alen);
	assert_u32(tb[RTA_OIF], 4);
	ck_assert_ptr_null(tb[RTA_DST]);
}

START_TEST(test_route)
{
	struct netsetup_addr bad = {0};

	check_default_route("10.0.0.1", AF_INET, 4);
	check_default_route("2001:db8::1", AF_INET6, 16);
	ck_assert_int_eq(netsetup_build_route_default(buf, 4, &bad), -EINVAL);
}
END_TEST

/* A start's or stop's question about its own address: one lookup (FIB match), no dump. */
static void check_route_lookup(const char *ip, int family, size_t alen)
{
	struct netsetup_addr a = addr(ip);
	const struct nlmsghdr *nlh = (void *)buf;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[MAXATTR];

	ck_assert_int_eq(netsetup_build_route_lookup(buf, &a), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_GETROUTE);
	ck_assert_uint_eq(nlh->nlmsg_flags & NLM_F_DUMP, 0);
	ck_assert_uint_eq(rtm->rtm_family, family);
	ck_assert_uint_eq(rtm->rtm_dst_len, alen * 8);
	ck_assert_uint_eq(rtm->rtm_flags, RTM_F_FIB_MATCH);
	parse_msg(nlh, sizeof(*rtm), tb);
	assert_bytes(tb[RTA_DST], a.bytes, alen);
}

START_TEST(test_route_lookup)
{
	struct netsetup_addr bad = {0};

	check_route_lookup("203.0.113.10", AF_INET, 4);
	check_route_lookup("2001:db8:1::10", AF_INET6, 16);
	ck_assert_int_eq(netsetup_build_route_lookup(buf, &bad), -EINVAL);
}
END_TEST

/* net check's question about one address: its proxy entry on the uplink, one get (no dump).
 * The kernel refuses a get with a state or a flag but NTF_PROXY, or an attribute but NDA_DST. */
static void check_neigh_proxy_get(const char *ip, int family, size_t alen)
{
	struct netsetup_addr a = addr(ip);
	const struct nlmsghdr *nlh = (void *)buf;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[MAXATTR];

	ck_assert_int_eq(netsetup_build_neigh_proxy(buf, RTM_GETNEIGH, 7, &a), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_GETNEIGH);
	ck_assert_uint_eq(nlh->nlmsg_flags, 0); /* nl_request adds REQUEST and ACK: no DUMP */
	ck_assert_uint_eq(ndm->ndm_family, family);
	ck_assert_int_eq(ndm->ndm_ifindex, 7);
	ck_assert_uint_eq(ndm->ndm_flags, NTF_PROXY);
	ck_assert_uint_eq(ndm->ndm_state, 0);
	ck_assert_uint_eq(ndm->ndm_type, 0);
	ck_assert_uint_eq(nlh->nlmsg_len, MNL_ALIGN(sizeof(*nlh)) + MNL_ALIGN(sizeof(*ndm)) +
	                                          MNL_ALIGN(MNL_ATTR_HDRLEN + alen));
	parse_msg(nlh, sizeof(*ndm), tb);
	assert_bytes(tb[NDA_DST], a.bytes, alen);
}

START_TEST(test_neigh_proxy)
{
	struct netsetup_addr a = addr("203.0.113.10"), bad = {0};
	const struct nlmsghdr *nlh = (void *)buf;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);

	check_neigh_proxy_get("203.0.113.10", AF_INET, 4);
	check_neigh_proxy_get("2001:db8:1::10", AF_INET6, 16);
	ck_assert_int_eq(netsetup_build_neigh_proxy(buf, RTM_NEWNEIGH, 7, &a), 0);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_REPLACE);
	ck_assert_uint_eq(ndm->ndm_state, NUD_PERMANENT);
	ck_assert_int_eq(netsetup_build_neigh_proxy(buf, RTM_GETNEIGH, 7, &bad), -EINVAL);
	ck_assert_int_eq(netsetup_build_neigh_proxy(buf, RTM_GETNEIGH, 0, &a), -EINVAL);
	ck_assert_int_eq(netsetup_build_neigh_proxy(buf, RTM_GETROUTE, 7, &a), -EINVAL);
}
END_TEST

START_TEST(test_bridge)
{
	const struct nlmsghdr *nlh = (void *)buf;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[MAXATTR], *info[MAXATTR], *data[MAXATTR];

	ck_assert_int_eq(netsetup_build_bridge(buf, "vpsbr0", mac), 0);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	ck_assert_uint_eq(ifm->ifi_flags, IFF_UP);
	ck_assert_uint_eq(ifm->ifi_change, IFF_UP);
	parse_msg(nlh, sizeof(*ifm), tb);
	assert_str(tb[IFLA_IFNAME], "vpsbr0");
	assert_bytes(tb[IFLA_ADDRESS], mac, 6);
	parse_nest(tb[IFLA_LINKINFO], info);
	assert_str(info[IFLA_INFO_KIND], "bridge");
	parse_nest(info[IFLA_INFO_DATA], data);
	assert_u32(data[IFLA_BR_FORWARD_DELAY], 0);
}
END_TEST

START_TEST(test_link_ops)
{
	const struct nlmsghdr *nlh = (void *)buf;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[MAXATTR];

	ck_assert_int_eq(netsetup_build_link_updown(buf, "eth0", true), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_NEWLINK);
	ck_assert_uint_eq(nlh->nlmsg_flags & NLM_F_CREATE, 0); /* never creates */
	ck_assert_uint_eq(ifm->ifi_flags, IFF_UP);
	ck_assert_uint_eq(ifm->ifi_change, IFF_UP);
	ck_assert_int_eq(netsetup_build_link_master(buf, "veth-a", 12), 0);
	parse_msg(nlh, sizeof(*ifm), tb);
	assert_str(tb[IFLA_IFNAME], "veth-a");
	assert_u32(tb[IFLA_MASTER], 12);
	ck_assert_int_eq(netsetup_build_link_del(buf, "veth-a"), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_DELLINK);
	ck_assert_int_eq(netsetup_build_ifb(buf, "ifb-a"), 0);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	parse_msg(nlh, sizeof(*ifm), tb);
	{
		const struct nlattr *info[MAXATTR];

		parse_nest(tb[IFLA_LINKINFO], info);
		assert_str(info[IFLA_INFO_KIND], "ifb");
	}
	ck_assert_int_eq(netsetup_build_link_del(buf, "0123456789abcdef"), -EINVAL);
}
END_TEST

static void tbf_options(const struct nlattr **opt, struct tc_tbf_qopt *q)
{
	const struct nlmsghdr *nlh = (void *)buf;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[MAXATTR];

	ck_assert_uint_eq(nlh->nlmsg_type, RTM_NEWQDISC);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_REPLACE); /* live change */
	ck_assert_int_eq(tcm->tcm_ifindex, 6);
	ck_assert_uint_eq(tcm->tcm_parent, TC_H_ROOT);
	ck_assert_uint_eq(tcm->tcm_handle, 0x10000);
	parse_msg(nlh, sizeof(*tcm), tb);
	assert_str(tb[TCA_KIND], "tbf");
	parse_nest(tb[TCA_OPTIONS], opt);
	ck_assert_ptr_nonnull(opt[TCA_TBF_PARMS]);
	ck_assert_uint_eq(mnl_attr_get_payload_len(opt[TCA_TBF_PARMS]), sizeof(*q));
	memcpy(q, mnl_attr_get_payload(opt[TCA_TBF_PARMS]), sizeof(*q));
	ck_assert_uint_eq(q->rate.linklayer, TC_LINKLAYER_ETHERNET);
	ck_assert_uint_eq(q->peakrate.rate, 0);
}

START_TEST(test_tbf)
{
	const struct nlattr *opt[MAXATTR];
	struct tc_tbf_qopt q;

	/* 10mbit: 1.25 MB/s; burst the 64 KiB floor; 50 ms of queue; buffer = burst time */
	ck_assert_int_eq(netsetup_build_tbf(buf, 6, 10000000), 0);
	tbf_options(opt, &q);
	ck_assert_uint_eq(q.rate.rate, 1250000);
	assert_u32(opt[TCA_TBF_BURST], 65536);
	ck_assert_uint_eq(q.limit, 62500 + 65536);
	ck_assert_uint_eq(q.buffer, 819200); /* 65536 B / 1.25 MB/s = 52.4288 ms / 64 ns */
	ck_assert_ptr_null(opt[TCA_TBF_RATE64]);
	/* 1gbit: burst 10 ms of traffic */
	ck_assert_int_eq(netsetup_build_tbf(buf, 6, 1000000000), 0);
	tbf_options(opt, &q);
	ck_assert_uint_eq(q.rate.rate, 125000000);
	assert_u32(opt[TCA_TBF_BURST], 1250000);
	ck_assert_uint_eq(q.limit, 6250000 + 1250000);
	ck_assert_uint_eq(q.buffer, 156250);
	/* 40gbit: 5 GB/s does not fit tc_ratespec's u32, so TCA_TBF_RATE64 */
	ck_assert_int_eq(netsetup_build_tbf(buf, 6, 40000000000ULL), 0);
	tbf_options(opt, &q);
	ck_assert_uint_eq(q.rate.rate, UINT32_MAX);
	ck_assert_ptr_nonnull(opt[TCA_TBF_RATE64]);
	ck_assert_uint_eq(mnl_attr_get_u64(opt[TCA_TBF_RATE64]), 5000000000ULL);
	/* too slow to pass a frame */
	ck_assert_int_eq(netsetup_build_tbf(buf, 6, 7999), -ERANGE);
	ck_assert_int_eq(netsetup_build_tbf(buf, 0, 10000000), -EINVAL);
}
END_TEST

START_TEST(test_tbf_params)
{
	struct netsetup_tbf p;

	ck_assert_int_eq(netsetup_tbf_params(100000000, &p), 0); /* 100mbit */
	ck_assert_uint_eq(p.rate_Bps, 12500000);
	ck_assert_uint_eq(p.burst, 125000);
	ck_assert_uint_eq(p.limit, 625000 + 125000);
	ck_assert_uint_eq(p.buffer_ticks, 156250);
	ck_assert_int_eq(netsetup_tbf_params(8000, &p), 0); /* the floor: 1 kB/s */
	ck_assert_uint_eq(p.burst, 65536);
	ck_assert_uint_eq(p.buffer_ticks, 1024000000); /* 65.536 s */
}
END_TEST

static void check_filter_header(uint16_t prio)
{
	const struct nlmsghdr *nlh = (void *)buf;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);

	ck_assert_uint_eq(nlh->nlmsg_type, RTM_NEWTFILTER);
	ck_assert_uint_eq(nlh->nlmsg_flags & NLM_F_EXCL, 0); /* replaces the filter in force */
	ck_assert_uint_ne(nlh->nlmsg_flags & NLM_F_CREATE, 0);
	ck_assert_int_eq(tcm->tcm_ifindex, 6);
	ck_assert_uint_eq(tcm->tcm_parent, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	ck_assert_uint_eq(tcm->tcm_handle, NETSETUP_FILTER_HANDLE);
	ck_assert_uint_eq(TC_H_MAJ(tcm->tcm_info) >> 16, prio);
	ck_assert_uint_eq(TC_H_MIN(tcm->tcm_info), htons(ETH_P_ALL));
}

START_TEST(test_bpf_filter)
{
	static const struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_RET | BPF_K, NETSETUP_BPF_DROP),
	};
	const struct nlattr *tb[MAXATTR], *opt[MAXATTR];

	ck_assert_int_eq(netsetup_build_bpf_filter(buf, 6, NETSETUP_PRIO_ANTISPOOF, prog, 2), 0);
	check_filter_header(NETSETUP_PRIO_ANTISPOOF);
	parse_msg((void *)buf, sizeof(struct tcmsg), tb);
	assert_str(tb[TCA_KIND], "bpf");
	parse_nest(tb[TCA_OPTIONS], opt);
	ck_assert_uint_eq(mnl_attr_get_u16(opt[TCA_BPF_OPS_LEN]), 2);
	assert_bytes(opt[TCA_BPF_OPS], prog, sizeof(prog));
	assert_u32(opt[TCA_BPF_FLAGS], TCA_BPF_FLAG_ACT_DIRECT);
	ck_assert_ptr_null(opt[TCA_BPF_ACT]);
	ck_assert_int_eq(netsetup_build_bpf_filter(buf, 6, 1, prog, 0), -EINVAL);
	ck_assert_int_eq(netsetup_build_bpf_filter(buf, 6, 1, prog, BPF_MAXINSNS + 1), -EINVAL);
}
END_TEST

START_TEST(test_redirect)
{
	const struct nlattr *tb[MAXATTR], *opt[MAXATTR], *acts[MAXATTR], *act[MAXATTR];
	const struct nlattr *mopt[MAXATTR];
	const struct sock_filter *ops;
	struct tc_mirred m;

	ck_assert_int_eq(netsetup_build_redirect(buf, 6, 11), 0);
	check_filter_header(NETSETUP_PRIO_SHAPE);
	parse_msg((void *)buf, sizeof(struct tcmsg), tb);
	assert_str(tb[TCA_KIND], "bpf");
	parse_nest(tb[TCA_OPTIONS], opt);
	ck_assert_ptr_null(opt[TCA_BPF_FLAGS]); /* not direct-action: the action runs */
	ck_assert_uint_eq(mnl_attr_get_u16(opt[TCA_BPF_OPS_LEN]), 1);
	ops = mnl_attr_get_payload(opt[TCA_BPF_OPS]);
	ck_assert_uint_eq(ops[0].code, BPF_RET | BPF_K);
	ck_assert_uint_eq(ops[0].k, 0xffffffffU); /* match everything */
	parse_nest(opt[TCA_BPF_ACT], acts);
	parse_nest(acts[1], act);
	assert_str(act[TCA_ACT_KIND], "mirred");
	parse_nest(act[TCA_ACT_OPTIONS], mopt);
	ck_assert_uint_eq(mnl_attr_get_payload_len(mopt[TCA_MIRRED_PARMS]), sizeof(m));
	memcpy(&m, mnl_attr_get_payload(mopt[TCA_MIRRED_PARMS]), sizeof(m));
	ck_assert_int_eq(m.eaction, TCA_EGRESS_REDIR);
	ck_assert_int_eq(m.action, TC_ACT_STOLEN);
	ck_assert_uint_eq(m.ifindex, 11);
}
END_TEST

START_TEST(test_qdisc_misc)
{
	const struct nlmsghdr *nlh = (void *)buf;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[MAXATTR];

	ck_assert_int_eq(netsetup_build_clsact(buf, 6), 0);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	ck_assert_uint_eq(tcm->tcm_parent, TC_H_CLSACT);
	ck_assert_uint_eq(tcm->tcm_handle, TC_H_MAKE(TC_H_CLSACT, 0));
	parse_msg(nlh, sizeof(*tcm), tb);
	assert_str(tb[TCA_KIND], "clsact");
	ck_assert_int_eq(netsetup_build_root_del(buf, 6), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_DELQDISC);
	ck_assert_uint_eq(tcm->tcm_parent, TC_H_ROOT);
	ck_assert_int_eq(netsetup_build_filter_del(buf, 6, NETSETUP_PRIO_SHAPE), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_DELTFILTER);
	ck_assert_uint_eq(TC_H_MAJ(tcm->tcm_info) >> 16, NETSETUP_PRIO_SHAPE);
	ck_assert_uint_eq(tcm->tcm_handle, 0); /* the whole priority */
}
END_TEST

/* One dump of every link's 64-bit counters and nothing else: no attribute, no other group. */
START_TEST(test_link_stats_dump)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct if_stats_msg *ifsm;

	memset(buf, 0xaa, sizeof(buf));
	ck_assert_int_eq(netsetup_build_link_stats_dump(buf), 0);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_GETSTATS);
	ck_assert_uint_eq(nlh->nlmsg_len, NLMSG_LENGTH(sizeof(*ifsm)));
	ifsm = mnl_nlmsg_get_payload(nlh);
	ck_assert_uint_eq(ifsm->family, AF_UNSPEC);
	ck_assert_uint_eq(ifsm->ifindex, 0); /* every link */
	ck_assert_uint_eq(ifsm->filter_mask, IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64));
	ck_assert_uint_eq(ifsm->pad1, 0);
	ck_assert_uint_eq(ifsm->pad2, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netsetup-msg");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_veth);
	tcase_add_test(tc, test_veth_bad);
	tcase_add_test(tc, test_addr_v4_bytes);
	tcase_add_test(tc, test_addr_v6);
	tcase_add_test(tc, test_route);
	tcase_add_test(tc, test_route_lookup);
	tcase_add_test(tc, test_neigh_proxy);
	tcase_add_test(tc, test_bridge);
	tcase_add_test(tc, test_link_ops);
	tcase_add_test(tc, test_tbf);
	tcase_add_test(tc, test_tbf_params);
	tcase_add_test(tc, test_bpf_filter);
	tcase_add_test(tc, test_redirect);
	tcase_add_test(tc, test_qdisc_misc);
	tcase_add_test(tc, test_link_stats_dump);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
