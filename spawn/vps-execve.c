/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vps-execve: the last exec on the way into a VPS (its init, or a command of exec/enter).
 *
 * Why it exists: an exec resolves a script's interpreter in the calling process, so a tenant's
 * `#!/proc/self/exe` script (or a binfmt_misc entry) makes the kernel run whatever binary the
 * caller is. Run from vpsctl or vps-supervisor, that is the host's runtime binary, inside the
 * VPS, with a handle a tenant can reopen for writing (CVE-2019-5736). So the caller execs this
 * program instead, from a read-only, detached bind mount (execve-guard.c); only then is the
 * tenant's path exec'd, and /proc/self/exe can lead nowhere writable.
 *
 * Static, so that no library or loader of the VPS's is loaded into it.
 *
 * argv: vps-execve REPORT MODE NAME TARGET-ARGV...
 *   REPORT  "-": a failure is one line on stderr, exit 127 (not found) or 126;
 *           a number: the sync socket (sync.h), a failure is a VPS_SYNC_ERROR message on it
 *   MODE    "path": TARGET-ARGV[0] is the path; "search": looked up in PATH (as execvp)
 *   NAME    the VPS, for the message
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "sync.h"

extern char **environ;

static int report_fd(const char *s)
{
	int v;

	if (strcmp(s, "-") == 0)
		return -1;
	return parse_int_range(s, 0, 1023, &v) < 0 ? -2 : v;
}

int main(int argc, char **argv)
{
	char what[VPS_SYNC_TEXT_MAX];
	int fd, err;

	if (argc < 5)
		return 126;
	fd = report_fd(argv[1]);
	if (fd == -2)
		return 126;
	/* the socket tells the host that the target was exec'd by closing */
	if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return 126;
	if (strcmp(argv[2], "search") == 0)
		execvp(argv[4], argv + 4);
	else
		execve(argv[4], argv + 4, environ);
	err = errno;
	if (fd >= 0) {
		snprintf(what, sizeof(what), "failed to exec %s: %s", argv[4], strerror(err));
		(void)vps_sync_send(fd, VPS_SYNC_ERROR, -err, what);
		return 1;
	}
	fprintf(stderr, "vpsctl: %s: failed to execute '%s': %s\n", argv[3], argv[4],
	        strerror(err));
	return err == ENOENT ? 127 : 126;
}
