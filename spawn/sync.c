/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sync.h"

const char *vps_sync_to_string(enum vps_sync s)
{
	switch (s) {
	case VPS_SYNC_ERROR:
		return "error";
	case VPS_SYNC_CHILD_READY:
		return "child-ready";
	case VPS_SYNC_HOST_MAPPED:
		return "host-mapped";
	case VPS_SYNC_HOST_DONE:
		return "host-done";
	case VPS_SYNC_EXEC:
		return "exec";
	default:
		return "invalid";
	}
}

size_t vps_sync_encode(enum vps_sync stage, int error, const char *text, void *buf)
{
	struct vps_sync_msg m = {.stage = stage, .error = error};
	size_t n = text ? strnlen(text, VPS_SYNC_TEXT_MAX - 1) : 0;

	memcpy(m.text, text ? text : "", n);
	m.text[n] = '\0';
	memcpy(buf, &m, offsetof(struct vps_sync_msg, text) + n + 1);
	return offsetof(struct vps_sync_msg, text) + n + 1;
}

int vps_sync_decode(const void *buf, size_t n, struct vps_sync_msg *ret)
{
	size_t head = offsetof(struct vps_sync_msg, text);

	if (n <= head || n > sizeof(*ret))
		return -EBADMSG;
	memcpy(ret, buf, n);
	if (ret->text[n - head - 1] != '\0' || strlen(ret->text) != n - head - 1)
		return -EBADMSG;
	if (ret->stage == VPS_SYNC_ERROR ? ret->error >= 0 : ret->error != 0)
		return -EBADMSG;
	if (ret->stage != VPS_SYNC_ERROR && (ret->stage < 1 || ret->stage >= _VPS_SYNC_MAX))
		return -EBADMSG;
	return 0;
}

int vps_sync_send(int fd, enum vps_sync stage, int error, const char *text)
{
	struct vps_sync_msg m;
	size_t n = vps_sync_encode(stage, error, text, &m);

	if (send(fd, &m, n, MSG_NOSIGNAL) != (ssize_t)n)
		return -errno;
	return 0;
}

int vps_sync_recv(int fd, int timeout_ms, struct vps_sync_msg *ret)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct vps_sync_msg m;
	ssize_t n;
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = recv(fd, &m, sizeof(m), MSG_CMSG_CLOEXEC);
	/* A peer that closed with our last message unread leaves ECONNRESET, which the kernel
	 * reports before the messages the peer queued for us (and clears): its last word, the
	 * error it died of, is still there to read. */
	if (n < 0 && errno == ECONNRESET) {
		n = recv(fd, &m, sizeof(m), MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return -ECONNRESET;
	}
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	return vps_sync_decode(&m, (size_t)n, ret);
}

int vps_sync_expect(int fd, enum vps_sync stage, int timeout_ms, struct vps_error *err)
{
	struct vps_sync_msg m;
	int r = vps_sync_recv(fd, timeout_ms, &m);

	if (r < 0)
		return vps_error_set(err, r, "%s while waiting for '%s'",
		                     r == -EPIPE ? "peer died" : strerror(-r),
		                     vps_sync_to_string(stage));
	if (m.stage == VPS_SYNC_ERROR)
		return vps_error_set(err, m.error, "%s", m.text);
	if (m.stage != (int32_t)stage)
		return vps_error_set(err, -EPROTO, "got '%s' while waiting for '%s'",
		                     vps_sync_to_string(m.stage), vps_sync_to_string(stage));
	return 0;
}
