/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Passing file descriptors over a unix socket (SCM_RIGHTS). */
#pragma once

#include <stddef.h>

/* The most fds one message carries. */
#define FDPASS_MAX 16

/* Sends n (0..FDPASS_MAX) fds in one message. */
int fds_send(int sock, const int *fds, size_t n);
/* Receives one message of fds (close-on-exec) into fds[max]; *ret_n of them. -EPIPE when the
 * peer closed, -EBADMSG for more than max (none is kept then). */
int fds_recv(int sock, int *fds, size_t max, size_t *ret_n);

int fd_send(int sock, int fd);
/* Returns the received fd (close-on-exec) or -errno; -EPIPE when the peer closed. */
int fd_recv(int sock);
