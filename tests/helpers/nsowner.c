/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nsowner PATH: the owner uid of the user namespace PATH names (/proc/PID/ns/user), by
 * NS_GET_OWNER_UID; runs on the node (the v2 VM has no python). */
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned uid;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: nsowner /proc/PID/ns/user\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, NS_GET_OWNER_UID, &uid) < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("%u\n", uid);
	close(fd);
	return 0;
}
