/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IP addresses: parsing and subnet checks, adding/removing them on a link, listing. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "netsetup.h"
#include "nl.h"
#include "parse.h"

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

static size_t family_len(int family)
{
	return family_bits(family) / 8;
}

int netsetup_addr_parse(const char *s, struct netsetup_addr *ret)
{
	char ip[INET6_ADDRSTRLEN];
	struct netsetup_addr a = {0};
	const char *slash;
	size_t len;
	int prefix;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, &a.in) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &a.in6) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	prefix = (int)family_bits(a.family);
	if (slash && parse_int_range(slash + 1, 0, prefix, &prefix) < 0)
		return -EINVAL;
	a.prefixlen = (uint8_t)prefix;
	*ret = a;
	return 0;
}

const char *netsetup_addr_format_ip(const struct netsetup_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *netsetup_addr_format(const struct netsetup_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", netsetup_addr_format_ip(a, ip, sizeof(ip)), a->prefixlen);
	return buf;
}

bool netsetup_addr_in_subnet(const struct netsetup_addr *a, const struct netsetup_addr *subnet)
{
	unsigned full = subnet->prefixlen / 8, rest = subnet->prefixlen % 8;

	if (a->family != subnet->family || !family_bits(a->family) ||
	    subnet->prefixlen > family_bits(a->family))
		return false;
	if (memcmp(a->bytes, subnet->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a->bytes[full] ^ subnet->bytes[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* Whether every host bit of a under prefixlen equals bit (0 or 1). */
static bool host_bits_all(const struct netsetup_addr *a, unsigned prefixlen, int bit)
{
	unsigned bits = family_bits(a->family);

	for (unsigned i = prefixlen; i < bits; i++)
		if (((a->bytes[i / 8] >> (7 - i % 8)) & 1) != bit)
			return false;
	return true;
}

enum netsetup_host_kind netsetup_addr_host_kind(const struct netsetup_addr *a, unsigned prefixlen)
{
	unsigned bits = family_bits(a->family);

	/* a /31 or /32 (/127, /128) is all hosts: RFC 3021 */
	if (!bits || prefixlen > bits || bits - prefixlen < 2)
		return NETSETUP_HOST;
	if (host_bits_all(a, prefixlen, 0))
		return NETSETUP_HOST_NETWORK;
	if (a->family == AF_INET && host_bits_all(a, prefixlen, 1))
		return NETSETUP_HOST_BROADCAST;
	return NETSETUP_HOST;
}

bool netsetup_addr_equal(const struct netsetup_addr *a, const struct netsetup_addr *b)
{
	return a->family == b->family && family_bits(a->family) &&
	       memcmp(a->bytes, b->bytes, family_len(a->family)) == 0;
}

int netsetup_build_addr(void *buf, uint16_t type, int ifindex, const struct netsetup_addr *a)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t alen = family_len(a->family);

	if (!alen || a->prefixlen > family_bits(a->family) || ifindex <= 0 ||
	    (type != RTM_NEWADDR && type != RTM_DELADDR))
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	/* REPLACE makes re-applying an address already there a no-op instead of EEXIST. */
	nlh->nlmsg_flags = type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	if (a->family == AF_INET)
		mnl_attr_put(nlh, IFA_LOCAL, alen, a->bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->bytes);
	if (a->family == AF_INET6 && type == RTM_NEWADDR) {
		/* Duplicates are refused before we get here; DAD would only make the address
		 * unusable for a second after start. */
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	return 0;
}

int netsetup_build_addr_dump(void *buf, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_GETADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	return 0;
}

int nl_addr_add(struct nl_sock *s, int ifindex, const struct netsetup_addr *a)
{
	char buf[NL_MSG_SIZE];
	int r = netsetup_build_addr(buf, RTM_NEWADDR, ifindex, a);

	return r < 0 ? r : nl_talk(s, (struct nlmsghdr *)buf);
}

static int addr_change(int netns_fd, const char *ifname, uint16_t type,
                       const struct netsetup_addr *a)
{
	_cleanup_nl_ struct nl_sock s = {0};
	char buf[NL_MSG_SIZE];
	int r, idx;

	r = nl_open(netns_fd, &s);
	if (r < 0)
		return r;
	idx = nl_ifindex(&s, ifname);
	if (idx < 0)
		return idx;
	r = netsetup_build_addr(buf, type, idx, a);
	return r < 0 ? r : nl_talk(&s, (struct nlmsghdr *)buf);
}

int netsetup_addr_add(int netns_fd, const char *ifname, const struct netsetup_addr *a)
{
	return addr_change(netns_fd, ifname, RTM_NEWADDR, a);
}

int netsetup_addr_del(int netns_fd, const char *ifname, const struct netsetup_addr *a)
{
	return addr_change(netns_fd, ifname, RTM_DELADDR, a);
}

struct addr_ctx {
	netsetup_addr_fn fn;
	void *userdata;
	int error;
};

static int addr_parse_msg(const struct nlmsghdr *nlh, struct netsetup_addr *a)
{
	const struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *at;

	if (nl_parse_attrs(nlh, sizeof(*ifa), tb, IFA_MAX) < 0)
		return -EBADMSG;
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's on p2p links. */
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	memset(a, 0, sizeof(*a));
	a->family = ifa->ifa_family;
	a->prefixlen = ifa->ifa_prefixlen;
	if (!at || !family_len(a->family) || mnl_attr_get_payload_len(at) != family_len(a->family))
		return -EBADMSG;
	memcpy(a->bytes, mnl_attr_get_payload(at), family_len(a->family));
	return (int)ifa->ifa_index;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_ctx *c = data;
	struct netsetup_addr a;
	int idx = addr_parse_msg(nlh, &a);

	if (idx < 0)
		return MNL_CB_OK; /* a family we do not know: skip it */
	c->error = c->fn(idx, &a, c->userdata);
	return c->error < 0 ? MNL_CB_STOP : MNL_CB_OK;
}

int netsetup_addr_foreach(int netns_fd, int family, netsetup_addr_fn fn, void *userdata)
{
	_cleanup_nl_ struct nl_sock s = {0};
	struct addr_ctx c = {fn, userdata, 0};
	char buf[NL_MSG_SIZE];
	int r = nl_open(netns_fd, &s);

	if (r < 0)
		return r;
	netsetup_build_addr_dump(buf, family);
	r = nl_dump(&s, (struct nlmsghdr *)buf, addr_cb, &c);
	return c.error < 0 ? c.error : r;
}
