/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private: a libmnl rtnetlink socket in a chosen network namespace, and a request/ack helper. */
#pragma once

#include <libmnl/libmnl.h>
#include <stddef.h>

struct nl_sock {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
};

/* Opens a NETLINK_ROUTE socket in netns_fd (-1 = the caller's namespace). */
int nl_open(int netns_fd, struct nl_sock *ret);
void nl_close(struct nl_sock *s);
/* Sends one request built in buf and waits for its ack; returns -errno from the kernel. */
int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh);
