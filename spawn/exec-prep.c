/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec-prep.h"
#include "security.h"

void vps_exec_reset_signals(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t none;

	for (int sig = 1; sig < _NSIG; sig++)
		(void)sigaction(sig, &sa, NULL); /* SIGKILL, SIGSTOP and glibc's own refuse: fine */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

int vps_exec_become_root(void)
{
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	return 0;
}

int vps_exec_lock_down(const struct vps_config *cfg, struct vps_error *err)
{
	int r = vps_security_apply(cfg, err);

	if (r < 0)
		return r;
	/* nothing of the host's fds may reach the VPS */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return vps_error_errno(err, -errno, "failed to mark fds close-on-exec");
	return 0;
}
