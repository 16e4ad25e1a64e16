/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "devpts.h"
#include "fileio.h"
#include "parse.h"
#include "state.h"

#define RESIZE_TIMEOUT_MS 5000

/* gid 5 is tty; as the mounting process sees it (inside the VPS's user namespace, if any). */
void vps_devpts_options(uint64_t ptys, char *buf, size_t len)
{
	snprintf(buf, len, "ptmxmode=0666,mode=0620,gid=5,max=%" PRIu64, ptys);
}

/* Sets "k=v,k=v" on a reconfiguration context. */
static int set_options(int fsfd, char *opts)
{
	char *save = NULL;

	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, o, eq + 1, 0) < 0)
			return -errno;
	}
	return fsconfig(fsfd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0 ? -errno : 0;
}

/*
 * In a child: joins the VPS's mount namespace (and user namespace, so gid=5 means its tty
 * group and we hold no more than its root), resolves dev/pts from that namespace's root
 * without following any symlink, checks it is a devpts mount root other than the host's
 * instance, and reconfigures that superblock through fspick: no path is used after the check.
 */
static int remount_in_vps(int pidfd, bool userns, dev_t host_dev, char *opts)
{
	_cleanup_close_ int root = -EBADF, pts = -EBADF, fsfd = -EBADF;
	struct statfs sfs;
	struct stat st;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    setns(pidfd, CLONE_NEWNS | (userns ? CLONE_NEWUSER : 0)) < 0)
		return -errno;
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	pts = open_in_root(root, "dev/pts", O_PATH | O_DIRECTORY, 0, RESOLVE_NO_SYMLINKS);
	if (pts < 0)
		return pts;
	if (fstatfs(pts, &sfs) < 0 || fstat(pts, &st) < 0)
		return -errno;
	if (sfs.f_type != DEVPTS_SUPER_MAGIC || st.st_dev == host_dev)
		return -EMEDIUMTYPE;
	fsfd = fspick(pts, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC | FSPICK_NO_AUTOMOUNT);
	if (fsfd < 0)
		return -errno;
	return set_options(fsfd, opts);
}

/* Waits at most RESIZE_TIMEOUT_MS for the child; kills it after that. */
static int wait_child(pid_t pid, int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	siginfo_t si = {0};
	int n;

	while ((n = poll(&p, 1, RESIZE_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		(void)kill(pid, SIGKILL);
	while (waitid(P_PID, (id_t)pid, &si, WEXITED) < 0)
		if (errno != EINTR)
			return -errno;
	if (n <= 0)
		return -ETIMEDOUT;
	return si.si_code == CLD_EXITED ? -si.si_status : -EIO;
}

static int not_live(int r, struct vps_error *err)
{
	switch (r) {
	case 0:
		return 0;
	case -ENOENT:
	case -ENOTDIR:
	case -ELOOP:
	case -EXDEV:
	case -EMEDIUMTYPE:
	case -EINVAL: /* fspick: not the root of a mount */
		vps_error_set(err, -EAGAIN,
		              "its /dev/pts is no longer the devpts mount vpsctl made "
		              "(the VPS changed it)");
		return -EAGAIN;
	case -ETIMEDOUT:
		vps_error_set(err, -EAGAIN, "its /dev did not answer within %d ms",
		              RESIZE_TIMEOUT_MS);
		return -EAGAIN;
	default:
		vps_error_errno(err, r, "failed to change the pty cap");
		return r;
	}
}

int vps_devpts_resize(uint64_t init_pid, uint64_t init_start, uint64_t ptys, struct vps_error *err)
{
	_cleanup_close_ int pidfd = vps_pidfd_open_checked(init_pid, init_start);
	_cleanup_close_ int childfd = -EBADF;
	bool userns = vps_pid_in_other_userns(init_pid);
	struct stat host;
	char opts[128];
	pid_t pid;

	if (pidfd < 0)
		return vps_error_set(err, -ESRCH, "not running");
	/* the host's instance, which the console's pty is from, is never ours to change */
	if (stat("/dev/pts", &host) < 0)
		host.st_dev = 0;
	vps_devpts_options(ptys, opts, sizeof(opts));
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(-remount_in_vps(pidfd, userns, host.st_dev, opts) & 0xff);
	childfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (childfd < 0) {
		int r = -errno;

		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return r;
	}
	return not_live(wait_child(pid, childfd), err);
}
