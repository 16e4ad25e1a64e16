/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * echod serve PORT: a TCP echo server, one connection at a time (each request is a new
 * connection: connect, a line out, the same line back, close).
 * echod ping ADDR PORT COUNT GAP_MS: COUNT such requests GAP_MS apart, printing each one's
 * round trip in microseconds, or "fail REASON" when it failed or took over 10 s.
 * The neighbour tests run the server inside a VPS and the client on the node. Static: it runs
 * inside test VPSes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

#define TIMEOUT_MS 10000

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A stuck peer never holds us past TIMEOUT_MS. */
static int set_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = TIMEOUT_MS / 1000};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

static int serve(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		perror("echod: listen");
		return 1;
	}
	printf("listening on %u\n", port);
	fflush(stdout);
	for (;;) {
		char buf[256];
		ssize_t n;
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		if (set_timeouts(c) == 0 && (n = read(c, buf, sizeof(buf))) > 0 &&
		    write(c, buf, (size_t)n) != n)
			perror("echod: write");
		close(c);
	}
}

/* One request: its round trip in microseconds, or -errno. */
static int64_t request(const struct sockaddr_in *sa)
{
	static const char msg[] = "ping\n";
	char buf[sizeof(msg)];
	uint64_t t0 = now_us();
	int r = 0, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (set_timeouts(fd) < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    write(fd, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
		r = -errno;
	else if ((n = read(fd, buf, sizeof(buf))) < 0)
		r = -errno;
	else if (n != (ssize_t)sizeof(msg) - 1 || memcmp(buf, msg, (size_t)n) != 0)
		r = -EPROTO;
	close(fd);
	if (r < 0)
		return r;
	return (int64_t)(now_us() - t0);
}

static int ping(const char *addr, uint16_t port, uint64_t count, uint64_t gap_ms)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int failed = 0;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "echod: bad address '%s'\n", addr);
		return 2;
	}
	for (uint64_t i = 0; i < count; i++) {
		int64_t us = request(&sa);

		if (us < 0 || us > (int64_t)TIMEOUT_MS * 1000) {
			printf("fail %s\n", us < 0 ? strerror((int)-us) : "over 10 s");
			failed = 1;
		} else {
			printf("%lld\n", (long long)us);
		}
		fflush(stdout);
		if (gap_ms > 0)
			poll(NULL, 0, (int)gap_ms);
	}
	return failed;
}

int main(int argc, char **argv)
{
	uint64_t port, count, gap;

	if (argc == 3 && strcmp(argv[1], "serve") == 0 &&
	    parse_uint64_range(argv[2], 1, 65535, &port) == 0)
		return serve((uint16_t)port);
	if (argc == 6 && strcmp(argv[1], "ping") == 0 &&
	    parse_uint64_range(argv[3], 1, 65535, &port) == 0 &&
	    parse_uint64_range(argv[4], 1, 1000000, &count) == 0 &&
	    parse_uint64_range(argv[5], 0, 60000, &gap) == 0)
		return ping(argv[2], (uint16_t)port, count, gap);
	fprintf(stderr, "usage: echod serve PORT | echod ping ADDR PORT COUNT GAP_MS\n");
	return 2;
}
