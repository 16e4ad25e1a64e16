/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "vps-clone.h"

pid_t vps_clone(uint64_t flags, int cgfd, int *ret_pidfd, bool *ret_in_cgroup)
{
	struct clone_args args = {
		.flags = flags,
		.pidfd = (uint64_t)(uintptr_t)ret_pidfd,
		.exit_signal = SIGCHLD,
	};
	pid_t pid;

	if (cgfd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgfd;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && cgfd >= 0 && (errno == EINVAL || errno == E2BIG)) {
		args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		args.cgroup = 0;
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	}
	/* no clone3 at all (before 5.3, or filtered by a seccomp profile around us) */
	if (pid < 0 && errno == ENOSYS && flags == 0) {
		args.flags = 0;
		pid = fork();
	}
	*ret_in_cgroup = pid >= 0 && (args.flags & CLONE_INTO_CGROUP);
	return pid;
}
