/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alloc MB [hold]: allocate and touch MB mebibytes of anonymous memory, 1 MiB at a time,
 * reporting progress, so a memory cap is hit for real (dd through a pipe never holds
 * memory). With "hold" it then prints "holding MB" and sleeps until killed, so a test can
 * shrink the cap under a known usage. Static: it runs inside test VPSes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "parse.h"

#define MIB (1UL << 20)

int main(int argc, char **argv)
{
	uint64_t mb;
	int hold = argc == 3 && strcmp(argv[2], "hold") == 0;

	if ((argc != 2 && !hold) || parse_uint64_range(argv[1], 1, 1 << 20, &mb) < 0) {
		fprintf(stderr, "usage: alloc MB [hold]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (uint64_t i = 1; i <= mb; i++) {
		char *p =
			mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("alloc: mmap");
			return 1;
		}
		/* non-zero bytes: every page really gets charged */
		memset(p, 0x5a, MIB);
		if (i % 16 == 0 || i == mb)
			printf("allocated %llu MB\n", (unsigned long long)i);
	}
	if (!hold)
		return 0;
	printf("holding %llu MB\n", (unsigned long long)mb);
	for (;;)
		pause();
}
