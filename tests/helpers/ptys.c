/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ptys [hold]: opens /dev/ptmx until the kernel refuses, then prints "opened N refused ERRNO"
 * (ERRNO by name: ENOSPC is the devpts max= or the kernel pool). With "hold" it keeps them
 * open and sleeps until killed, so a test can show what a full devpts does to others. Static:
 * it runs inside test VPSes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_OPEN 100000

static const char *errno_name(int e)
{
	switch (e) {
	case ENOSPC:
		return "ENOSPC";
	case EMFILE:
		return "EMFILE";
	case ENFILE:
		return "ENFILE";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EIO:
		return "EIO";
	default:
		return strerror(e);
	}
}

int main(int argc, char **argv)
{
	int hold = argc == 2 && strcmp(argv[1], "hold") == 0, n = 0, e = 0;
	struct rlimit rl;

	if (argc > 2 || (argc == 2 && !hold)) {
		fprintf(stderr, "usage: ptys [hold]\n");
		return 2;
	}
	/* enough fds that the fd limit is never what stops us */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; n < MAX_OPEN; n++)
		if (open("/dev/ptmx", O_RDWR | O_NOCTTY) < 0) {
			e = errno;
			break;
		}
	printf("opened %d refused %s\n", n, n == MAX_OPEN ? "none" : errno_name(e));
	if (!hold)
		return 0;
	for (;;)
		pause();
}
