/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Times one command the way an operator's script would run it, without the shell's own
 * fork in the figure: posix_spawn (vfork-like) with stdin and stdout on /dev/null, stderr
 * passed through, CLOCK_MONOTONIC around spawn..wait. Prints the elapsed microseconds on
 * stdout and exits with the command's status (128+signal when it was killed).
 *
 * Usage: bench-timeit [-o FILE] [-n MNTNS] [-p PATH] CMD [ARG...]
 *   -o FILE    the command's stdout goes to FILE
 *   -n MNTNS   run the command in the mount namespace bound at MNTNS (joined before the
 *              clock starts, so the figure carries no nsenter)
 *   -p PATH    the command's PATH (CMD itself is still looked up in ours)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CMD as posix_spawnp would find it, resolved before the clock starts */
static const char *find_in_path(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");

	while (path && *path) {
		const char *end = strchrnul(path, ':');
		int n = snprintf(buf, size, "%.*s/%s", (int)(end - path), path, name);

		if (n > 0 && (size_t)n < size && access(buf, X_OK) == 0)
			return buf;
		path = *end ? end + 1 : end;
	}
	return NULL;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int join_mntns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNS) < 0)
		r = -errno;
	close(fd);
	return r;
}

struct opts {
	const char *out, *child_path;
	int argi; /* CMD's index in argv */
};

/* Options come first, each a flag and its value; -n acts at once (before the clock). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	o->out = "/dev/null";
	o->child_path = NULL;
	for (o->argi = 1; o->argi + 1 < argc; o->argi += 2) {
		const char *flag = argv[o->argi], *value = argv[o->argi + 1];
		int r;

		if (flag[0] != '-' || !flag[1] || flag[2])
			break;
		if (flag[1] == 'o') {
			o->out = value;
		} else if (flag[1] == 'p') {
			o->child_path = value;
		} else if (flag[1] == 'n') {
			r = join_mntns(value);
			if (r < 0) {
				fprintf(stderr, "bench-timeit: join %s: %s\n", value, strerror(-r));
				return -1;
			}
		} else {
			break;
		}
	}
	if (o->argi >= argc) {
		fprintf(stderr, "Usage: %s [-o FILE] [-n MNTNS] [-p PATH] CMD [ARG...]\n", argv[0]);
		return -1;
	}
	return 0;
}

/* The timed part: spawn, wait. Returns the elapsed µs, or -1 when spawning failed. */
static long long spawn_and_wait(const char *cmd, char **args, posix_spawn_file_actions_t *fa,
                                int *ret_status)
{
	long long start = now_us();
	pid_t pid;
	int r = posix_spawn(&pid, cmd, fa, NULL, args, environ);

	if (r != 0) {
		fprintf(stderr, "bench-timeit: %s: %s\n", args[0], strerror(r));
		return -1;
	}
	while (waitpid(pid, ret_status, 0) < 0)
		if (errno != EINTR) {
			perror("bench-timeit: waitpid");
			return -1;
		}
	return now_us() - start;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct opts o;
	char cmdbuf[4096];
	const char *cmd;
	long long us;
	int status;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	/* CMD is looked up in our PATH before the clock starts (and before -p changes it) */
	cmd = argv[o.argi];
	if (!strchr(cmd, '/') && !(cmd = find_in_path(cmd, cmdbuf, sizeof(cmdbuf)))) {
		fprintf(stderr, "bench-timeit: %s: not found\n", argv[o.argi]);
		return 127;
	}
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, o.out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) {
		fprintf(stderr, "bench-timeit: out of memory\n");
		return 2;
	}
	if (o.child_path && setenv("PATH", o.child_path, 1) < 0) {
		perror("bench-timeit: setenv");
		return 2;
	}
	us = spawn_and_wait(cmd, argv + o.argi, &fa, &status);
	if (us < 0)
		return 127;
	printf("%lld\n", us);
	return exit_code(status);
}
