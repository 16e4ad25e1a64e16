/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec-relay.h"

/* After the command exited, at most this much more of its output is copied: a process it left
 * behind that keeps writing must not keep us here. */
#define DRAIN_MAX (1 << 20)

int exec_pipes_open(struct exec_pipes *p)
{
	int fds[3][2];
	int n;

	for (n = 0; n < 3; n++)
		if (pipe2(fds[n], O_CLOEXEC) < 0)
			break;
	if (n < 3) {
		int r = -errno;

		while (n-- > 0) {
			close(fds[n][0]);
			close(fds[n][1]);
		}
		return r;
	}
	*p = (struct exec_pipes){.in = fds[0][1],
	                         .out = fds[1][0],
	                         .err = fds[2][0],
	                         .child = {fds[0][0], fds[1][1], fds[2][1]}};
	return 0;
}

void exec_pipes_close(struct exec_pipes *p)
{
	closep(&p->in);
	closep(&p->out);
	closep(&p->err);
	for (int i = 0; i < 3; i++)
		closep(&p->child[i]);
}

int exec_pipes_child(const struct exec_pipes *p)
{
	for (int i = 0; i < 3; i++)
		if (dup2(p->child[i], i) < 0)
			return -errno;
	return 0;
}

/* One read from fd, written whole to out: 1 copied, 0 nothing now, -EPIPE at EOF. */
static int pass(int fd, int out)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(out, buf + off, (size_t)(n - off));

		if (w < 0 && errno != EINTR)
			return -errno;
		off += w > 0 ? w : 0;
	}
	return (int)n;
}

void exec_drain(int fd, int out, size_t max)
{
	size_t done = 0;
	int r;

	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return;
	while (done < max && (r = pass(fd, out)) > 0)
		done += (size_t)r;
}

static void forward_signals(int sigfd, int child_pidfd)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si))
		(void)syscall(SYS_pidfd_send_signal, child_pidfd, (int)si.ssi_signo, NULL, 0);
}

static int open_sigfd(sigset_t *old)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* The caller's input on its way to the command; read only when the last piece went out, so
 * that a command that does not read cannot stall the relay of its output. */
struct input {
	char buf[16384];
	size_t len, off;
	bool eof; /* our stdin ended */
};

/* Our stdin was readable (a single read, which does not block then; stdin is shared with
 * the caller's shell, so it is never made non-blocking). */
static void input_read(struct input *in, int *to)
{
	ssize_t n = read(STDIN_FILENO, in->buf, sizeof(in->buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		in->len = (size_t)n;
		in->off = 0;
		return;
	}
	in->eof = true;
	closep(to); /* the command sees EOF */
}

/* The command closed its stdin, or the pipe broke: what is left is dropped. */
static void input_drop(struct input *in, int *to)
{
	in->len = in->off = 0;
	in->eof = true;
	closep(to);
}

static void input_write(struct input *in, int *to, short revents)
{
	ssize_t w;

	if (!(revents & POLLOUT)) {
		input_drop(in, to);
		return;
	}
	w = write(*to, in->buf + in->off, in->len - in->off);
	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			input_drop(in, to);
		return;
	}
	in->off += (size_t)w;
	if (in->off == in->len)
		in->len = in->off = 0;
}

static void output(int *fd, int out)
{
	if (pass(*fd, out) < 0)
		closep(fd);
}

int exec_pipes_relay(struct exec_pipes *p, int child_pidfd)
{
	_cleanup_close_ int sigfd = -EBADF;
	struct input in = {.eof = false};
	struct sigaction old_pipe;
	sigset_t old;

	if (fcntl(p->in, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	sigfd = open_sigfd(&old);
	if (sigfd < 0)
		return sigfd;
	/* a reader of ours that went away is an EPIPE to handle, not a signal that kills us */
	(void)sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, &old_pipe);
	for (;;) {
		struct pollfd f[6] = {
			{.fd = !in.eof && in.len == 0 ? STDIN_FILENO : -1, .events = POLLIN},
			{.fd = in.len > 0 ? p->in : -1, .events = POLLOUT},
			{.fd = p->out, .events = POLLIN},
			{.fd = p->err, .events = POLLIN},
			{.fd = sigfd, .events = POLLIN},
			{.fd = child_pidfd, .events = POLLIN},
		};

		if (poll(f, 6, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (f[0].revents)
			input_read(&in, &p->in);
		if (f[1].revents)
			input_write(&in, &p->in, f[1].revents);
		if (f[2].revents)
			output(&p->out, STDOUT_FILENO);
		if (f[3].revents)
			output(&p->err, STDERR_FILENO);
		if (f[4].revents)
			forward_signals(sigfd, child_pidfd);
		if (f[5].revents)
			break;
	}
	/* The command exited: what it wrote is in the pipes; then the relay ends. */
	exec_drain(p->out, STDOUT_FILENO, DRAIN_MAX);
	exec_drain(p->err, STDERR_FILENO, DRAIN_MAX);
	exec_pipes_close(p);
	(void)sigaction(SIGPIPE, &old_pipe, NULL);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
