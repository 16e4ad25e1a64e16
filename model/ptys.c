/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "fileio.h"
#include "parse.h"
#include "ptys.h"

static int read_sysctl(const char *path, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int r = read_file_at(AT_FDCWD, path, 64, &text, NULL);

	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	return parse_uint64(text, ret);
}

int vps_devpts_check(uint64_t ptys, const char *what, struct vps_error *err)
{
	uint64_t max, reserve;

	if (read_sysctl("/proc/sys/kernel/pty/max", &max) < 0 ||
	    read_sysctl("/proc/sys/kernel/pty/reserve", &reserve) < 0)
		return 0; /* no figures: the kernel's pool limits it all the same */
	if (ptys >= 1 && ptys <= (max > reserve ? max - reserve : 0))
		return 0;
	vps_error_set(err, -ERANGE,
	              "%s %" PRIu64 " is more than the %" PRIu64 " ptys the kernel leaves "
	              "for all VPSes together (kernel.pty.max %" PRIu64
	              " less kernel.pty.reserve %" PRIu64 ")",
	              what, ptys, max > reserve ? max - reserve : 0, max, reserve);
	return -ERANGE;
}
