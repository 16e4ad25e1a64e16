/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "nl.h"

static int open_here(struct nl_sock *ret)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);

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
		return open_here(ret);
	/* A socket stays in the namespace it was created in: switch, open, switch back. */
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	r = open_here(ret);
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

int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++s->seq;
	if (mnl_socket_sendto(s->sock, nlh, nlh->nlmsg_len) < 0)
		return negative_errno();
	for (;;) {
		int r;

		n = mnl_socket_recvfrom(s->sock, buf, sizeof(buf));
		if (n < 0)
			return negative_errno();
		r = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, s->portid, NULL, NULL);
		if (r < 0)
			return negative_errno();
		if (r <= MNL_CB_STOP)
			return 0;
	}
}
