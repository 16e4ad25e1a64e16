/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Routes: the VPS's default routes via the node's bridge address, and listing. */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "msg.h"
#include "netsetup.h"
#include "nl.h"

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int netsetup_build_route_default(void *buf, int ifindex, const struct netsetup_addr *gateway)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	size_t alen = addr_len(gateway->family);

	if (!alen || ifindex <= 0)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	/* REPLACE: re-applying (vps-netsetup plumb) or changing the gateway is not an error. */
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)gateway->family;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	/* A link-local IPv4 gateway (routed mode's 169.254.0.1) is in no subnet of the VPS's
	 * /32s: it is on the link by definition. */
	if (gateway->family == AF_INET && gateway->bytes[0] == 169 && gateway->bytes[1] == 254)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	mnl_attr_put(nlh, RTA_GATEWAY, alen, gateway->bytes);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return 0;
}

int netsetup_build_route_dump(void *buf, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	return 0;
}

int nl_route_add_default(struct nl_sock *s, int ifindex, const struct netsetup_addr *gw)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_route_default(buf, ifindex, gw);

	return r < 0 ? r : nl_talk(s, (struct nlmsghdr *)buf);
}

int netsetup_route_add_default(int netns_fd, const char *ifname, int family,
                               const struct netsetup_addr *gateway)
{
	_cleanup_nl_ struct nl_sock s = {0};
	int r, idx;

	if (!gateway || gateway->family != family)
		return -EINVAL;
	r = nl_open(netns_fd, &s);
	if (r < 0)
		return r;
	idx = nl_ifindex(&s, ifname);
	if (idx < 0)
		return idx;
	return nl_route_add_default(&s, idx, gateway);
}

static int copy_addr(const struct nlattr *a, int family, uint8_t prefixlen,
                     struct netsetup_addr *ret)
{
	size_t alen = addr_len(family);

	memset(ret, 0, sizeof(*ret));
	ret->family = family;
	ret->prefixlen = prefixlen;
	if (!a)
		return 0;
	if (mnl_attr_get_payload_len(a) != alen)
		return -EBADMSG;
	memcpy(ret->bytes, mnl_attr_get_payload(a), alen);
	return 1;
}

static int route_parse(const struct nlmsghdr *nlh, struct netsetup_route_info *ret)
{
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	int r;

	if (!addr_len(rtm->rtm_family) || nl_parse_attrs(nlh, sizeof(*rtm), tb, RTA_MAX) < 0)
		return -EBADMSG;
	ret->family = rtm->rtm_family;
	ret->type = rtm->rtm_type;
	ret->protocol = rtm->rtm_protocol;
	ret->table = (uint8_t)nl_attr_u32_or(tb[RTA_TABLE], rtm->rtm_table);
	ret->oif = (int)nl_attr_u32_or(tb[RTA_OIF], 0);
	if (copy_addr(tb[RTA_DST], rtm->rtm_family, rtm->rtm_dst_len, &ret->dst) < 0)
		return -EBADMSG;
	r = copy_addr(tb[RTA_GATEWAY], rtm->rtm_family, 0, &ret->gateway);
	if (r < 0)
		return r;
	ret->has_gateway = r > 0;
	return 0;
}

struct route_ctx {
	netsetup_route_fn fn;
	void *userdata;
	int error;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_ctx *c = data;
	struct netsetup_route_info info;

	if (route_parse(nlh, &info) < 0)
		return MNL_CB_OK; /* not IPv4/IPv6 unicast data we can show: skip */
	c->error = c->fn(&info, c->userdata);
	return c->error < 0 ? MNL_CB_STOP : MNL_CB_OK;
}

int netsetup_route_foreach(int netns_fd, int family, netsetup_route_fn fn, void *userdata)
{
	_cleanup_nl_ struct nl_sock s = {0};
	struct route_ctx c = {fn, userdata, 0};
	char buf[NL_MSG_SIZE];
	int r = nl_open(netns_fd, &s);

	if (r < 0)
		return r;
	netsetup_build_route_dump(buf, family);
	r = nl_dump(&s, (struct nlmsghdr *)buf, route_cb, &c);
	return c.error < 0 ? c.error : r;
}
