/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node bridge: created on first use, an operator's own bridge is left alone. */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>

#include "log.h"
#include "msg.h"
#include "netsetup.h"
#include "nl.h"

int netsetup_build_bridge(void *buf, const char *name, const uint8_t mac[NETSETUP_MAC_LEN])
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info, *data;

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
	/* A MAC we set stays put; otherwise the bridge takes the lowest port MAC and changes it
	 * as VPSes come and go, leaving stale neighbour entries in every VPS. */
	mnl_attr_put(nlh, IFLA_ADDRESS, NETSETUP_MAC_LEN, mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* No STP on a bridge of veths: ports forward at once instead of after 15 s. */
	mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, 0);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return 0;
}

static int create(struct nl_sock *s, const char *name, const struct netsetup_addr *addrs, size_t n)
{
	char buf[NL_MSG_SIZE], key[IFNAMSIZ + 16];
	uint8_t mac[NETSETUP_MAC_LEN];
	int r, idx;

	/* VPS names cannot contain '/', so this MAC never equals a VPS's. */
	snprintf(key, sizeof(key), "bridge/%s", name);
	netsetup_mac_from_name(key, mac);
	r = netsetup_build_bridge(buf, name, mac);
	if (r < 0)
		return r;
	r = nl_talk(s, (struct nlmsghdr *)buf);
	if (r < 0)
		return r;
	idx = nl_ifindex(s, name);
	if (idx < 0)
		return idx;
	for (size_t i = 0; i < n; i++) {
		r = nl_addr_add(s, idx, &addrs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int netsetup_bridge_ensure(const char *name, const struct netsetup_addr *addrs, size_t n)
{
	_cleanup_nl_ struct nl_sock s = {0};
	int r = nl_open(-1, &s);

	if (r < 0)
		return r;
	r = nl_ifindex(&s, name);
	if (r > 0) {
		log_debug("Bridge '%s' exists, leaving it alone", name);
		return 1;
	}
	if (r != -ENODEV)
		return r;
	r = create(&s, name, addrs, n);
	if (r == -EEXIST)
		return 1; /* made by someone else between our look-up and create */
	if (r < 0) {
		char buf[NL_MSG_SIZE];

		/* Undo: a half-configured bridge would later be taken for the operator's. */
		if (netsetup_build_link_del(buf, name) == 0)
			(void)nl_talk(&s, (struct nlmsghdr *)buf);
		return r;
	}
	return 0;
}
