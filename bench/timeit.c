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

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	const char *out = "/dev/null", *child_path = NULL;
	long long start, end;
	int argi = 1, status, r;
	char cmdbuf[4096];
	const char *cmd;
	pid_t pid;

	while (argi + 1 < argc && argv[argi][0] == '-' && argv[argi][1] &&
	       argv[argi][2] == '\0') {
		if (argv[argi][1] == 'o') {
			out = argv[argi + 1];
		} else if (argv[argi][1] == 'p') {
			child_path = argv[argi + 1];
		} else if (argv[argi][1] == 'n') {
			r = join_mntns(argv[argi + 1]);
			if (r < 0) {
				fprintf(stderr, "bench-timeit: join %s: %s\n", argv[argi + 1], strerror(-r));
				return 2;
			}
		} else {
			break;
		}
		argi += 2;
	}
	if (argi >= argc) {
		fprintf(stderr, "Usage: %s [-o FILE] [-n MNTNS] [-p PATH] CMD [ARG...]\n", argv[0]);
		return 2;
	}
	cmd = argv[argi];
	if (!strchr(cmd, '/')) {
		cmd = find_in_path(cmd, cmdbuf, sizeof(cmdbuf));
		if (!cmd) {
			fprintf(stderr, "bench-timeit: %s: not found\n", argv[argi]);
			return 127;
		}
	}
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644) != 0) {
		fprintf(stderr, "bench-timeit: out of memory\n");
		return 2;
	}
	if (child_path && setenv("PATH", child_path, 1) < 0) {
		perror("bench-timeit: setenv");
		return 2;
	}
	start = now_us();
	r = posix_spawn(&pid, cmd, &fa, NULL, argv + argi, environ);
	if (r != 0) {
		fprintf(stderr, "bench-timeit: %s: %s\n", argv[argi], strerror(r));
		return 127;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("bench-timeit: waitpid");
			return 2;
		}
	end = now_us();
	printf("%lld\n", end - start);
	return exit_code(status);
}
