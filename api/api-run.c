/* SPDX-License-Identifier: GPL-2.0-or-later */
/* api-run.h: posix_spawn of vpsctl, its stdout and stderr read through two pipes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api-run.h"
#include "cleanup.h"

#define OUT_MAX  (16u << 20)
#define ERR_MAX  8192
#define ARGS_MAX 48

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int append(char **buf, size_t *len, size_t *cap, size_t max, int fd)
{
	ssize_t n;

	if (*cap - *len < 4096) {
		size_t c = *cap ? *cap * 2 : 8192;
		char *b;

		if (c > max + 4096)
			return -EFBIG;
		b = realloc(*buf, c);
		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = c;
	}
	n = read(fd, *buf + *len, *cap - *len - 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return n > 0;
}

/* The last non-empty line of stderr: the CLI's one line of error. */
static void last_line(const char *s, char *out, size_t len)
{
	const char *end = s + strlen(s), *start;

	while (end > s && end[-1] == '\n')
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	if (strncmp(start, "vpsctl: ", 8) == 0)
		start += 8;
	snprintf(out, len, "%.*s", (int)(end - start), start);
}

/* Reads both pipes until both close or the time is up. */
static int collect(int fdo, int fde, unsigned timeout_s, struct api_run *r, char **err,
                   size_t *err_len)
{
	size_t cap = 0, ecap = 0;
	uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
	struct pollfd p[2] = {{.fd = fdo, .events = POLLIN}, {.fd = fde, .events = POLLIN}};

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		uint64_t now = now_ms();
		int n;

		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(p, 2, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < 2 && n > 0; i++) {
			int k;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			k = i == 0 ? append(&r->out, &r->out_len, &cap, OUT_MAX, p[i].fd)
			           : append(err, err_len, &ecap, ERR_MAX, p[i].fd);
			if (k < 0 && k != -EFBIG)
				return k;
			if (k <= 0)
				p[i].fd = -1;
		}
	}
	return 0;
}

/* A pipe holding input, closed for writing: a stdin that ends after it. */
static int input_pipe(const char *input)
{
	int p[2];
	size_t n = strlen(input);

	if (n > 60000)
		return -E2BIG;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if (write(p[1], input, n) != (ssize_t)n) {
		close(p[0]);
		close(p[1]);
		return -EIO;
	}
	close(p[1]);
	return p[0];
}

int api_run_vpsctl(const char *vpsctl, const char *root, const char *const *args,
                   unsigned timeout_s, struct api_run *ret)
{
	return api_run_vpsctl_input(vpsctl, root, args, NULL, timeout_s, ret);
}

int api_run_vpsctl_input(const char *vpsctl, const char *root, const char *const *args,
                         const char *input, unsigned timeout_s, struct api_run *ret)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL};
	const char *argv[ARGS_MAX];
	_cleanup_close_ int out_r = -EBADF, err_r = -EBADF, in_r = -EBADF;
	_cleanup_free_ char *err = NULL;
	int po[2], pe[2], r, st;
	size_t n = 0, err_len = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	memset(ret, 0, sizeof(*ret));
	ret->status = -1;
	argv[n++] = vpsctl;
	if (root && *root) {
		argv[n++] = "--root";
		argv[n++] = root;
	}
	for (; *args; args++) {
		if (n + 1 >= ARGS_MAX)
			return -E2BIG;
		argv[n++] = *args;
	}
	argv[n] = NULL;
	if (input) {
		in_r = input_pipe(input);
		if (in_r < 0)
			return in_r;
	}
	/* O_CLOEXEC: another thread's spawn must not inherit this one's pipes */
	if (pipe2(po, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		r = -errno;
		close(po[0]);
		close(po[1]);
		return r;
	}
	out_r = po[0];
	err_r = pe[0];
	posix_spawn_file_actions_init(&fa);
	if (in_r >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_r, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	/* only the three: an fd made by a library without O_CLOEXEC (libmicrohttpd's TLS
	 * socketpairs) or inherited from our parent must not reach vpsctl */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	r = posix_spawn(&pid, vpsctl, &fa, NULL, (char *const *)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (r != 0)
		return -r;
	r = collect(out_r, err_r, timeout_s, ret, &err, &err_len);
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!ret->out) {
		ret->out = strdup("");
		if (!ret->out)
			return -ENOMEM;
	}
	if (err)
		last_line(err, ret->err, sizeof(ret->err));
	if (r == -ETIMEDOUT)
		snprintf(ret->err, sizeof(ret->err), "timed out after %us", timeout_s);
	ret->status = r == 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return 0;
}

void api_run_done(struct api_run *r)
{
	free(r->out);
	r->out = NULL;
}
