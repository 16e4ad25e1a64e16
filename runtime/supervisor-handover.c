/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The supervisor that started a VPS is a fork of the command that started it (so the start
 * waits for no exec and no second program's loading); once init runs it execs vps-supervisor,
 * which supervises on with a fraction of the memory. init stays its child across the exec; the
 * fds the loop needs are passed by number, every other fd closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "supervisor.h"

static int set_cloexec(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		return -errno;
	flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, flags) < 0 ? -errno : 0;
}

void vps_supervisor_handover(const struct vps_supervisor_args *a, const int fds[_VPS_HANDOVER_MAX])
{
	char path[PATH_MAX], fdlist[64], notify[PATH_MAX + 16];
	char *argv[12], *envp[3];
	const char *ns = getenv("NOTIFY_SOCKET");
	int n = 0, e = 0, i;

	if (vps_libexec_path("vps-supervisor", path, sizeof(path)) < 0)
		return;
	snprintf(fdlist, sizeof(fdlist), "%d,%d,%d,%d", fds[0], fds[1], fds[2], fds[3]);
	argv[n++] = path;
	argv[n++] = "--fds";
	argv[n++] = fdlist;
	argv[n++] = "--root";
	argv[n++] = a->paths->root[0] ? (char *)a->paths->root : "/";
	if (a->foreground)
		argv[n++] = "--foreground";
	if (log_get_max_level() >= LOG_LEVEL_DEBUG)
		argv[n++] = "--debug";
	argv[n++] = (char *)a->cfg->name;
	argv[n] = NULL;
	envp[e++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	/* under systemd (Type=notify, --foreground) the unit hears STOPPING=1 from the new
	 * program too; a supervisor in the background talks to no unit of its caller's */
	if (a->foreground && ns &&
	    snprintf(notify, sizeof(notify), "NOTIFY_SOCKET=%s", ns) < (int)sizeof(notify))
		envp[e++] = notify;
	envp[e] = NULL;
	/* Whatever the caller of `vpsctl start` left open must not live as long as the VPS. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return;
	for (i = 0; i < _VPS_HANDOVER_MAX; i++)
		if (set_cloexec(fds[i], false) < 0)
			break;
	if (i == _VPS_HANDOVER_MAX) {
		execve(path, argv, envp);
		(void)log_warning_errno(-errno, "Cannot exec %s, supervising from this process: %m",
					path);
	}
	while (i-- > 0)
		(void)set_cloexec(fds[i], true);
}
