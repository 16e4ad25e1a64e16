/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

union fd_cmsg {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
};

int fds_send(int sock, const int *fds, size_t n)
{
	char c = 'f';
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	union fd_cmsg u = {0};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	if (n > FDPASS_MAX)
		return -EINVAL;
	if (n > 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

int fds_recv(int sock, int *fds, size_t max, size_t *ret_n)
{
	char c;
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	union fd_cmsg u;
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = u.buf,
	                     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	int got[FDPASS_MAX];
	size_t n = 0;
	ssize_t k;

	*ret_n = 0;
	k = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (k < 0)
		return -errno;
	if (k == 0)
		return -EPIPE;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(got, CMSG_DATA(cm), sizeof(int) * n);
	}
	if ((msg.msg_flags & MSG_CTRUNC) || n > max) {
		close_all(got, n);
		return -EBADMSG;
	}
	memcpy(fds, got, sizeof(int) * n);
	*ret_n = n;
	return 0;
}

int fd_send(int sock, int fd)
{
	return fds_send(sock, &fd, 1);
}

int fd_recv(int sock)
{
	size_t n;
	int fd, r = fds_recv(sock, &fd, 1, &n);

	if (r < 0)
		return r;
	return n == 1 ? fd : -EBADMSG;
}
