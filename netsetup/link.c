/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

#include "cleanup.h"
#include "netsetup.h"
#include "nl.h"

int netsetup_link_up(int netns_fd, const char *ifname)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_sock s = {0};
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int r;

	if (strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	r = nl_open(netns_fd, &s);
	if (r < 0)
		return r;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	r = nl_talk(&s, nlh);
	nl_close(&s);
	return r;
}
