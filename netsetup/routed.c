/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Routed mode's node-side pieces: a host route per VPS address over its veth, the proxy
 * entries (ip neigh add proxy) by which the node answers ARP/NDP for it on the uplink, and the
 * per-interface sysctls routing needs. All rtnetlink, in the caller's namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "msg.h"
#include "netsetup.h"
#include "nl.h"

static size_t alen(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static unsigned full_prefix(int family)
{
	return (unsigned)alen(family) * 8;
}

int netsetup_build_route_host(void *buf, uint16_t type, int ifindex, const struct netsetup_addr *a)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!alen(a->family) || ifindex <= 0 || (type != RTM_NEWROUTE && type != RTM_DELROUTE))
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	/* REPLACE: a start re-applies over what a crashed run left */
	nlh->nlmsg_flags = type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)a->family;
	rtm->rtm_dst_len = (uint8_t)full_prefix(a->family);
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = NETSETUP_RTPROT;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen(a->family), a->bytes);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return 0;
}

int netsetup_build_neigh_proxy(void *buf, uint16_t type, int ifindex, const struct netsetup_addr *a)
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	if (!alen(a->family) || ifindex <= 0 ||
	    (type != RTM_NEWNEIGH && type != RTM_DELNEIGH && type != RTM_GETNEIGH))
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = type == RTM_NEWNEIGH ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (uint8_t)a->family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_flags = NTF_PROXY;
	/* a get is refused (EINVAL) with a state; its only attribute is NDA_DST */
	ndm->ndm_state = type == RTM_GETNEIGH ? 0 : NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, alen(a->family), a->bytes);
	return 0;
}

int netsetup_build_neigh_proxy_dump(void *buf, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_GETNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (uint8_t)family;
	ndm->ndm_flags = NTF_PROXY; /* the kernel then dumps the proxy table */
	return 0;
}

/* RTM_GETROUTE for a with RTM_F_FIB_MATCH: the kernel answers with the route a lookup of a
 * matches (its protocol, prefix length and device), one request whatever the table holds. */
int netsetup_build_route_lookup(void *buf, const struct netsetup_addr *a)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!alen(a->family))
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)a->family;
	rtm->rtm_dst_len = (uint8_t)full_prefix(a->family);
	rtm->rtm_flags = RTM_F_FIB_MATCH;
	mnl_attr_put(nlh, RTA_DST, alen(a->family), a->bytes);
	return 0;
}

struct owner_ctx {
	const struct netsetup_addr *a;
	int oif;
};

static int owner_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1];
	struct owner_ctx *c = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_protocol != NETSETUP_RTPROT ||
	    rtm->rtm_dst_len != full_prefix(c->a->family) ||
	    nl_parse_attrs(nlh, sizeof(*rtm), tb, RTA_MAX) < 0 || !tb[RTA_DST] ||
	    nl_attr_u32_or(tb[RTA_TABLE], rtm->rtm_table) != RT_TABLE_MAIN ||
	    mnl_attr_get_payload_len(tb[RTA_DST]) != alen(c->a->family) ||
	    memcmp(mnl_attr_get_payload(tb[RTA_DST]), c->a->bytes, alen(c->a->family)) != 0)
		return MNL_CB_OK;
	c->oif = (int)nl_attr_u32_or(tb[RTA_OIF], 0);
	return MNL_CB_OK;
}

int netsetup_host_route_owner(const struct netsetup_addr *a)
{
	_cleanup_nl_ struct nl_sock s = {0};
	struct owner_ctx c = {a, 0};
	char buf[NL_MSG_SIZE];
	int r = nl_open(-1, &s);

	if (r < 0)
		return r;
	r = netsetup_build_route_lookup(buf, a);
	if (r < 0)
		return r;
	r = nl_request(&s, (struct nlmsghdr *)buf, owner_cb, &c);
	/* no route at all for a (no default either) */
	if (r == -ENETUNREACH || r == -EHOSTUNREACH)
		return 0;
	return r < 0 ? r : c.oif;
}

typedef int (*build_fn)(void *buf, uint16_t type, int ifindex, const struct netsetup_addr *a);

/* One request about a on the link ifname; cb (NULL: none) sees the kernel's answers. */
static int on_link(const char *ifname, build_fn build, uint16_t type, const struct netsetup_addr *a,
                   mnl_cb_t cb, void *data)
{
	_cleanup_nl_ struct nl_sock s = {0};
	char buf[NL_MSG_SIZE];
	int r = nl_open(-1, &s), idx;

	if (r < 0)
		return r;
	idx = nl_ifindex(&s, ifname);
	if (idx < 0)
		return idx;
	r = build(buf, type, idx, a);
	return r < 0 ? r : nl_request(&s, (struct nlmsghdr *)buf, cb, data);
}

int netsetup_host_route_add(const char *ifname, const struct netsetup_addr *a)
{
	return on_link(ifname, netsetup_build_route_host, RTM_NEWROUTE, a, NULL, NULL);
}

int netsetup_host_route_del(const char *ifname, const struct netsetup_addr *a)
{
	int r = on_link(ifname, netsetup_build_route_host, RTM_DELROUTE, a, NULL, NULL);

	return r == -ESRCH || r == -ENODEV ? 0 : r; /* gone already */
}

int netsetup_proxy_add(const char *ifname, const struct netsetup_addr *a)
{
	return on_link(ifname, netsetup_build_neigh_proxy, RTM_NEWNEIGH, a, NULL, NULL);
}

int netsetup_proxy_del(const char *ifname, const struct netsetup_addr *a)
{
	int r = on_link(ifname, netsetup_build_neigh_proxy, RTM_DELNEIGH, a, NULL, NULL);

	return r == -ENOENT || r == -ENODEV ? 0 : r;
}

static int proxy_found_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	bool *found = data;

	if (nlh->nlmsg_type == RTM_NEWNEIGH && (ndm->ndm_flags & NTF_PROXY))
		*found = true;
	return MNL_CB_OK;
}

int netsetup_proxy_has(const char *ifname, const struct netsetup_addr *a)
{
	bool found = false;
	int r = on_link(ifname, netsetup_build_neigh_proxy, RTM_GETNEIGH, a, proxy_found_cb,
	                &found);

	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : found;
}

struct proxy_ctx {
	netsetup_proxy_fn fn;
	void *userdata;
	int error;
};

static int proxy_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1];
	struct proxy_ctx *c = data;
	struct netsetup_addr a = {0};

	if (!(ndm->ndm_flags & NTF_PROXY) || !alen(ndm->ndm_family) ||
	    nl_parse_attrs(nlh, sizeof(*ndm), tb, NDA_MAX) < 0 || !tb[NDA_DST] ||
	    mnl_attr_get_payload_len(tb[NDA_DST]) != alen(ndm->ndm_family))
		return MNL_CB_OK;
	a.family = ndm->ndm_family;
	a.prefixlen = (uint8_t)full_prefix(a.family);
	memcpy(a.bytes, mnl_attr_get_payload(tb[NDA_DST]), alen(a.family));
	c->error = c->fn(ndm->ndm_ifindex, &a, c->userdata);
	return c->error < 0 ? MNL_CB_STOP : MNL_CB_OK;
}

int netsetup_proxy_foreach(netsetup_proxy_fn fn, void *userdata)
{
	static const int families[] = {AF_INET, AF_INET6};
	_cleanup_nl_ struct nl_sock s = {0};
	struct proxy_ctx c = {fn, userdata, 0};
	char buf[NL_MSG_SIZE];
	int r = nl_open(-1, &s);

	for (size_t i = 0; r >= 0 && i < 2 && c.error == 0; i++) {
		netsetup_build_neigh_proxy_dump(buf, families[i]);
		r = nl_dump(&s, (struct nlmsghdr *)buf, proxy_cb, &c);
	}
	return c.error < 0 ? c.error : r < 0 ? r : 0;
}

/* /proc/sys/net/ipv{4,6}/conf/IFNAME/KEY of the caller's network namespace. */
static int conf_path(int family, const char *ifname, const char *key, char *buf, size_t len)
{
	int n;

	if (strcmp(ifname, "all") != 0 && netsetup_ifname_check(ifname) < 0)
		return -EINVAL;
	if (strchr(key, '/') || strstr(key, ".."))
		return -EINVAL;
	n = snprintf(buf, len, "/proc/sys/net/%s/conf/%s/%s", family == AF_INET6 ? "ipv6" : "ipv4",
	             ifname, key);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int netsetup_if_sysctl_set(int family, const char *ifname, const char *key, const char *value)
{
	char path[128];
	_cleanup_close_ int fd = -EBADF;
	size_t n = strlen(value);
	int r = conf_path(family, ifname, key, path, sizeof(path));

	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (write(fd, value, n) != (ssize_t)n)
		return -errno;
	return 0;
}

int netsetup_if_sysctl_get(int family, const char *ifname, const char *key, long *ret)
{
	_cleanup_free_ char *text = NULL;
	char path[128];
	int r = conf_path(family, ifname, key, path, sizeof(path));

	if (r < 0)
		return r;
	r = read_file_at(AT_FDCWD, path, 64, &text, NULL);
	if (r < 0)
		return r;
	if (sscanf(text, "%ld", ret) != 1)
		return -EBADMSG;
	return 0;
}

void netsetup_routed_gateways(struct netsetup_addr *gw4, struct netsetup_addr *gw6)
{
	(void)netsetup_addr_parse(NETSETUP_ROUTED_GW4, gw4);
	(void)netsetup_addr_parse(NETSETUP_ROUTED_GW6, gw6);
}

/* The node end of a routed veth: the VPS's gateways as its own addresses (so it answers the
 * VPS's ARP/NDP for them), routing on, and one host route per VPS address. Needs the link up
 * (IPv4 refuses a route over a down link). */
int netsetup_routed_node_side(const char *host_ifname, const struct netsetup_addr *addrs, size_t n)
{
	struct netsetup_addr gw[2];
	int r;

	netsetup_routed_gateways(&gw[0], &gw[1]);
	gw[1].prefixlen = 64; /* fe80::1/64: link-local, like the kernel's own */
	for (size_t i = 0; i < 2; i++) {
		r = netsetup_addr_add(-1, host_ifname, &gw[i]);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	r = netsetup_if_sysctl_set(AF_INET, host_ifname, "forwarding", "1");
	if (r == 0)
		r = netsetup_if_sysctl_set(AF_INET6, host_ifname, "forwarding", "1");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = netsetup_host_route_add(host_ifname, &addrs[i]);
	return r;
}
