/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
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
static int live_body(void *data, char *err, size_t errlen)
{
	struct live *l = data;
	_cleanup_close_ int rootfd = -EBADF;
	const char *what = "mark the process undumpable";
	int r = 0;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		r = -errno;
	if (r == 0) {
		what = "join the VPS namespaces";
		if (setns(l->init_fd, CLONE_NEWNS | CLONE_NEWUTS | (l->userns ? CLONE_NEWUSER : 0)) < 0)
			r = -errno;
	}
	if (r == 0 && l->userns) {
		what = "become root of the VPS's user namespace";
		r = vps_exec_become_root();
	}
	if (r == 0) {
		what = "open the VPS's root";
		rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			r = -errno;
	}
	if (r < 0) {
		snprintf(err, errlen, "Failed to %s: %s", what, strerror(-r));
		return r;
	}
	r = l->fn(rootfd, 0, 0, l->data, err, errlen);
	/* last: a refused file write changes nothing */
	if (r == 0 && l->hostname && sethostname(l->hostname, strlen(l->hostname)) < 0) {
		r = -errno;
		snprintf(err, errlen, "Failed to set the host name: %s", strerror(-r));
	}
	return r;
}

int vps_live_run(const struct vps_paths *p, const struct vps_config *cfg, const char *hostname,
		 vps_root_fn fn, void *data, char *err, size_t errlen)
{
	_cleanup_close_ int init_fd = -EBADF;
	struct vps_state st;
	struct live l = {.hostname = hostname, .fn = fn, .data = data};

	if (vps_run_state_get(p, cfg->name, &st) != VPS_RUNNING || st.init_pid == 0) {
		snprintf(err, errlen, "not running");
		return -ESRCH;
	}
	init_fd = vps_pidfd_open_checked(st.init_pid, st.init_start);
	if (init_fd < 0) {
		snprintf(err, errlen, "not running");
		return -ESRCH;
	}
	l.init_fd = init_fd;
	l.userns = vps_pid_in_other_userns(st.init_pid);
	return vps_child_run(live_body, &l, err, errlen);
}
