/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
	/* the tenant writes it: the host's root only reads it, whatever an older run left */
	if (c->log_fd < 0 || fchmod(c->log_fd, 0600) < 0)
		return -errno;
	return 0;
}

/* Unix socket paths are short: reach the directory through its fd's /proc link. */
static int socket_addr(int dir_fd, struct sockaddr_un *sa)
{
	int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/console.sock",
	                 dir_fd);

	sa->sun_family = AF_UNIX;
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

static int listen_socket(struct vps_console *c)
{
	struct sockaddr_un sa;
	int r = socket_addr(c->log_dir_fd, &sa);

	if (r < 0)
		return r;
	(void)unlinkat(c->log_dir_fd, "console.sock", 0);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0)
		return -errno;
	if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fchmodat(c->log_dir_fd, "console.sock", 0600, 0) < 0 || listen(c->listen_fd, 4) < 0)
		return -errno;
	return 0;
}

void vps_console_accept(struct vps_console *c)
{
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	char reply = c->client_fd >= 0 ? VPS_CONSOLE_BUSY : VPS_CONSOLE_OK;

	if (fd < 0)
		return;
	if (write(fd, &reply, 1) != 1 || reply == VPS_CONSOLE_BUSY) {
		close(fd);
		return;
	}
	c->client_fd = fd;
}

void vps_console_client_input(struct vps_console *c)
{
	char buf[4096];
	ssize_t n = read(c->client_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		closep(&c->client_fd);
		return;
	}
	(void)!write(c->master, buf, (size_t)n);
}

int vps_console_connect(const char *run_dir)
{
	_cleanup_close_ int dir = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -EBADF;
	struct sockaddr_un sa;
	char reply;
	int r;

	if (dir < 0)
		return -errno;
	r = socket_addr(dir, &sa);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (read(fd, &reply, 1) != 1)
		return -ECONNRESET;
	if (reply != VPS_CONSOLE_OK)
		return -EBUSY;
	return TAKE_FD(fd);
}

int vps_console_open(struct vps_console *c, const char *log_dir)
{
	struct termios t;
	int r;

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
	c->log_dir_fd = open(log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	/* made 0700, and made so again in case an older run left it otherwise */
	if (c->log_dir_fd < 0 || fchmod(c->log_dir_fd, 0700) < 0)
		return -errno;
	r = log_reopen(c);
	return r < 0 ? r : listen_socket(c);
}

int vps_console_adopt(struct vps_console *c, int master, int slave, int listen_fd,
                      const char *log_dir)
{
	c->log_max = LOG_MAX_DEFAULT;
	c->master = master;
	c->slave = slave;
	c->listen_fd = listen_fd;
	if (ptsname_r(c->master, c->slave_path, sizeof(c->slave_path)) != 0)
		return -errno;
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
	/* An attached client sees the output too; if it cannot keep up it loses some, the
	 * log keeps everything. */
	if (c->client_fd >= 0 && write(c->client_fd, buf, (size_t)n) < 0 && errno != EAGAIN)
		closep(&c->client_fd);
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
	closep(&c->client_fd);
	closep(&c->listen_fd);
	if (c->log_dir_fd >= 0)
		(void)unlinkat(c->log_dir_fd, "console.sock", 0);
	closep(&c->log_dir_fd);
}
