/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-mount.h"
#include "cleanup.h"
#include "exec.h"
#include "frozen.h"
#include "security.h"
#include "vps-pty.h"
#include "state.h"
#include "vps-clone.h"

#define JOIN_NS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP)
/* From clone to exec takes milliseconds; longer means the VPS stopped our child (frozen after
 * we looked, or stuck), and the caller gets an answer rather than a hang. */
#define START_TIMEOUT_MS 10000
/* How long a killed child gets to go (one frozen by a v1 freezer stays until thawed). */
#define KILL_WAIT_MS 1000

struct exec_ctx {
	const struct vps_config *cfg;
	char *const *argv;
	const char *name;
	struct vps_cgroup *cg;
	int init_fd;
	int born_cgroup_fd; /* the cgroup2 group we clone into, or -1 (vps-clone.h) */
	bool in_cgroup;
	int pty_sock; /* child's end for passing the pty master, or -1 */
	bool userns;  /* init runs in a user namespace other than ours */
	char cgroup_parent[256];
};

static void clean_environment(void)
{
	const char *term = getenv("TERM");
	char t[64] = "linux";

	if (term && strlen(term) < sizeof(t) && strspn(term, "abcdefghijklmnopqrstuvwxyz0123456789-+.") == strlen(term))
		snprintf(t, sizeof(t), "%s", term);
	(void)clearenv();
	(void)setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	(void)setenv("HOME", "/root", 1);
	(void)setenv("TERM", t, 1);
}

static _noreturn_ void child_fail(const struct exec_ctx *c, const char *what, int code)
{
	fprintf(stderr, "vpsctl: %s: Failed to %s: %s\n", c->name, what, strerror(errno));
	_exit(code);
}

/* Born in the VPS's cgroup2 group where there is one (vps-clone.h); on v1 we move ourselves
 * into the rest (single-threaded: no grace period to wait for). */
static int join_cgroups(const struct exec_ctx *c)
{
	if (!c->in_cgroup) {
		int r = vps_cgroup2_attach_fd(c->born_cgroup_fd, 0);

		if (r < 0)
			return r;
	}
	return vps_cgroup_backend() == VPS_CGROUP_V2 ? 0 : vps_cgroup_attach(c->cg, 0);
}

/* Runs in the VPS's pid namespace (we were cloned after joining it), host mounts until setns. */
static _noreturn_ void exec_child(const struct exec_ctx *c)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t none;
	const char *step;
	int r;

	/* Visible in the VPS's pid namespace from now on: not dumpable, so nobody inside can
	 * ptrace us or open /proc/<pid>/exe (the vpsctl binary) before the exec replaces it. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		child_fail(c, "mark the process undumpable", 126);
	r = join_cgroups(c);
	if (r < 0) {
		errno = -r;
		child_fail(c, "join the VPS cgroup", 126);
	}
	if (setns(c->init_fd, JOIN_NS | (c->userns ? CLONE_NEWUSER : 0)) < 0)
		child_fail(c, "join the VPS namespaces", 126);
	/* In the VPS's user namespace our host ids are unmapped: become its root. */
	if (c->userns && (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
			  setresuid(0, 0, 0) < 0))
		child_fail(c, "become root of the VPS's user namespace", 126);
	if (chdir("/") < 0)
		child_fail(c, "change to /", 126);
	if (c->pty_sock >= 0 && vps_pty_child_setup(c->pty_sock) < 0)
		child_fail(c, "set up a pty", 126);
	for (int sig = 1; sig < _NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	clean_environment();
	/* Last: seccomp, then capabilities (security.h), as for the VPS's init. */
	r = vps_security_apply(c->cfg, &step);
	if (r < 0) {
		errno = -r;
		child_fail(c, step, 126);
	}
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(c, "close fds", 126);
	execvp(c->argv[0], c->argv);
	{
		char what[300];
		int code = errno == ENOENT ? 127 : 126;

		snprintf(what, sizeof(what), "execute '%s'", c->argv[0]);
		child_fail(c, what, code);
	}
}

static int wait_code(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Whether pid's user namespace is another than ours (a VPS with its own id range). */
static bool in_other_userns(uint64_t pid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/ns/user", pid);
	if (stat("/proc/self/ns/user", &a) < 0 || stat(path, &b) < 0)
		return false;
	return a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

static int join_pid_ns(const struct vps_paths *p, const struct vps_config *cfg,
		       const struct node_config *node, struct exec_ctx *c, char *err,
		       size_t errlen)
{
	struct vps_state st;
	bool frozen;
	int r;

	if (vps_run_state_get(p, cfg->name, &st) != VPS_RUNNING) {
		snprintf(err, errlen, "not running");
		return -ESRCH;
	}
	c->init_fd = vps_pidfd_open_checked(st.init_pid, st.init_start);
	if (c->init_fd < 0) {
		snprintf(err, errlen, "not running");
		return -ESRCH;
	}
	snprintf(c->cgroup_parent, sizeof(c->cgroup_parent), "%s",
		 st.cgroup_parent[0] ? st.cgroup_parent : node->cgroup_parent);
	r = vps_cgroup_new(c->cgroup_parent, cfg->name, &c->cg);
	if (r < 0)
		return r;
	if (vps_cgroup_backend() == VPS_CGROUP_V2)
		r = c->born_cgroup_fd = vps_cgroup_open_v2(c->cg);
	else
		r = vps_cgroup2_open(c->cgroup_parent, cfg->name, &c->born_cgroup_fd);
	if (r < 0) {
		snprintf(err, errlen, "Failed to open the VPS cgroup: %s", strerror(-r));
		return r;
	}
	if (vps_frozen(c->cgroup_parent, cfg->name, &frozen) == 0 && frozen) {
		snprintf(err, errlen, "VPS is frozen");
		return -EBUSY;
	}
	c->userns = in_other_userns(st.init_pid);
	/* Only our children enter the VPS's pid namespace; we stay where we are. */
	if (setns(c->init_fd, CLONE_NEWPID) < 0) {
		r = -errno;
		snprintf(err, errlen, "Failed to join the VPS pid namespace: %s", strerror(-r));
		return r;
	}
	return 0;
}

static int poll_in(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* Waits for the child to exec (or fail: it reports on stderr itself), seen as EOF on the
 * close-on-exec pipe it holds. When that does not come in time it is killed and left to
 * whoever inherits it, should it stay frozen. */
static int wait_started(const struct exec_ctx *c, int start_fd, pid_t pid, char *err,
			size_t errlen)
{
	_cleanup_close_ int pidfd = -EBADF;
	bool frozen = false;
	int r = poll_in(start_fd, START_TIMEOUT_MS);

	if (r != -ETIMEDOUT)
		return r;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	(void)kill(pid, SIGKILL);
	if (pidfd >= 0 && poll_in(pidfd, KILL_WAIT_MS) == 0)
		(void)waitpid(pid, NULL, 0);
	if (vps_frozen(c->cgroup_parent, c->name, &frozen) == 0 && frozen)
		snprintf(err, errlen, "VPS is frozen");
	else
		snprintf(err, errlen, "VPS did not run the command within %d s: stuck?",
			 START_TIMEOUT_MS / 1000);
	return -ETIMEDOUT;
}

int vps_exec(const struct vps_paths *p, const struct vps_config *cfg,
	     const struct node_config *node, char *const *argv, bool pty, int *ret_code,
	     char *err, size_t errlen)
{
	struct exec_ctx c = {.cfg = cfg, .argv = argv, .name = cfg->name, .init_fd = -EBADF,
			     .born_cgroup_fd = -EBADF, .pty_sock = -1};
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	_cleanup_close_ int init_fd = -EBADF, cgfd = -EBADF, start_fd = -EBADF;
	int sp[2] = {-1, -1}, started[2], r;
	pid_t pid;

	r = join_pid_ns(p, cfg, node, &c, err, errlen);
	cg = c.cg;
	init_fd = c.init_fd;
	cgfd = c.born_cgroup_fd;
	if (r < 0)
		return r;
	if (pty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	c.pty_sock = sp[1];
	if (pipe2(started, O_CLOEXEC) < 0)
		return -errno;
	start_fd = started[0];
	pid = vps_clone(0, c.born_cgroup_fd, NULL, &c.in_cgroup);
	if (pid < 0) {
		r = -errno;
		close(started[1]);
		snprintf(err, errlen, "Failed to clone: %s", strerror(-r));
		return r;
	}
	if (pid == 0) {
		if (sp[0] >= 0)
			close(sp[0]);
		close(started[0]);
		exec_child(&c);
	}
	close(started[1]);
	if (sp[1] >= 0)
		close(sp[1]);
	r = wait_started(&c, start_fd, pid, err, errlen);
	if (r < 0) {
		if (sp[0] >= 0)
			close(sp[0]);
		return r;
	}
	if (pty) {
		r = vps_pty_relay(sp[0], pid);
		close(sp[0]);
		if (r < 0) {
			snprintf(err, errlen, "Failed to relay the pty: %s", strerror(-r));
			(void)kill(pid, SIGKILL);
		}
	}
	*ret_code = wait_code(pid);
	return *ret_code < 0 ? *ret_code : 0;
}
