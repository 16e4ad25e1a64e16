/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Links by name: up/down, master, delete, look-up and listing. */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

#include "cleanup.h"
#include "msg.h"
#include "netsetup.h"
#include "nl.h"

_Static_assert(NETSETUP_IFNAMSIZ == IFNAMSIZ, "NETSETUP_IFNAMSIZ must be IFNAMSIZ");

int netsetup_ifname_check(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	/* The kernel refuses these too (dev_valid_name); refusing early gives a clean -EINVAL. */
	if (strpbrk(name, "/: \t\n"))
		return -EINVAL;
	return 0;
}

/* A link request addressed by name: header, ifinfomsg and IFLA_IFNAME. */
static struct ifinfomsg *put_link_header(void *buf, uint16_t type, uint16_t flags,
                                         const char *ifname)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	if (ifname)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	return ifm;
}

int netsetup_build_link_get(void *buf, const char *ifname)
{
	int r = netsetup_ifname_check(ifname);

	if (r < 0)
		return r;
	put_link_header(buf, RTM_GETLINK, 0, ifname);
	return 0;
}

int netsetup_build_link_dump(void *buf)
{
	put_link_header(buf, RTM_GETLINK, 0, NULL);
	return 0;
}

int netsetup_build_link_del(void *buf, const char *ifname)
{
	int r = netsetup_ifname_check(ifname);

	if (r < 0)
		return r;
	put_link_header(buf, RTM_DELLINK, 0, ifname);
	return 0;
}

int netsetup_build_link_updown(void *buf, const char *ifname, bool up)
{
	struct ifinfomsg *ifm;
	int r = netsetup_ifname_check(ifname);

	if (r < 0)
		return r;
	ifm = put_link_header(buf, RTM_NEWLINK, 0, ifname);
	ifm->ifi_flags = up ? IFF_UP : 0;
	ifm->ifi_change = IFF_UP;
	return 0;
}

int netsetup_build_link_master(void *buf, const char *ifname, int master_ifindex)
{
	int r = netsetup_ifname_check(ifname);

	if (r < 0)
		return r;
	if (master_ifindex < 0)
		return -EINVAL;
	put_link_header(buf, RTM_NEWLINK, 0, ifname);
	mnl_attr_put_u32(buf, IFLA_MASTER, (uint32_t)master_ifindex);
	return 0;
}

static void parse_kind(const struct nlattr *linkinfo, struct netsetup_link_info *ret)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1];

	if (!linkinfo || nl_parse_nested(linkinfo, tb, IFLA_INFO_MAX) < 0 || !tb[IFLA_INFO_KIND])
		return;
	if (mnl_attr_validate(tb[IFLA_INFO_KIND], MNL_TYPE_STRING) < 0)
		return;
	snprintf(ret->kind, sizeof(ret->kind), "%s", mnl_attr_get_str(tb[IFLA_INFO_KIND]));
}

static void parse_name(const struct nlattr *a, struct netsetup_link_info *ret)
{
	if (a && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		snprintf(ret->name, sizeof(ret->name), "%s", mnl_attr_get_str(a));
}

int nl_link_parse(const struct nlmsghdr *nlh, struct netsetup_link_info *ret)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	int r;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifm)))
		return -EBADMSG;
	r = nl_parse_attrs(nlh, sizeof(*ifm), tb, IFLA_MAX);
	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	ret->ifindex = ifm->ifi_index;
	ret->flags = ifm->ifi_flags;
	parse_name(tb[IFLA_IFNAME], ret);
	parse_kind(tb[IFLA_LINKINFO], ret);
	ret->mtu = nl_attr_u32_or(tb[IFLA_MTU], 0);
	ret->master = (int)nl_attr_u32_or(tb[IFLA_MASTER], 0);
	ret->link = (int)nl_attr_u32_or(tb[IFLA_LINK], 0);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == NETSETUP_MAC_LEN) {
		memcpy(ret->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), NETSETUP_MAC_LEN);
		ret->has_mac = true;
	}
	if (tb[IFLA_STATS64])
		nl_stats64_parse(tb[IFLA_STATS64], &ret->stats);
	return 0;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	int r = nl_link_parse(nlh, data);

	if (r < 0) {
		errno = -r; /* mnl_cb_run reports a callback error through errno */
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int nl_link_get(struct nl_sock *s, const char *ifname, struct netsetup_link_info *ret)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_link_get(buf, ifname);

	if (r < 0)
		return r;
	ret->ifindex = 0;
	r = nl_request(s, (struct nlmsghdr *)buf, link_cb, ret);
	if (r < 0)
		return r;
	return ret->ifindex > 0 ? 0 : -ENODEV;
}

int nl_ifindex(struct nl_sock *s, const char *ifname)
{
	struct netsetup_link_info info;
	int r = nl_link_get(s, ifname, &info);

	return r < 0 ? r : info.ifindex;
}

int nl_link_up(struct nl_sock *s, const char *ifname)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_link_updown(buf, ifname, true);

	return r < 0 ? r : nl_talk(s, (struct nlmsghdr *)buf);
}

int netsetup_link_up(int netns_fd, const char *ifname)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_link_updown(buf, ifname, true);

	return r < 0 ? r : nl_do(netns_fd, (struct nlmsghdr *)buf);
}

int netsetup_link_del(int netns_fd, const char *ifname)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_link_del(buf, ifname);

	return r < 0 ? r : nl_do(netns_fd, (struct nlmsghdr *)buf);
}

int netsetup_link_get(int netns_fd, const char *ifname, struct netsetup_link_info *ret)
{
	_cleanup_nl_ struct nl_sock s = {0};
	int r = nl_open(netns_fd, &s);

	return r < 0 ? r : nl_link_get(&s, ifname, ret);
}

int netsetup_link_exists(int netns_fd, const char *ifname)
{
	struct netsetup_link_info info;
	int r = netsetup_link_get(netns_fd, ifname, &info);

	if (r == -ENODEV)
		return 0;
	return r < 0 ? r : 1;
}

int netsetup_link_set_master(int netns_fd, const char *ifname, const char *master)
{
	_cleanup_nl_ struct nl_sock s = {0};
	char buf[NL_MSG_SIZE];
	int r, idx;

	r = nl_open(netns_fd, &s);
	if (r < 0)
		return r;
	idx = nl_ifindex(&s, master);
	if (idx < 0)
		return idx;
	r = netsetup_build_link_master(buf, ifname, idx);
	return r < 0 ? r : nl_talk(&s, (struct nlmsghdr *)buf);
}

struct foreach_ctx {
	netsetup_link_fn fn;
	void *userdata;
	int error;
};

static int foreach_cb(const struct nlmsghdr *nlh, void *data)
{
	struct foreach_ctx *c = data;
	struct netsetup_link_info info;
	int r = nl_link_parse(nlh, &info);

	if (r >= 0)
		r = c->fn(&info, c->userdata);
	if (r < 0) {
		c->error = r;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

int netsetup_link_foreach(int netns_fd, netsetup_link_fn fn, void *userdata)
{
	_cleanup_nl_ struct nl_sock s = {0};
	struct foreach_ctx c = {fn, userdata, 0};
	char buf[NL_MSG_SIZE];
	int r = nl_open(netns_fd, &s);

	if (r < 0)
		return r;
	netsetup_build_link_dump(buf);
	r = nl_dump(&s, (struct nlmsghdr *)buf, foreach_cb, &c);
	return c.error < 0 ? c.error : r;
}
