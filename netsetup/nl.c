/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "msg.h"
#include "nl.h"

/* Big enough for one dump batch of links with all their attributes. */
#define NL_RECV_SIZE 32768

int nl_open_proto(int protocol, struct nl_sock *ret)
{
	struct mnl_socket *s = mnl_socket_open2(protocol, SOCK_CLOEXEC);

	if (!s)
		return negative_errno();
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = negative_errno();

		mnl_socket_close(s);
		return r;
	}
	ret->sock = s;
	ret->portid = mnl_socket_get_portid(s);
	ret->seq = (unsigned)time(NULL);
	return 0;
}

int nl_open(int netns_fd, struct nl_sock *ret)
{
	_cleanup_close_ int self = -EBADF;
	int r;

	if (netns_fd < 0)
		return nl_open_proto(NETLINK_ROUTE, ret);
	/* A socket stays in the namespace it was created in: switch, open, switch back. */
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	r = nl_open_proto(NETLINK_ROUTE, ret);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* cannot go on in the wrong namespace */
	return r;
}

void nl_close(struct nl_sock *s)
{
	if (s->sock)
		mnl_socket_close(s->sock);
	s->sock = NULL;
}

static int recv_until_stop(struct nl_sock *s, unsigned seq, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = malloc(NL_RECV_SIZE);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s->sock, buf, NL_RECV_SIZE);
		int r;

		if (n < 0)
			return negative_errno();
		r = mnl_cb_run(buf, (size_t)n, seq, s->portid, cb, data);
		if (r < 0)
			return negative_errno();
		if (r <= MNL_CB_STOP)
			return 0;
	}
}

static int send_msg(struct nl_sock *s, struct nlmsghdr *nlh, uint16_t flags)
{
	nlh->nlmsg_flags |= NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++s->seq;
	if (mnl_socket_sendto(s->sock, nlh, nlh->nlmsg_len) < 0)
		return negative_errno();
	return 0;
}

int nl_request(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int r = send_msg(s, nlh, NLM_F_ACK);

	if (r < 0)
		return r;
	return recv_until_stop(s, nlh->nlmsg_seq, cb, data);
}

int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh)
{
	return nl_request(s, nlh, NULL, NULL);
}

int nl_dump(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int r = send_msg(s, nlh, NLM_F_DUMP);

	if (r < 0)
		return r;
	return recv_until_stop(s, nlh->nlmsg_seq, cb, data);
}

int nl_do(int netns_fd, struct nlmsghdr *nlh)
{
	_cleanup_nl_ struct nl_sock s = {0};
	int r = nl_open(netns_fd, &s);

	if (r < 0)
		return r;
	return nl_talk(&s, nlh);
}

struct attr_table {
	const struct nlattr **tb;
	uint16_t max;
};

static int table_cb(const struct nlattr *a, void *data)
{
	struct attr_table *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

int nl_parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb,
                   uint16_t max)
{
	struct attr_table t = {tb, max};

	memset(tb, 0, sizeof(*tb) * ((size_t)max + 1));
	if (mnl_attr_parse(nlh, (unsigned)hdrlen, table_cb, &t) < 0)
		return -EBADMSG;
	return 0;
}

int nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb, uint16_t max)
{
	struct attr_table t = {tb, max};

	memset(tb, 0, sizeof(*tb) * ((size_t)max + 1));
	if (mnl_attr_parse_nested(nest, table_cb, &t) < 0)
		return -EBADMSG;
	return 0;
}

uint32_t nl_attr_u32_or(const struct nlattr *a, uint32_t def)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return def;
	return mnl_attr_get_u32(a);
}
