/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private: a libmnl rtnetlink socket in a chosen network namespace, and request helpers. */
#pragma once

#include <libmnl/libmnl.h>
#include <stddef.h>

#include "cleanup.h"
#include "netsetup.h"

struct nl_sock {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
};

/* Opens a NETLINK_ROUTE socket in netns_fd (-1 = the caller's namespace). */
int nl_open(int netns_fd, struct nl_sock *ret);
/* A socket of another netlink protocol (NETLINK_NETFILTER) in the caller's namespace. */
int nl_open_proto(int protocol, struct nl_sock *ret);
void nl_close(struct nl_sock *s);
static inline void nl_closep(struct nl_sock *s)
{
	nl_close(s);
}
#define _cleanup_nl_ _cleanup_(nl_closep)

/* Sends one request and waits for its ack; replies before the ack go to cb. -errno from the
 * kernel on failure. */
int nl_request(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
/* Sends one request built in buf and waits for its ack; returns -errno from the kernel. */
int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh);
/* Sends a dump request (NLM_F_DUMP is set here) and feeds every reply to cb. */
int nl_dump(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
/* Opens a socket in netns_fd, sends one request, closes. */
int nl_do(int netns_fd, struct nlmsghdr *nlh);

/* The ifindex of ifname in the socket's namespace, or -ENODEV. */
int nl_ifindex(struct nl_sock *s, const char *ifname);
int nl_link_get(struct nl_sock *s, const char *ifname, struct netsetup_link_info *ret);
/* Parses one RTM_NEWLINK message. */
int nl_link_parse(const struct nlmsghdr *nlh, struct netsetup_link_info *ret);
/* Fills ret from an IFLA_STATS64 attribute. */
void nl_stats64_parse(const struct nlattr *attr, struct netsetup_link_stats *ret);

int nl_addr_add(struct nl_sock *s, int ifindex, const struct netsetup_addr *a);
int nl_route_add_default(struct nl_sock *s, int ifindex, const struct netsetup_addr *gw);
int nl_link_up(struct nl_sock *s, const char *ifname);

/* Attribute tables: tb[type] for every type <= max (later duplicates win); tb is zeroed. */
int nl_parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb,
                   uint16_t max);
int nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb, uint16_t max);
/* A u32 attribute's value, or def if it is missing or too short. */
uint32_t nl_attr_u32_or(const struct nlattr *a, uint32_t def);
/* Adds the clsact qdisc to ifindex unless it has one. */
int nl_clsact_ensure(struct nl_sock *s, int ifindex);
/* Deletes the ingress filters at prio; none there is not an error. */
int nl_filter_del(struct nl_sock *s, int ifindex, uint16_t prio);
