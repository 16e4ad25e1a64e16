/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-VPS veth pair. The peer is created directly inside the VPS's namespace
 * (VETH_INFO_PEER carrying IFLA_NET_NS_FD): one request, and measured ~8x cheaper than
 * creating it on the node and moving it afterwards.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>

#include "msg.h"
#include "netsetup.h"
#include "nl.h"

/* The peer's part: its own ifinfomsg, then name, namespace, MAC and MTU. */
static void put_peer(struct nlmsghdr *nlh, const char *peer_name, int peer_netns_fd,
                     const uint8_t mac[NETSETUP_MAC_LEN], unsigned mtu)
{
	struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));

	pifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, NETSETUP_MAC_LEN, mac);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_nest_end(nlh, peer);
}

int netsetup_build_veth(void *buf, const char *host_name, const char *peer_name, int peer_netns_fd,
                        const uint8_t mac[NETSETUP_MAC_LEN], unsigned mtu)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info, *data;

	if (netsetup_ifname_check(host_name) < 0 || netsetup_ifname_check(peer_name) < 0)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	/* EXCL: never take over a link someone else made under this name. */
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	put_peer(nlh, peer_name, peer_netns_fd, mac, mtu);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return 0;
}

int netsetup_veth_create(const char *host_name, const char *peer_name, int peer_netns_fd,
                         const uint8_t mac[NETSETUP_MAC_LEN], unsigned mtu)
{
	char buf[NL_MSG_SIZE];
	int r;

	if (peer_netns_fd < 0)
		return -EBADF;
	r = netsetup_build_veth(buf, host_name, peer_name, peer_netns_fd, mac, mtu);
	if (r < 0)
		return r;
	return nl_do(-1, (struct nlmsghdr *)buf);
}
