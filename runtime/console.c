/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"

#define LOG_MAX_DEFAULT (1024 * 1024)

static int log_reopen(struct vps_console *c)
{
	if (c->log_fd >= 0)
		close(c->log_fd);
	c->log_fd = openat(c->log_dir_fd, "console.log",
			   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	return c->log_fd < 0 ? -errno : 0;
}

int vps_console_open(struct vps_console *c, const char *log_dir)
{
	struct termios t;

	c->log_max = LOG_MAX_DEFAULT;
	c->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->master < 0)
		return -errno;
	if (grantpt(c->master) < 0 || unlockpt(c->master) < 0 ||
	    ptsname_r(c->master, c->slave_path, sizeof(c->slave_path)) != 0)
		return -errno;
	if (fcntl(c->master, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	/* The supervisor keeps the slave open too, so the master never sees a hangup. */
	c->slave = open(c->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->slave < 0)
		return -errno;
	if (tcgetattr(c->slave, &t) == 0) {
		t.c_oflag |= ONLCR | OPOST;
		(void)tcsetattr(c->slave, TCSANOW, &t);
	}
	c->log_dir_fd = open(log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->log_dir_fd < 0)
		return -errno;
	return log_reopen(c);
}

static void log_write(struct vps_console *c, const char *buf, size_t n)
{
	struct stat st;

	if (c->log_fd < 0)
		return;
	if (fstat(c->log_fd, &st) == 0 && (size_t)st.st_size + n > c->log_max) {
		(void)renameat(c->log_dir_fd, "console.log", c->log_dir_fd, "console.log.1");
		if (log_reopen(c) < 0)
			return;
	}
	(void)!write(c->log_fd, buf, n);
}

int vps_console_pump(struct vps_console *c)
{
	char buf[4096];
	ssize_t n = read(c->master, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (n == 0)
		return -EAGAIN;
	log_write(c, buf, (size_t)n);
	return 0;
}

void vps_console_note(struct vps_console *c, const char *text)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "\r\n[vpsctl] %s\r\n", text);

	if (n > 0)
		log_write(c, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void vps_console_close(struct vps_console *c)
{
	closep(&c->master);
	closep(&c->slave);
	closep(&c->log_fd);
	closep(&c->log_dir_fd);
}
