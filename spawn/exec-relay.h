/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec without a terminal: the command's stdio are pipes that we relay, never our own fds, so
 * that nothing left behind in the VPS can read the caller's input once the command exits. */
#pragma once

#include <stdbool.h>

/* Our end of each pipe; the child's ends go onto its 0, 1 and 2. */
struct exec_pipes {
	int in;  /* we write the caller's stdin here */
	int out; /* the command's stdout */
	int err; /* the command's stderr */
	int child[3];
};

/* Makes the three pipes (close-on-exec); on failure nothing stays open. */
int exec_pipes_open(struct exec_pipes *p);
void exec_pipes_close(struct exec_pipes *p);
/* In the child: its pipe ends become 0, 1, 2. */
int exec_pipes_child(const struct exec_pipes *p);
/* Relays stdin to the command and its output to our stdout/stderr until the process behind
 * child_pidfd exits (then what is buffered is drained and the relay stops, whoever still
 * holds the pipes). SIGINT, SIGTERM, SIGHUP and SIGQUIT that reach us are passed on. */
int exec_pipes_relay(struct exec_pipes *p, int child_pidfd);
/* Copies what is readable on fd to out, without waiting; stops at EOF or after max bytes. */
void exec_drain(int fd, int out, size_t max);
