/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Traffic counters of a link (IFLA_STATS64), what metered billing reads. */
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>

#include "netsetup.h"
#include "nl.h"

void nl_stats64_parse(const struct nlattr *attr, struct netsetup_link_stats *ret)
{
	struct rtnl_link_stats64 st;

	memset(ret, 0, sizeof(*ret));
	/* Older kernels send a shorter struct; missing counters read as 0. */
	memset(&st, 0, sizeof(st));
	memcpy(&st, mnl_attr_get_payload(attr),
	       mnl_attr_get_payload_len(attr) < sizeof(st) ? mnl_attr_get_payload_len(attr)
	                                                   : sizeof(st));
	ret->rx_bytes = st.rx_bytes;
	ret->tx_bytes = st.tx_bytes;
	ret->rx_packets = st.rx_packets;
	ret->tx_packets = st.tx_packets;
	ret->rx_dropped = st.rx_dropped;
	ret->tx_dropped = st.tx_dropped;
}

int netsetup_link_stats(int netns_fd, const char *ifname, struct netsetup_link_stats *ret)
{
	struct netsetup_link_info info;
	int r = netsetup_link_get(netns_fd, ifname, &info);

	if (r < 0)
		return r;
	*ret = info.stats;
	return 0;
}
