/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Passing one file descriptor over a unix socket (SCM_RIGHTS). */
#pragma once

int fd_send(int sock, int fd);
/* Returns the received fd (close-on-exec) or -errno; -EPIPE when the peer closed. */
int fd_recv(int sock);
