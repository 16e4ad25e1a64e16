/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Supervisor <-> VPS init sync over a SOCK_SEQPACKET socketpair with named stages (lxc style).
 * A message is {stage, -errno, text}. A wrong stage or EOF means the peer died.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum vps_sync {
	VPS_SYNC_ERROR = -1,      /* child -> host: a step failed; text says which */
	VPS_SYNC_CHILD_READY = 1, /* child -> host: in its namespaces, waiting for the host */
	VPS_SYNC_HOST_MAPPED,     /* host -> child: id maps written (mounts may begin) */
	VPS_SYNC_HOST_DONE,       /* host -> child: cgroup made (its fds follow), network plumbed */
	VPS_SYNC_EXEC,            /* child -> host: about to exec init; EOF follows on success */
	_VPS_SYNC_MAX,
};

#define VPS_SYNC_TEXT_MAX 240

struct vps_sync_msg {
	int32_t stage;
	int32_t error; /* -errno with VPS_SYNC_ERROR, else 0 */
	char text[VPS_SYNC_TEXT_MAX];
};

const char *vps_sync_to_string(enum vps_sync s);
/* Encodes into buf (sizeof(struct vps_sync_msg) bytes); returns the length to send. */
size_t vps_sync_encode(enum vps_sync stage, int error, const char *text, void *buf);
/* Decodes n received bytes; -EBADMSG for a short or malformed message. */
int vps_sync_decode(const void *buf, size_t n, struct vps_sync_msg *ret);
int vps_sync_send(int fd, enum vps_sync stage, int error, const char *text);
/* Receives one message, waiting up to timeout_ms: -EPIPE on EOF, -ETIMEDOUT. */
int vps_sync_recv(int fd, int timeout_ms, struct vps_sync_msg *ret);
/* Receives a message and checks its stage; an error message from the peer becomes its -errno
 * with its text copied to err. */
int vps_sync_expect(int fd, enum vps_sync stage, int timeout_ms, struct vps_error *err);
