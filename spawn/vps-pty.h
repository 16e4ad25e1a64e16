/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A pty from the VPS's own devpts for `vpsctl enter`, relayed to the caller's terminal. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* In the child, inside the VPS mount namespace: allocates a pty, sends the master over sock,
 * makes the slave its controlling terminal and stdio. */
int vps_pty_child_setup(int sock);
/* In the caller: receives the master, puts our tty in raw mode and relays until child exits. */
int vps_pty_relay(int sock, pid_t child);
/* Relays our stdin/stdout to fd in raw mode until fd closes, the process child_pidfd (or -1)
 * exits, or, with detach, the user types Ctrl-] q. */
int vps_tty_relay(int fd, int child_pidfd, bool detach);
