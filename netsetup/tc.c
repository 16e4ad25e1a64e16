/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bandwidth caps on the node-side veth, both directions, out of the VPS's reach:
 *   to the VPS   (veth egress):  a root tbf;
 *   from the VPS (veth ingress): a match-all filter on the clsact ingress redirects (mirred)
 *                                to an IFB device whose root tbf shapes it, after which the
 *                                IFB hands the packets back to the veth's receive path.
 * Shaping the ingress on an IFB instead of policing it keeps TCP close to the rate (a policer
 * drops bursts), and needs neither act_police nor cls_matchall, which not every kernel has;
 * mirred, ifb, tbf and cls_bpf (classic BPF) are what we rely on.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "msg.h"
#include "netsetup.h"
#include "nl.h"

#define NSEC_PER_SEC        1000000000ULL
#define PSCHED_NS_PER_TICK  64    /* PSCHED_SHIFT 6 in the kernel */
#define TBF_MIN_BURST       65536 /* one GSO super-packet, so tbf need not segment it */
#define TBF_BURST_DIVISOR   100   /* 10 ms worth of bytes at high rates */
#define TBF_LATENCY_DIVISOR 20    /* up to 50 ms of queue behind the bucket */
#define INGRESS_PARENT      TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define TBF_HANDLE          TC_H_MAKE(1U << 16, 0)

/* --- rates ---------------------------------------------------------------------------- */

static const struct {
	const char *unit;
	uint64_t mult; /* bits per second per unit */
} rate_units[] = {
	{"bit", 1},
	{"kbit", 1000ULL},
	{"mbit", 1000000ULL},
	{"gbit", NSEC_PER_SEC},
	{"tbit", 1000000000000ULL},
	{"bps", 8},
	{"kbps", 8000ULL},
	{"mbps", 8000000ULL},
	{"gbps", 8000000000ULL},
};

/* "D[.FFF]" in thousandths; returns the end of the number in *ret_end. */
static int parse_milli(const char *s, const char **ret_end, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned places = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX / 1000 - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	v *= 1000;
	if (*s == '.') {
		uint64_t scale = 100;

		if (!isdigit((unsigned char)*++s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++, places++, scale /= 10) {
			if (places == 3)
				return -EINVAL;
			v += (uint64_t)(*s - '0') * scale;
		}
	}
	*ret_end = s;
	*ret = v;
	return 0;
}

int netsetup_rate_parse(const char *s, uint64_t *ret_bps)
{
	const char *unit;
	uint64_t milli;
	int r;

	if (!s)
		return -EINVAL;
	r = parse_milli(s, &unit, &milli);
	if (r < 0)
		return r;
	if (*unit == '\0') {
		if (milli != 0)
			return -EINVAL; /* bits or bytes? tc reads bytes, people mean bits: ask */
		*ret_bps = 0;           /* "0": no cap */
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(rate_units); i++) {
		if (strcasecmp(unit, rate_units[i].unit) != 0)
			continue;
		if (milli > UINT64_MAX / rate_units[i].mult)
			return -ERANGE;
		milli *= rate_units[i].mult;
		if (milli % 1000 != 0)
			return -EINVAL; /* fractions of a bit per second */
		if (milli / 1000 != 0 && milli / 1000 < NETSETUP_RATE_MIN)
			return -ERANGE;
		*ret_bps = milli / 1000;
		return 0;
	}
	return -EINVAL;
}

const char *netsetup_rate_format(uint64_t bps, char *buf, size_t len)
{
	static const char *const units[] = {"tbit", "gbit", "mbit", "kbit"};
	uint64_t mult = 1000000000000ULL;

	for (size_t i = 0; i < ELEMENTSOF(units); i++, mult /= 1000)
		if (bps >= mult && bps % mult == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", bps / mult, units[i]);
			return buf;
		}
	snprintf(buf, len, "%" PRIu64 "bit", bps);
	return buf;
}

/* --- messages ------------------------------------------------------------------------- */

static struct tcmsg *put_tc_header(void *buf, uint16_t type, uint16_t flags, int ifindex,
                                   uint32_t handle, uint32_t parent, uint32_t info)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	tcm->tcm_info = info;
	return tcm;
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int netsetup_tbf_params(uint64_t rate_bps, struct netsetup_tbf *ret)
{
	uint64_t burst;

	if (rate_bps < NETSETUP_RATE_MIN)
		return -ERANGE;
	ret->rate_Bps = rate_bps / 8;
	burst = ret->rate_Bps / TBF_BURST_DIVISOR;
	if (burst < TBF_MIN_BURST)
		burst = TBF_MIN_BURST;
	ret->burst = clamp32(burst);
	ret->limit = clamp32(ret->rate_Bps / TBF_LATENCY_DIVISOR + ret->burst);
	ret->buffer_ticks =
		clamp32((uint64_t)ret->burst * NSEC_PER_SEC / ret->rate_Bps / PSCHED_NS_PER_TICK);
	return 0;
}

static void put_tbf_options(struct nlmsghdr *nlh, const struct netsetup_tbf *p)
{
	struct tc_tbf_qopt q = {0};
	struct nlattr *opts;

	/* linklayer ethernet: the kernel then needs no rate table (TCA_TBF_RTAB). */
	q.rate.linklayer = TC_LINKLAYER_ETHERNET;
	q.rate.rate = clamp32(p->rate_Bps);
	q.limit = p->limit;
	q.buffer = p->buffer_ticks;
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	/* The burst in bytes: exact, unlike buffer, which the kernel would convert back. */
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, p->burst);
	if (p->rate_Bps > UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, p->rate_Bps);
	mnl_attr_nest_end(nlh, opts);
}

int netsetup_build_tbf(void *buf, int ifindex, uint64_t rate_bps)
{
	struct netsetup_tbf p;
	int r = netsetup_tbf_params(rate_bps, &p);

	if (r < 0)
		return r;
	if (ifindex <= 0)
		return -EINVAL;
	/* CREATE|REPLACE on handle 1: a running tbf is changed in place (live), without a gap. */
	put_tc_header(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, TBF_HANDLE,
	              TC_H_ROOT, 0);
	mnl_attr_put_strz(buf, TCA_KIND, "tbf");
	put_tbf_options(buf, &p);
	return 0;
}

int netsetup_build_root_del(void *buf, int ifindex)
{
	put_tc_header(buf, RTM_DELQDISC, 0, ifindex, 0, TC_H_ROOT, 0);
	return ifindex > 0 ? 0 : -EINVAL;
}

int netsetup_build_clsact(void *buf, int ifindex)
{
	put_tc_header(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
	              TC_H_MAKE(TC_H_CLSACT, 0), TC_H_CLSACT, 0);
	mnl_attr_put_strz(buf, TCA_KIND, "clsact");
	return ifindex > 0 ? 0 : -EINVAL;
}

int netsetup_build_qdisc_dump(void *buf, int ifindex)
{
	put_tc_header(buf, RTM_GETQDISC, 0, ifindex, 0, 0, 0);
	return 0;
}

static uint32_t filter_info(uint16_t prio)
{
	return TC_H_MAKE((uint32_t)prio << 16, htons(ETH_P_ALL));
}

static void put_bpf_ops(struct nlmsghdr *nlh, const struct sock_filter *prog, size_t len)
{
	mnl_attr_put_u16(nlh, TCA_BPF_OPS_LEN, (uint16_t)len);
	mnl_attr_put(nlh, TCA_BPF_OPS, len * sizeof(*prog), prog);
}

int netsetup_build_bpf_filter(void *buf, int ifindex, uint16_t prio, const struct sock_filter *prog,
                              size_t len)
{
	struct nlattr *opts;

	if (ifindex <= 0 || len == 0 || len > BPF_MAXINSNS ||
	    len * sizeof(*prog) > NL_MSG_SIZE - 256)
		return -EINVAL;
	/* CREATE without EXCL on a fixed handle: a new program replaces the old atomically. */
	put_tc_header(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_REPLACE, ifindex,
	              NETSETUP_FILTER_HANDLE, INGRESS_PARENT, filter_info(prio));
	mnl_attr_put_strz(buf, TCA_KIND, "bpf");
	opts = mnl_attr_nest_start(buf, TCA_OPTIONS);
	put_bpf_ops(buf, prog, len);
	mnl_attr_put_u32(buf, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	mnl_attr_nest_end(buf, opts);
	return 0;
}

static void put_mirred(struct nlmsghdr *nlh, int ifb_ifindex)
{
	struct tc_mirred m = {0};
	struct nlattr *act, *opts;

	m.action = TC_ACT_STOLEN;
	m.eaction = TCA_EGRESS_REDIR;
	m.ifindex = (uint32_t)ifb_ifindex;
	act = mnl_attr_nest_start(nlh, 1); /* the first (and only) action */
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
	opts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
	mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof(m), &m);
	mnl_attr_nest_end(nlh, opts);
	mnl_attr_nest_end(nlh, act);
}

int netsetup_build_redirect(void *buf, int ifindex, int ifb_ifindex)
{
	/* Classic BPF "match everything": -1 selects the filter's default class and actions. */
	static const struct sock_filter match_all[] = {BPF_STMT(BPF_RET | BPF_K, 0xffffffffU)};
	struct nlattr *opts, *acts;

	if (ifindex <= 0 || ifb_ifindex <= 0)
		return -EINVAL;
	put_tc_header(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_REPLACE, ifindex,
	              NETSETUP_FILTER_HANDLE, INGRESS_PARENT, filter_info(NETSETUP_PRIO_SHAPE));
	mnl_attr_put_strz(buf, TCA_KIND, "bpf");
	opts = mnl_attr_nest_start(buf, TCA_OPTIONS);
	put_bpf_ops(buf, match_all, ELEMENTSOF(match_all));
	acts = mnl_attr_nest_start(buf, TCA_BPF_ACT);
	put_mirred(buf, ifb_ifindex);
	mnl_attr_nest_end(buf, acts);
	mnl_attr_nest_end(buf, opts);
	return 0;
}

int netsetup_build_filter_del(void *buf, int ifindex, uint16_t prio)
{
	put_tc_header(buf, RTM_DELTFILTER, 0, ifindex, 0, INGRESS_PARENT, filter_info(prio));
	return ifindex > 0 ? 0 : -EINVAL;
}

int netsetup_build_filter_dump(void *buf, int ifindex)
{
	put_tc_header(buf, RTM_GETTFILTER, 0, ifindex, 0, INGRESS_PARENT, 0);
	return ifindex > 0 ? 0 : -EINVAL;
}

int netsetup_build_ifb(void *buf, const char *name)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info;

	if (netsetup_ifname_check(name) < 0)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "ifb");
	mnl_attr_nest_end(nlh, info);
	return 0;
}

/* --- operations ----------------------------------------------------------------------- */

int netsetup_ifb_name(const char *host_ifname, char ret[NETSETUP_IFNAMSIZ])
{
	const char *base = host_ifname;
	int n;

	if (netsetup_ifname_check(host_ifname) < 0)
		return -EINVAL;
	/* Named after the veth so that teardown finds it after the veth is gone. */
	if (strncmp(base, "veth-", 5) == 0)
		base += 5;
	n = snprintf(ret, IFNAMSIZ, "ifb-%s", base);
	return n > 0 && n < IFNAMSIZ ? 0 : -ENAMETOOLONG;
}

static int ignore(int r, int e1, int e2)
{
	return r == e1 || r == e2 ? 0 : r;
}

int nl_clsact_ensure(struct nl_sock *s, int ifindex)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_clsact(buf, ifindex);

	return r < 0 ? r : ignore(nl_talk(s, (struct nlmsghdr *)buf), -EEXIST, 0);
}

int nl_filter_del(struct nl_sock *s, int ifindex, uint16_t prio)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_filter_del(buf, ifindex, prio);

	/* ENOENT: no such filter; EINVAL: no clsact at all. Either way nothing to remove. */
	return r < 0 ? r : ignore(nl_talk(s, (struct nlmsghdr *)buf), -ENOENT, -EINVAL);
}

static int caps_remove(struct nl_sock *s, int ifindex, const char *ifb)
{
	char buf[NL_MSG_SIZE];
	int r, k;

	netsetup_build_root_del(buf, ifindex);
	r = ignore(nl_talk(s, (struct nlmsghdr *)buf), -ENOENT, -EINVAL);
	k = nl_filter_del(s, ifindex, NETSETUP_PRIO_SHAPE);
	if (r == 0)
		r = k;
	netsetup_build_link_del(buf, ifb);
	k = ignore(nl_talk(s, (struct nlmsghdr *)buf), -ENODEV, 0);
	return r < 0 ? r : k;
}

static int tbf_set(struct nl_sock *s, int ifindex, uint64_t rate_bps)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_tbf(buf, ifindex, rate_bps);

	return r < 0 ? r : nl_talk(s, (struct nlmsghdr *)buf);
}

/* Returns the IFB's ifindex, creating it if needed; *ret_created tells which. */
static int ifb_ensure(struct nl_sock *s, const char *ifb, bool *ret_created)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_ifb(buf, ifb);

	if (r < 0)
		return r;
	r = nl_talk(s, (struct nlmsghdr *)buf);
	*ret_created = r == 0;
	if (r == -EEXIST)
		r = nl_link_up(s, ifb);
	return r < 0 ? r : nl_ifindex(s, ifb);
}

static int caps_apply(struct nl_sock *s, int ifindex, const char *ifb, uint64_t rate_bps,
                      bool *ret_created)
{
	char buf[NL_MSG_SIZE];
	int r, ifb_idx;

	r = tbf_set(s, ifindex, rate_bps);
	if (r < 0)
		return r;
	ifb_idx = ifb_ensure(s, ifb, ret_created);
	if (ifb_idx < 0)
		return ifb_idx;
	r = tbf_set(s, ifb_idx, rate_bps);
	if (r < 0)
		return r;
	r = nl_clsact_ensure(s, ifindex);
	if (r < 0)
		return r;
	netsetup_build_redirect(buf, ifindex, ifb_idx);
	return nl_talk(s, (struct nlmsghdr *)buf);
}

int netsetup_bandwidth_set(const char *host_ifname, uint64_t rate_bps)
{
	_cleanup_nl_ struct nl_sock s = {0};
	char ifb[IFNAMSIZ];
	bool created = false;
	int r, idx;

	if (rate_bps != 0 && rate_bps < NETSETUP_RATE_MIN)
		return -ERANGE;
	r = netsetup_ifb_name(host_ifname, ifb);
	if (r < 0)
		return r;
	r = nl_open(-1, &s);
	if (r < 0)
		return r;
	idx = nl_ifindex(&s, host_ifname);
	if (idx < 0)
		return idx;
	if (rate_bps == 0)
		return caps_remove(&s, idx, ifb);
	r = caps_apply(&s, idx, ifb, rate_bps, &created);
	/* A first cap that failed half-way is removed; a live change that failed keeps the
	 * cap in force (the kernel refused only the new rate). */
	if (r < 0 && created)
		(void)caps_remove(&s, idx, ifb);
	if (r < 0)
		log_debug_errno(r, "Setting bandwidth on '%s' failed: %m", host_ifname);
	return r;
}

struct tbf_query {
	int ifindex;
	uint64_t rate_Bps;
};

static uint64_t tbf_rate(const struct nlattr *options)
{
	const struct nlattr *tb[TCA_TBF_MAX + 1];
	struct tc_tbf_qopt q;

	if (nl_parse_nested(options, tb, TCA_TBF_MAX) < 0 || !tb[TCA_TBF_PARMS] ||
	    mnl_attr_get_payload_len(tb[TCA_TBF_PARMS]) < sizeof(q))
		return 0;
	if (tb[TCA_TBF_RATE64] && mnl_attr_validate(tb[TCA_TBF_RATE64], MNL_TYPE_U64) == 0)
		return mnl_attr_get_u64(tb[TCA_TBF_RATE64]);
	memcpy(&q, mnl_attr_get_payload(tb[TCA_TBF_PARMS]), sizeof(q));
	return q.rate.rate;
}

static int qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCA_MAX + 1];
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct tbf_query *q = data;

	if (tcm->tcm_ifindex != q->ifindex || tcm->tcm_parent != TC_H_ROOT)
		return MNL_CB_OK;
	if (nl_parse_attrs(nlh, sizeof(*tcm), tb, TCA_MAX) < 0 || !tb[TCA_KIND] ||
	    mnl_attr_validate(tb[TCA_KIND], MNL_TYPE_STRING) < 0 || !tb[TCA_OPTIONS] ||
	    strcmp(mnl_attr_get_str(tb[TCA_KIND]), "tbf") != 0)
		return MNL_CB_OK;
	q->rate_Bps = tbf_rate(tb[TCA_OPTIONS]);
	return MNL_CB_OK;
}

int netsetup_bandwidth_get(const char *host_ifname, uint64_t *ret_bps)
{
	_cleanup_nl_ struct nl_sock s = {0};
	struct tbf_query q = {0};
	char buf[NL_MSG_SIZE];
	int r = nl_open(-1, &s);

	if (r < 0)
		return r;
	q.ifindex = nl_ifindex(&s, host_ifname);
	if (q.ifindex < 0)
		return q.ifindex;
	netsetup_build_qdisc_dump(buf, q.ifindex);
	r = nl_dump(&s, (struct nlmsghdr *)buf, qdisc_cb, &q);
	if (r < 0)
		return r;
	*ret_bps = q.rate_Bps * 8;
	return 0;
}
