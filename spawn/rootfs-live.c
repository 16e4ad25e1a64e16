/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec-prep.h"
#include "rootfs-live.h"
#include "state.h"

struct live {
	int init_fd; /* pidfd of the VPS's init */
	bool userns;
	const char *hostname;
	vps_root_fn fn;
	void *data;
};

/* In the child: joins the VPS, sets the host name, then fn on its "/". */
static int live_body(void *data, struct vps_error *err)
{
	struct live *l = data;
	_cleanup_close_ int rootfd = -EBADF;
	int r;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return vps_error_errno(err, -errno, "failed to mark the process undumpable");
	if (setns(l->init_fd, CLONE_NEWNS | CLONE_NEWUTS | (l->userns ? CLONE_NEWUSER : 0)) < 0)
		return vps_error_errno(err, -errno, "failed to join the VPS namespaces");
	if (l->userns) {
		r = vps_exec_become_root();
		if (r < 0)
			return vps_error_errno(err, r,
			                       "failed to become root of the VPS's user namespace");
	}
	rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return vps_error_errno(err, -errno, "failed to open the VPS's root");
	r = l->fn(rootfd, 0, 0, l->data, err);
	/* last: a refused file write changes nothing */
	if (r == 0 && l->hostname && sethostname(l->hostname, strlen(l->hostname)) < 0)
		r = vps_error_errno(err, -errno, "failed to set the host name");
	return r;
}

int vps_live_run(const struct vps_paths *p, const struct vps_config *cfg, const char *hostname,
                 vps_root_fn fn, void *data, struct vps_error *err)
{
	_cleanup_close_ int init_fd = -EBADF;
	struct vps_state st;
	struct live l = {.hostname = hostname, .fn = fn, .data = data};

	if (vps_run_state_get(p, cfg->name, &st) != VPS_RUNNING || st.init_pid == 0)
		return vps_error_set(err, -ESRCH, "not running");
	init_fd = vps_pidfd_open_checked(st.init_pid, st.init_start);
	if (init_fd < 0)
		return vps_error_set(err, -ESRCH, "not running");
	l.init_fd = init_fd;
	l.userns = vps_pid_in_other_userns(st.init_pid);
	return vps_child_run(live_body, &l, err);
}
