/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "fileio.h"
#include "log.h"

const char *const vps_devices_allow[] = {
	"c *:* m", /* mknod of any node (package managers); nodev keeps them inert */
	"b *:* m",     "c 1:3 rwm", /* null */
	"c 1:5 rwm",                /* zero */
	"c 1:7 rwm",                /* full */
	"c 1:8 rwm",                /* random */
	"c 1:9 rwm",                /* urandom */
	"c 5:0 rwm",                /* tty */
	"c 5:2 rwm",                /* ptmx */
	"c 136:* rwm",              /* pty slaves: the VPS's devpts and its console */
	NULL,
};

static int write_rule(int fd, const char *rule)
{
	ssize_t n = write(fd, rule, strlen(rule));

	if (n < 0)
		return log_debug_errno(-errno, "Writing device rule '%s': %m", rule);
	return (size_t)n == strlen(rule) ? 0 : -EIO;
}

int vps_devices_apply_at(int dirfd)
{
	_cleanup_close_ int deny = -EBADF, allow = -EBADF;
	int r;

	deny = openat(dirfd, "devices.deny", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (deny < 0)
		return -errno;
	allow = openat(dirfd, "devices.allow", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (allow < 0)
		return -errno;
	r = write_rule(deny, "a");
	for (size_t i = 0; r == 0 && vps_devices_allow[i]; i++)
		r = write_rule(allow, vps_devices_allow[i]);
	return r;
}
