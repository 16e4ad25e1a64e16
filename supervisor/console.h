/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VPS console: a pty pair the supervisor holds, its output kept in a size-capped log. */
#pragma once

#include <stddef.h>

struct vps_console {
	int master;
	int slave;
	char slave_path[64];
	int log_dir_fd;
	int log_fd;
	size_t log_max; /* bytes before console.log rotates to console.log.1 */
	int listen_fd;  /* console.sock: `vpsctl console` attaches here */
	int client_fd;  /* the one attached client, or -1 */
};

#define VPS_CONSOLE_INIT                                                                           \
	{                                                                                          \
		.master = -1, .slave = -1, .log_dir_fd = -1, .log_fd = -1, .listen_fd = -1,        \
		.client_fd = -1                                                                    \
	}

/* First byte a client reads: attached, or someone else is. */
#define VPS_CONSOLE_OK   'O'
#define VPS_CONSOLE_BUSY 'B'

int vps_console_open(struct vps_console *c, const char *log_dir);
/* The same console in a new program (the supervisor after its exec): the pty pair and the
 * socket it listens on were inherited; the log is opened again. */
int vps_console_adopt(struct vps_console *c, int master, int slave, int listen_fd,
                      const char *log_dir);
/* Moves what the VPS wrote to the console into the log; -EAGAIN when there was nothing. */
int vps_console_pump(struct vps_console *c);
/* Appends a line of our own ("[vpsctl] rebooting") to the log. */
void vps_console_note(struct vps_console *c, const char *text);
void vps_console_close(struct vps_console *c);
/* Takes a new client on listen_fd (one at a time; a second one is told it is busy). */
void vps_console_accept(struct vps_console *c);
/* Moves what the attached client typed to the console; closes it on EOF. */
void vps_console_client_input(struct vps_console *c);
/* Client side: connects to the console socket in run_dir; returns the fd or -errno
 * (-EBUSY when another client is attached). */
int vps_console_connect(const char *run_dir);
