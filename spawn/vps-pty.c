/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "vps-pty.h"

int vps_pty_child_setup(int sock)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	_cleanup_close_ int slave = -EBADF;
	char name[64];
	int r;

	if (master < 0)
		return -errno;
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return -errno;
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return -errno;
	r = fd_send(sock, master);
	if (r < 0)
		return r;
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return -errno;
	return 0;
}

static int copy_once(int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n == 0 ? -EPIPE : (errno == EAGAIN || errno == EINTR ? 0 : -errno);
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		off += w > 0 ? w : 0;
	}
	return 1;
}

static void copy_winsize(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(master, TIOCSWINSZ, &ws);
}

#define DETACH_KEY 0x1d /* Ctrl-] */

/* Copies stdin to fd; with detach, Ctrl-] q ends the session (-ECONNRESET). */
static int copy_input(int fd, bool detach, bool *armed)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf)), start = 0;

	if (n <= 0)
		return n == 0 ? -EPIPE : (errno == EAGAIN || errno == EINTR ? 0 : -errno);
	for (ssize_t i = 0; detach && i < n; i++) {
		if (*armed && (buf[i] == 'q' || buf[i] == 'Q'))
			return -ECONNRESET;
		*armed = buf[i] == DETACH_KEY;
		if (*armed) {
			/* keep the key back until we know it is not a detach */
			if (i > start && write(fd, buf + start, (size_t)(i - start)) < 0)
				return -errno;
			start = i + 1;
		}
	}
	if (n > start && write(fd, buf + start, (size_t)(n - start)) < 0)
		return -errno;
	return 1;
}

static int relay(int master, int child_fd, int sigfd, bool detach)
{
	bool in_open = true, armed = false;

	for (;;) {
		struct pollfd p[4] = {
			{.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
			{.fd = master, .events = POLLIN},
			{.fd = sigfd, .events = POLLIN},
			{.fd = child_fd, .events = POLLIN},
		};
		int r;

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents && copy_once(master, STDOUT_FILENO) < 0)
			return 0; /* every slave closed: the session ended */
		if (p[0].revents) {
			r = copy_input(master, detach, &armed);
			if (r == -ECONNRESET)
				return 0;
			if (r < 0)
				in_open = false;
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;

			while (read(sigfd, &si, sizeof(si)) == sizeof(si))
				;
			copy_winsize(master);
		}
		if (p[3].revents) {
			/* The command exited: drain what it wrote, then stop. */
			(void)fcntl(master, F_SETFL, O_NONBLOCK);
			while (copy_once(master, STDOUT_FILENO) > 0)
				;
			return 0;
		}
	}
}

int vps_tty_relay(int fd, int child_pidfd, bool detach)
{
	_cleanup_close_ int sigfd = -EBADF;
	struct termios saved, raw;
	bool is_tty = tcgetattr(STDIN_FILENO, &saved) == 0;
	sigset_t set;
	int r;

	if (child_pidfd >= 0) {
		sigemptyset(&set);
		sigaddset(&set, SIGWINCH);
		if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
			return -errno;
		sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		if (sigfd < 0)
			return -errno;
		if (is_tty)
			copy_winsize(fd);
	}
	if (is_tty) {
		raw = saved;
		cfmakeraw(&raw);
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	r = relay(fd, child_pidfd, sigfd, detach);
	if (is_tty)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return r;
}

int vps_pty_relay(int sock, pid_t child)
{
	_cleanup_close_ int master = fd_recv(sock);
	_cleanup_close_ int child_fd = -EBADF;

	if (master < 0)
		return master;
	child_fd = (int)syscall(SYS_pidfd_open, child, 0);
	if (child_fd < 0)
		return -errno;
	return vps_tty_relay(master, child_fd, false);
}
