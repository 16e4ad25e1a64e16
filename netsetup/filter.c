/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Anti-spoofing on the node-side veth: one classic BPF program, run by cls_bpf in
 * direct-action mode on the veth's clsact ingress, i.e. on every frame the VPS sends, before
 * the bridge sees it. It ends in "pass" (TC_ACT_UNSPEC: on to the shaping filter) for allowed
 * frames and "drop" (TC_ACT_SHOT) for everything else.
 *
 * Why this and not nftables or tc flower: it is all rtnetlink, so libmnl is the only library
 * (no libnftnl), and it needs only cls_bpf, not cls_flower/act_gact, which some kernels
 * (this project's CI host among them) do not have. Classic BPF needs no bpf() syscall.
 *
 * Every load is preceded by a length check: a classic BPF load past the end of the packet
 * ends the program with 0, which tc reads as TC_ACT_OK (accept, and skip the shaper).
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>

#include "msg.h"
#include "netsetup.h"
#include "nl.h"

#define LABEL_REFS (2 * NETSETUP_MAX_ADDRS + 16)

struct prog {
	struct sock_filter *insn;
	size_t n, cap;
	int error;
};

enum ref_kind { REF_JA, REF_JT, REF_JF };

/* A forward jump target: jumps to it are patched when it is bound. */
struct label {
	size_t at[LABEL_REFS];
	enum ref_kind kind[LABEL_REFS];
	size_t n;
};

static size_t emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->n < p->cap)
		p->insn[p->n] = (struct sock_filter){code, jt, jf, k};
	return p->n++;
}

static void ref(struct prog *p, struct label *l, size_t at, enum ref_kind kind)
{
	if (l->n == LABEL_REFS) {
		p->error = -E2BIG;
		return;
	}
	l->at[l->n] = at;
	l->kind[l->n++] = kind;
}

static void jump_to(struct prog *p, struct label *l)
{
	ref(p, l, emit(p, BPF_JMP | BPF_JA, 0, 0, 0), REF_JA);
}

static void label_bind(struct prog *p, struct label *l)
{
	for (size_t i = 0; i < l->n; i++) {
		size_t off = p->n - l->at[i] - 1;
		struct sock_filter *f = l->at[i] < p->cap ? &p->insn[l->at[i]] : NULL;

		if (l->kind[i] != REF_JA && off > UINT8_MAX)
			p->error = -E2BIG; /* conditional jumps reach 255 instructions */
		if (!f)
			continue;
		if (l->kind[i] == REF_JA)
			f->k = (uint32_t)off;
		else if (l->kind[i] == REF_JT)
			f->jt = (uint8_t)off;
		else
			f->jf = (uint8_t)off;
	}
	l->n = 0;
}

static void ret(struct prog *p, uint32_t verdict)
{
	emit(p, BPF_RET | BPF_K, 0, 0, verdict);
}

/* A == v or drop. */
static void require_eq(struct prog *p, uint32_t v)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, v);
	ret(p, NETSETUP_BPF_DROP);
}

static void load(struct prog *p, uint16_t size, uint16_t mode, uint32_t off)
{
	emit(p, BPF_LD | size | mode, 0, 0, off);
}

/* Drop unless the frame has at least n bytes. */
static void require_len(struct prog *p, uint32_t n)
{
	emit(p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 1, 0, n);
	ret(p, NETSETUP_BPF_DROP);
}

/* Drop unless the frame has n bytes past X (the layer-4 offset, saved in M[0]). */
static void require_len_x(struct prog *p, uint32_t n)
{
	emit(p, BPF_MISC | BPF_TXA, 0, 0, 0);
	emit(p, BPF_ALU | BPF_ADD | BPF_K, 0, 0, n);
	emit(p, BPF_MISC | BPF_TAX, 0, 0, 0);
	emit(p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	emit(p, BPF_JMP | BPF_JGE | BPF_X, 1, 0, 0);
	ret(p, NETSETUP_BPF_DROP);
	emit(p, BPF_LDX | BPF_MEM, 0, 0, 0);
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The 6 bytes at off (mode BPF_ABS or BPF_IND) must be mac. */
static void require_mac(struct prog *p, uint16_t mode, uint32_t off, const uint8_t *mac)
{
	load(p, BPF_W, mode, off);
	require_eq(p, be32(mac));
	load(p, BPF_H, mode, off + 4);
	require_eq(p, (uint32_t)mac[4] << 8 | mac[5]);
}

/* If the 16 bytes at off equal a, run the single instruction emitted by the caller next. */
static void if_addr16(struct prog *p, uint16_t mode, uint32_t off, const uint8_t *a)
{
	for (int w = 0; w < 4; w++) {
		load(p, BPF_W, mode, off + 4 * (uint32_t)w);
		/* on mismatch skip the rest of this block: 2 per word left, plus the action */
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(2 * (3 - w) + 1), be32(a + 4 * w));
	}
}

struct own {
	const struct netsetup_addr *v4[NETSETUP_MAX_ADDRS];
	const struct netsetup_addr *v6[NETSETUP_MAX_ADDRS + 1]; /* + the link-local */
	size_t n4, n6;
	struct netsetup_addr ll;
	const uint8_t *mac;
};

static int own_init(struct own *o, const uint8_t *mac, const struct netsetup_addr *a, size_t n)
{
	memset(o, 0, sizeof(*o));
	o->mac = mac;
	netsetup_mac_to_link_local(mac, &o->ll);
	o->v6[o->n6++] = &o->ll;
	for (size_t i = 0; i < n; i++) {
		if (a[i].family == AF_INET && o->n4 < NETSETUP_MAX_ADDRS)
			o->v4[o->n4++] = &a[i];
		else if (a[i].family == AF_INET6 && o->n6 <= NETSETUP_MAX_ADDRS)
			o->v6[o->n6++] = &a[i];
		else
			return a[i].family == AF_INET || a[i].family == AF_INET6 ? -E2BIG : -EINVAL;
	}
	return 0;
}

/* Ethernet: no VLAN tag, our source MAC, and only ARP, IPv4 and IPv6. */
static void gen_ether(struct prog *p, const struct own *o, struct label *arp, struct label *ip4,
                      struct label *ip6)
{
	require_len(p, ETH_HLEN);
	load(p, BPF_W, BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT));
	require_eq(p, 0);
	require_mac(p, BPF_ABS, ETH_ALEN, o->mac);
	load(p, BPF_H, BPF_ABS, 2 * ETH_ALEN);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, ETH_P_ARP);
	jump_to(p, arp);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, ETH_P_IP);
	jump_to(p, ip4);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, ETH_P_IPV6);
	jump_to(p, ip6);
	ret(p, NETSETUP_BPF_DROP);
}

/* A passes if it is one of our IPv4 addresses. */
static void pass_if_v4(struct prog *p, const struct own *o)
{
	for (size_t i = 0; i < o->n4; i++) {
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, be32(o->v4[i]->bytes));
		ret(p, NETSETUP_BPF_PASS);
	}
	ret(p, NETSETUP_BPF_DROP);
}

/* ARP over Ethernet for IPv4 whose sender is our MAC and one of our addresses (or 0.0.0.0,
 * an address probe), so a VPS cannot poison neighbour tables. */
static void gen_arp(struct prog *p, const struct own *o)
{
	require_len(p, ETH_HLEN + 28);
	load(p, BPF_H, BPF_ABS, ETH_HLEN);
	require_eq(p, 1); /* hardware type Ethernet */
	load(p, BPF_H, BPF_ABS, ETH_HLEN + 2);
	require_eq(p, ETH_P_IP);
	load(p, BPF_H, BPF_ABS, ETH_HLEN + 4);
	require_eq(p, ETH_ALEN << 8 | 4); /* address lengths 6 and 4: fixed offsets below */
	require_mac(p, BPF_ABS, ETH_HLEN + 8, o->mac);
	load(p, BPF_W, BPF_ABS, ETH_HLEN + 14);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
	ret(p, NETSETUP_BPF_PASS);
	pass_if_v4(p, o);
}

/* IPv4: no DHCP server replies (UDP source port 67), source one of ours. */
static void gen_ipv4(struct prog *p, const struct own *o)
{
	struct label src = {0};

	require_len(p, ETH_HLEN + 20);
	load(p, BPF_B, BPF_ABS, ETH_HLEN + 9);
	ref(p, &src, emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, IPPROTO_UDP), REF_JF);
	load(p, BPF_H, BPF_ABS, ETH_HLEN + 6);
	/* a later fragment carries no UDP header */
	ref(p, &src, emit(p, BPF_JMP | BPF_JSET | BPF_K, 0, 0, 0x1fff), REF_JT);
	emit(p, BPF_LDX | BPF_B | BPF_MSH, 0, 0, ETH_HLEN);
	emit(p, BPF_STX, 0, 0, 0); /* M[0] = X, the UDP header offset past Ethernet */
	require_len_x(p, ETH_HLEN + 2);
	load(p, BPF_H, BPF_IND, ETH_HLEN);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 67);
	ret(p, NETSETUP_BPF_DROP);
	label_bind(p, &src);
	load(p, BPF_W, BPF_ABS, ETH_HLEN + 12);
	pass_if_v4(p, o);
}

#define IP6_OFF_NEXT (ETH_HLEN + 6)
#define IP6_OFF_SRC  (ETH_HLEN + 8)
#define IP6_L4       (ETH_HLEN + 40)

/* Leaves the next header in A and the offset of the layer-4 header in X and M[0], past one
 * optional hop-by-hop header (MLD reports carry one); routing and destination options
 * headers, which could hide an RA from the checks, are dropped. */
static void ipv6_next_header(struct prog *p)
{
	static const uint32_t refused[] = {IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS};
	struct label l4 = {0};

	require_len(p, IP6_L4);
	emit(p, BPF_LDX | BPF_IMM, 0, 0, IP6_L4);
	emit(p, BPF_STX, 0, 0, 0);
	load(p, BPF_B, BPF_ABS, IP6_OFF_NEXT);
	ref(p, &l4, emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0 /* IPPROTO_HOPOPTS */), REF_JF);
	require_len(p, IP6_L4 + 8);
	load(p, BPF_B, BPF_ABS, IP6_L4 + 1); /* length in 8-byte units, not counting the first */
	emit(p, BPF_ALU | BPF_ADD | BPF_K, 0, 0, 1);
	emit(p, BPF_ALU | BPF_LSH | BPF_K, 0, 0, 3);
	emit(p, BPF_ALU | BPF_ADD | BPF_K, 0, 0, IP6_L4);
	emit(p, BPF_MISC | BPF_TAX, 0, 0, 0);
	emit(p, BPF_STX, 0, 0, 0);
	load(p, BPF_B, BPF_ABS, IP6_L4);
	label_bind(p, &l4);
	for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, refused[i]);
		ret(p, NETSETUP_BPF_DROP);
	}
}

/* ICMPv6: no router advertisements or redirects; a neighbour advertisement only for one of
 * our addresses; NS and NA go on to the link-layer option check. */
static void gen_icmp6(struct prog *p, const struct own *o, struct label *ndopt, struct label *src)
{
	struct label na = {0};

	require_len_x(p, 1);
	load(p, BPF_B, BPF_IND, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 134); /* router advertisement */
	ret(p, NETSETUP_BPF_DROP);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 137); /* redirect */
	ret(p, NETSETUP_BPF_DROP);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 135); /* neighbour solicitation */
	jump_to(p, ndopt);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 136); /* neighbour advertisement */
	jump_to(p, &na);
	jump_to(p, src);
	label_bind(p, &na);
	require_len_x(p, 24);
	for (size_t i = 0; i < o->n6; i++) {
		if_addr16(p, BPF_IND, 8, o->v6[i]->bytes); /* the target address */
		jump_to(p, ndopt);
	}
	ret(p, NETSETUP_BPF_DROP);
}

/* NS/NA: a source or target link-layer address option in first place must be our MAC. */
static void gen_ndopt(struct prog *p, const struct own *o, struct label *src)
{
	emit(p, BPF_MISC | BPF_TXA, 0, 0, 0);
	emit(p, BPF_ALU | BPF_ADD | BPF_K, 0, 0, 32);
	emit(p, BPF_MISC | BPF_TAX, 0, 0, 0);
	emit(p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	emit(p, BPF_JMP | BPF_JGE | BPF_X, 1, 0, 0);
	jump_to(p, src); /* no room for an option */
	emit(p, BPF_LDX | BPF_MEM, 0, 0, 0);
	load(p, BPF_B, BPF_IND, 24);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1); /* source link-layer address */
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2); /* target link-layer address */
	jump_to(p, src);
	require_mac(p, BPF_IND, 26, o->mac);
}

static void gen_ipv6(struct prog *p, const struct own *o)
{
	static const uint8_t unspecified[16];
	struct label icmp = {0}, udp = {0}, ndopt = {0}, src = {0};

	ipv6_next_header(p);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, IPPROTO_ICMPV6);
	jump_to(p, &icmp);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, IPPROTO_UDP);
	jump_to(p, &udp);
	jump_to(p, &src);
	label_bind(p, &udp);
	require_len_x(p, 2);
	load(p, BPF_H, BPF_IND, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 547); /* DHCPv6 server */
	ret(p, NETSETUP_BPF_DROP);
	jump_to(p, &src);
	label_bind(p, &icmp);
	gen_icmp6(p, o, &ndopt, &src);
	label_bind(p, &ndopt);
	gen_ndopt(p, o, &src);
	label_bind(p, &src);
	/* source: ours, our link-local, or :: (duplicate address detection, MLD) */
	for (size_t i = 0; i < o->n6; i++) {
		if_addr16(p, BPF_ABS, IP6_OFF_SRC, o->v6[i]->bytes);
		ret(p, NETSETUP_BPF_PASS);
	}
	if_addr16(p, BPF_ABS, IP6_OFF_SRC, unspecified);
	ret(p, NETSETUP_BPF_PASS);
	ret(p, NETSETUP_BPF_DROP);
}

int netsetup_antispoof_program(const uint8_t mac[NETSETUP_MAC_LEN],
                               const struct netsetup_addr *addrs, size_t n,
                               struct sock_filter *prog, size_t cap, size_t *ret_len)
{
	struct prog p = {prog, 0, cap, 0};
	struct label arp = {0}, ip4 = {0}, ip6 = {0};
	struct own o;
	int r = own_init(&o, mac, addrs, n);

	if (r < 0)
		return r;
	gen_ether(&p, &o, &arp, &ip4, &ip6);
	label_bind(&p, &arp);
	gen_arp(&p, &o);
	label_bind(&p, &ip4);
	gen_ipv4(&p, &o);
	label_bind(&p, &ip6);
	gen_ipv6(&p, &o);
	if (p.error < 0)
		return p.error;
	if (p.n > cap || p.n > BPF_MAXINSNS)
		return -E2BIG;
	*ret_len = p.n;
	return 0;
}

/* --- attaching it --------------------------------------------------------------------- */

int netsetup_antispoof_set(const char *host_ifname, const uint8_t mac[NETSETUP_MAC_LEN],
                           const struct netsetup_addr *addrs, size_t n)
{
	_cleanup_nl_ struct nl_sock s = {0};
	_cleanup_free_ struct sock_filter *prog = calloc(BPF_MAXINSNS, sizeof(*prog));
	char buf[NL_MSG_SIZE];
	size_t len;
	int r, idx;

	if (!prog)
		return -ENOMEM;
	r = netsetup_antispoof_program(mac, addrs, n, prog, BPF_MAXINSNS, &len);
	if (r < 0)
		return r;
	r = nl_open(-1, &s);
	if (r < 0)
		return r;
	idx = nl_ifindex(&s, host_ifname);
	if (idx < 0)
		return idx;
	r = nl_clsact_ensure(&s, idx);
	if (r < 0)
		return r;
	r = netsetup_build_bpf_filter(buf, idx, NETSETUP_PRIO_ANTISPOOF, prog, len);
	return r < 0 ? r : nl_talk(&s, (struct nlmsghdr *)buf);
}

int netsetup_antispoof_clear(const char *host_ifname)
{
	_cleanup_nl_ struct nl_sock s = {0};
	int r = nl_open(-1, &s), idx;

	if (r < 0)
		return r;
	idx = nl_ifindex(&s, host_ifname);
	if (idx < 0)
		return idx;
	return nl_filter_del(&s, idx, NETSETUP_PRIO_ANTISPOOF);
}

static int find_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	bool *found = data;

	if (TC_H_MAJ(tcm->tcm_info) >> 16 == NETSETUP_PRIO_ANTISPOOF)
		*found = true;
	return MNL_CB_OK;
}

int netsetup_antispoof_get(const char *host_ifname)
{
	_cleanup_nl_ struct nl_sock s = {0};
	char buf[NL_MSG_SIZE];
	bool found = false;
	int r = nl_open(-1, &s), idx;

	if (r < 0)
		return r;
	idx = nl_ifindex(&s, host_ifname);
	if (idx < 0)
		return idx;
	netsetup_build_filter_dump(buf, idx);
	r = nl_dump(&s, (struct nlmsghdr *)buf, find_cb, &found);
	/* EINVAL: no clsact qdisc, hence no filter */
	if (r == -EINVAL)
		return 0;
	return r < 0 ? r : found;
}
