/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <fcntl.h>
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

#include "cleanup.h"
#include "exec.h"
#include "exec-prep.h"
#include "exec-relay.h"
#include "execve-guard.h"
#include "fileio.h"
#include "frozen.h"
#include "vps-pty.h"
#include "state.h"
#include "suspend.h"
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
	struct vps_cgroup_spawn cgsp; /* the groups the child joins (cgroup.h) */
	int pty_sock;                 /* child's end for passing the pty master, or -1 */
	int guard_fd;                 /* vps-execve, read-only (execve-guard.h) */
	int started_fd;          /* the child's end of a close-on-exec pipe: EOF once it exec'd */
	struct exec_pipes pipes; /* stdio before the pty, or for good without one */
	bool userns;             /* init runs in a user namespace other than ours */
	char cgroup_parent[256];
	const struct vps_paths *paths;
	uint64_t init_start; /* the run we joined, for the reason of a refusal (frozen.h) */
};

static void clean_environment(void)
{
	const char *term = getenv("TERM");
	char t[64] = "linux";

	if (term && strlen(term) < sizeof(t) &&
	    strspn(term, "abcdefghijklmnopqrstuvwxyz0123456789-+.") == strlen(term))
		snprintf(t, sizeof(t), "%s", term);
	(void)clearenv();
	(void)setenv("PATH", VPS_EXEC_PATH, 1);
	(void)setenv("HOME", "/root", 1);
	(void)setenv("TERM", t, 1);
}

static _noreturn_ void child_fail(const struct exec_ctx *c, const char *what, int code)
{
	fprintf(stderr, "vpsctl: %s: failed to %s: %s\n", c->name, what, strerror(errno));
	_exit(code);
}

/* Born in the VPS's cgroup2 group where there is one (vps-clone.h), else moved there now; on
 * v1 we move ourselves into the rest (single-threaded: no grace period to wait for). */
static int join_cgroups(struct exec_ctx *c)
{
	int r = vps_cgroup_spawn_attach(&c->cgsp, 0);

	return r < 0 ? r : vps_cgroup_join_tasks(c->cgsp.join_fds, c->cgsp.n_join);
}

/* Runs in the VPS's pid namespace (we were cloned after joining it), host mounts until setns. */
static _noreturn_ void exec_child(struct exec_ctx *c)
{
	int keep[5 + VPS_CGROUP_HIER_MAX] = {c->init_fd, c->pty_sock, c->guard_fd, c->started_fd,
	                                     c->cgsp.clone_fd};
	size_t n_keep = 5;
	struct vps_error err = VPS_ERROR_INIT;
	int r;

	/* Visible in the VPS's pid namespace from now on: not dumpable, so nobody inside can
	 * ptrace us or open /proc/<pid>/exe (the vpsctl binary) before the exec replaces it. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		child_fail(c, "mark the process undumpable", 126);
	/* None of the caller's fds goes any further: its terminal, files or sockets would be
	 * the tenant's to read once we are inside. */
	for (size_t i = 0; i < c->cgsp.n_join; i++)
		keep[n_keep++] = c->cgsp.join_fds[i];
	r = exec_pipes_child(&c->pipes);
	if (r == 0)
		r = close_all_but(keep, n_keep);
	if (r < 0) {
		errno = -r;
		child_fail(c, "replace the caller's fds", 126);
	}
	/* Until it is in the VPS nothing of CMD ran: not joined at all is 1 (vpsctl(8)). */
	r = join_cgroups(c);
	vps_cgroup_spawn_done(&c->cgsp);
	if (r < 0) {
		errno = -r;
		child_fail(c, "join the VPS cgroup", EXIT_FAILURE);
	}
	if (setns(c->init_fd, JOIN_NS | (c->userns ? CLONE_NEWUSER : 0)) < 0)
		child_fail(c, "join the VPS namespaces", EXIT_FAILURE);
	/* In the VPS's user namespace our host ids are unmapped: become its root. */
	r = c->userns ? vps_exec_become_root() : 0;
	if (r < 0) {
		errno = -r;
		child_fail(c, "become root of the VPS's user namespace", 126);
	}
	if (chdir("/") < 0)
		child_fail(c, "change to /", 126);
	r = c->pty_sock >= 0 ? vps_pty_child_setup(c->pty_sock) : 0;
	if (r < 0) {
		errno = -r;
		child_fail(c,
		           r == -ENOSPC ? "get a pty: the VPS holds as many as its pty cap allows "
		                          "(vpsctl resize --ptys)"
		                        : "set up a pty",
		           126);
	}
	vps_exec_reset_signals();
	clean_environment();
	/* Last, as for the VPS's init. */
	r = vps_exec_lock_down(c->cfg, &err);
	if (r < 0) {
		/* the child's one line, in the CLI's form: it cannot return to the boundary */
		fprintf(stderr, "vpsctl: %s: %s\n", c->name, vps_error_message(&err, r));
		_exit(126);
	}
	/* through vps-execve: this binary must not be what a tenant's #! reaches */
	r = vps_execve_guarded(c->guard_fd, -1, c->name, c->argv, environ, 1);
	errno = -r;
	child_fail(c, "execute vps-execve", 126);
}

static int wait_code(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int join_pid_ns(const struct vps_paths *p, const struct vps_config *cfg,
                       const struct node_config *node, struct exec_ctx *c, struct vps_error *err)
{
	struct vps_state st;
	bool frozen;
	int r;

	if (vps_run_state_get(p, cfg->name, &st) != VPS_RUNNING)
		return vps_error_set(err, -ESRCH, "not running");
	c->init_start = st.init_start;
	c->init_fd = vps_pidfd_open_checked(st.init_pid, st.init_start);
	if (c->init_fd < 0)
		return vps_error_set(err, -ESRCH, "not running");
	snprintf(c->cgroup_parent, sizeof(c->cgroup_parent), "%s",
	         st.cgroup_parent[0] ? st.cgroup_parent : node->cgroup_parent);
	r = vps_cgroup_new(c->cgroup_parent, cfg->name, &c->cg);
	if (r < 0)
		return r;
	r = vps_cgroup_spawn_prepare_join(c->cg, &c->cgsp);
	if (r < 0)
		return vps_error_errno(err, r, "failed to open the VPS cgroup");
	if (vps_frozen(c->cgroup_parent, cfg->name, &frozen) == 0 && frozen)
		return vps_frozen_reason(p, cfg->name, st.init_start, -EBUSY, err);
	c->userns = vps_pid_in_other_userns(st.init_pid);
	/* Only our children enter the VPS's pid namespace; we stay where we are. */
	if (setns(c->init_fd, CLONE_NEWPID) < 0) {
		r = -errno;
		vps_error_errno(err, r, "failed to join the VPS pid namespace");
		return r;
	}
	return 0;
}

/* Waits for the child to exec (or fail: it reports on stderr itself), seen as EOF on the
 * close-on-exec pipe it holds. When that does not come in time it is killed and left to
 * whoever inherits it, should it stay frozen. */
static int wait_started(const struct exec_ctx *c, int start_fd, pid_t pid, struct vps_error *err)
{
	_cleanup_close_ int pidfd = -EBADF;
	bool frozen = false;
	int r = fd_wait_readable(start_fd, START_TIMEOUT_MS);

	if (r != -ETIMEDOUT)
		return r;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	(void)kill(pid, SIGKILL);
	if (pidfd >= 0 && fd_wait_readable(pidfd, KILL_WAIT_MS) == 0)
		(void)waitpid(pid, NULL, 0);
	if (vps_frozen(c->cgroup_parent, c->name, &frozen) == 0 && frozen)
		vps_frozen_reason(c->paths, c->name, c->init_start, -ETIMEDOUT, err);
	else
		vps_error_set(err, -ETIMEDOUT, "VPS did not run the command within %d s: stuck?",
		              START_TIMEOUT_MS / 1000);
	return -ETIMEDOUT;
}

/* The caller's side once the child runs: relay its pty or its pipes until it exits. */
static int relay(struct exec_ctx *c, int pty_sock, pid_t pid, struct vps_error *err)
{
	int r;

	if (pty_sock < 0) {
		_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

		return pidfd < 0 ? -errno : exec_pipes_relay(&c->pipes, pidfd);
	}
	/* the child's stdio are pipes only until its pty exists: its setup errors come that way */
	closep(&c->pipes.in);
	closep(&c->pipes.out);
	r = vps_pty_relay(pty_sock, pid);
	if (r == -EPIPE) {
		exec_drain(c->pipes.err, STDERR_FILENO, 1 << 16);
		return 0; /* it failed before its pty: its reason is on stderr, its code follows */
	}
	if (r < 0)
		vps_error_errno(err, r, "failed to relay the pty");
	return r;
}

int vps_exec(const struct vps_paths *p, const struct vps_config *cfg,
             const struct node_config *node, char *const *argv, bool pty, int *ret_code,
             struct vps_error *err)
{
	struct exec_ctx c = {.cfg = cfg,
	                     .argv = argv,
	                     .name = cfg->name,
	                     .paths = p,
	                     .init_fd = -EBADF,
	                     .cgsp = VPS_CGROUP_SPAWN_INIT,
	                     .pty_sock = -1,
	                     .guard_fd = -EBADF,
	                     .started_fd = -EBADF,
	                     .pipes = {-1, -1, -1, {-1, -1, -1}}};
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	_cleanup_close_ int init_fd = -EBADF, guard_fd = -EBADF, sock = -EBADF;
	_cleanup_close_ int start_fd = -EBADF;
	int sp[2] = {-1, -1}, started[2], r;
	pid_t pid;

	/* with a terminal, a pty of the VPS's own, as enter; the caller's never goes in */
	pty = pty || (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
	r = join_pid_ns(p, cfg, node, &c, err);
	cg = c.cg;
	init_fd = c.init_fd;
	if (r < 0) {
		vps_cgroup_spawn_done(&c.cgsp);
		return r;
	}
	guard_fd = c.guard_fd = vps_execve_guard_open();
	if (guard_fd < 0)
		return vps_error_errno(err, guard_fd, "failed to open vps-execve");
	if (pty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	sock = sp[0];
	c.pty_sock = sp[1];
	r = exec_pipes_open(&c.pipes);
	if (r == 0 && pipe2(started, O_CLOEXEC) < 0) {
		r = -errno;
		exec_pipes_close(&c.pipes);
	}
	if (r < 0) {
		closep(&c.pty_sock);
		return r;
	}
	start_fd = started[0];
	c.started_fd = started[1];
	pid = vps_clone(0, c.cgsp.clone_fd, NULL, &c.cgsp.in_cgroup);
	if (pid == 0) {
		closep(&sock);
		closep(&start_fd);
		exec_child(&c);
	}
	r = pid < 0 ? -errno : 0;
	vps_cgroup_spawn_done(&c.cgsp);
	closep(&c.pty_sock);
	closep(&c.started_fd);
	for (int i = 0; i < 3; i++)
		closep(&c.pipes.child[i]);
	if (r < 0) {
		exec_pipes_close(&c.pipes);
		vps_error_errno(err, r, "failed to clone");
		return r;
	}
	r = wait_started(&c, start_fd, pid, err);
	if (r < 0) {
		exec_pipes_close(&c.pipes);
		return r;
	}
	r = relay(&c, sock, pid, err);
	exec_pipes_close(&c.pipes);
	if (r < 0)
		(void)kill(pid, SIGKILL);
	*ret_code = wait_code(pid);
	return r < 0 ? r : *ret_code < 0 ? *ret_code : 0;
}
