/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forkbomb SECONDS: every process forks as fast as it can, and each child does the same,
 * retrying refused forks, until SECONDS have passed; then each one exits by itself, so
 * nothing of it outlives the test even if the pids cap were missing. The first process
 * reports how many of its own forks were refused. Static: it runs inside test VPSes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	uint64_t secs, deadline, refused = 0;
	pid_t leader = getpid();

	if (argc != 2 || parse_uint64_range(argv[1], 1, 600, &secs) < 0) {
		fprintf(stderr, "usage: forkbomb SECONDS\n");
		return 2;
	}
	deadline = now_ms() + secs * 1000;
	while (now_ms() < deadline) {
		pid_t p = fork();

		if (p < 0) {
			refused++;
			usleep(10000);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	if (getpid() != leader)
		_exit(0);
	printf("refused %llu forks\n", (unsigned long long)refused);
	return 0;
}
