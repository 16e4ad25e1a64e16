/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The traffic counters of every link of a namespace in one RTM_GETSTATS dump (IFLA_STATS_LINK_64
 * only): about 230 bytes a link where a RTM_GETLINK dump sends 1.9 KB and looks up the peer's
 * netns id of every veth. The dump names no link; a reader finds a link's ifindex by name with
 * one SIOCGIFINDEX ioctl (netsetup_link_index).
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "msg.h"
#include "netsetup.h"
#include "nl.h"

int netsetup_build_link_stats_dump(void *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct if_stats_msg *ifsm;

	nlh->nlmsg_type = RTM_GETSTATS;
	ifsm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifsm));
	ifsm->family = AF_UNSPEC;
	ifsm->filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64);
	return 0;
}

struct stats_ctx {
	netsetup_link_stats_fn fn;
	void *userdata;
	int error;
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats_ctx *c = data;
	const struct nlattr *tb[IFLA_STATS_MAX + 1];
	const struct if_stats_msg *ifsm;
	struct netsetup_link_stats st;
	int r;

	if (nlh->nlmsg_type != RTM_NEWSTATS || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifsm))
		return MNL_CB_OK;
	ifsm = mnl_nlmsg_get_payload(nlh);
	r = nl_parse_attrs(nlh, sizeof(*ifsm), tb, IFLA_STATS_MAX);
	if (r < 0 || !tb[IFLA_STATS_LINK_64])
		return MNL_CB_OK; /* a link without 64-bit counters has none to show */
	nl_stats64_parse(tb[IFLA_STATS_LINK_64], &st);
	r = c->fn((int)ifsm->ifindex, &st, c->userdata);
	if (r < 0) {
		c->error = r;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

int netsetup_link_stats_foreach(int netns_fd, netsetup_link_stats_fn fn, void *userdata)
{
	_cleanup_nl_ struct nl_sock s = {0};
	struct stats_ctx c = {fn, userdata, 0};
	char buf[NL_MSG_SIZE];
	int r = nl_open(netns_fd, &s);

	if (r < 0)
		return r;
	netsetup_build_link_stats_dump(buf);
	r = nl_dump(&s, (struct nlmsghdr *)buf, stats_cb, &c);
	return c.error < 0 ? c.error : r;
}

int netsetup_link_index_open(void)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	return TAKE_FD(fd);
}

int netsetup_link_index(int sock_fd, const char *ifname)
{
	struct ifreq ifr = {0};
	int r = netsetup_ifname_check(ifname);

	if (r < 0)
		return r;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(sock_fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex;
}
