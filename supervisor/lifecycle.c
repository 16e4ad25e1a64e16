/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cpu-pinning.h"
#include "fileio.h"
#include "frozen.h"
#include "idmap.h"
#include "lifecycle.h"
#include "log.h"
#include "network.h"
#include "state.h"
#include "supervisor.h"
#include "vpsctl-build.h"

#define KILL_WAIT_MS 15000

/* The supervisor: a session of its own, so no terminal signal of the caller's reaches it (every
 * tty it opens is O_NOCTTY, so one fork suffices); when `vpsctl start` exits, the init
 * process (or the node's subreaper) adopts it. */
static _noreturn_ void daemon_child(struct vps_supervisor_args *a, int report_rd)
{
	close(report_rd);
	vps_supervisor_detach(a);
}

static void start_abort(const struct vps_paths *p, const char *name, const struct node_config *node,
                        pid_t sup, struct vps_error *err);
static void start_timed_out(const struct vps_paths *p, const char *name,
                            const struct node_config *node, pid_t sup, struct vps_error *err);

static int64_t now_ms(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The supervisor's report within timeout_ms: VPS_START_OK (0), the reason its start failed
 * (-EIO), EOF alone (-ECHILD: it died) or nothing in time (-ETIMEDOUT: it stalls). */
static int read_report(int fd, int timeout_ms, struct vps_error *err)
{
	const int64_t deadline = now_ms() + timeout_ms;
	char text[VPS_ERROR_MSG_MAX];
	size_t n = 0;

	for (;;) {
		int64_t left = deadline - now_ms();
		ssize_t k;
		int r = fd_wait_readable(fd, left > 0 ? (int)left : 0);

		if (r < 0)
			return r;
		k = read(fd, text + n, sizeof(text) - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || (n += (size_t)k) >= sizeof(text) - 1)
			break;
	}
	text[n] = '\0';
	if (n == 1 && text[0] == VPS_START_OK)
		return 0;
	if (n == 0)
		return -ECHILD;
	return vps_error_set(err, -EIO, "%s", text);
}

static int start_with(const struct vps_paths *p, const struct vps_config *cfg,
                      const struct node_config *node, bool foreground, int *lock_fd,
                      const char *restore_dir, struct vps_error *err)
{
	struct vps_supervisor_args a = {
		.paths = p,
		.cfg = cfg,
		.node = node,
		.report_fd = -1,
		.lock_fd = *lock_fd,
		.restore_dir = restore_dir,
	};
	int pipefd[2], r;
	pid_t pid;

	if (foreground) {
		*lock_fd = -EBADF; /* the supervisor releases it once init runs */
		a.foreground = a.handover = true;
		r = vps_supervisor_run(&a);
		if (r < 0)
			return vps_error_set(err, r, "start failed");
		/* A crash is a failure of the unit, so systemd's Restart=on-failure applies. */
		if (!a.clean_exit)
			return vps_error_set(err, -ECHILD, "the VPS ended: %s", a.exit_reason);
		return 0;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		a.report_fd = pipefd[1];
		daemon_child(&a, pipefd[0]);
	}
	close(pipefd[1]);
	/* Not waited for: it lives as long as the VPS (a failed start it ends at once, and our
	 * exit leaves nothing behind). */
	r = read_report(pipefd[0], (int)node->start_timeout * 1000, err);
	close(pipefd[0]);
	if (r == -ECHILD)
		start_abort(p, cfg->name, node, pid, err);
	else if (r == -ETIMEDOUT)
		start_timed_out(p, cfg->name, node, pid, err);
	return r;
}

int vps_start(const struct vps_paths *p, const struct vps_config *cfg,
              const struct node_config *node, bool foreground, int *lock_fd, struct vps_error *err)
{
	return start_with(p, cfg, node, foreground, lock_fd, NULL, err);
}

int vps_start_restore(const struct vps_paths *p, const struct vps_config *cfg,
                      const struct node_config *node, const char *dir, int *lock_fd,
                      struct vps_error *err)
{
	return start_with(p, cfg, node, false, lock_fd, dir, err);
}

static const char *cgroup_parent_of(const struct vps_state *st, const struct node_config *node)
{
	return st->cgroup_parent[0] ? st->cgroup_parent : node->cgroup_parent;
}

/* The cgroup, network and state of a VPS whose processes are gone or to be killed. */
static int remove_leftovers(const struct vps_paths *p, const char *name,
                            const struct node_config *node, const struct vps_state *st)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	const char *parent = cgroup_parent_of(st, node);
	_cleanup_close_ int netns = -EBADF;
	unsigned long long t;
	size_t n = 0;
	int r;

	/* init's netns outlives the kill while we hold it: its veth's traffic is counted */
	if (st->init_pid > 0 && proc_start_time((pid_t)st->init_pid, &t) == 0 &&
	    t == st->init_start)
		netns = vps_net_hold((pid_t)st->init_pid);
	r = vps_cgroup_new(parent, name, &cg);
	if (r < 0)
		return r;
	if (vps_cgroup_count_procs(cg, &n) == 0 && n > 0)
		(void)vps_cgroup_kill(cg, KILL_WAIT_MS);
	r = vps_cgroup_remove(cg);
	if (r < 0)
		return r;
	vps_cpu_pin_release(p, name);
	vps_net_teardown(p, node, name);
	return vps_state_remove(p, name);
}

/* SIGKILL to init (killing the init of a pid namespace takes every process in it along),
 * then the VPS's cgroup for what is left. */
static int kill_init_open_cgroup(const struct vps_state *st, const char *name,
                                 const struct node_config *node, struct vps_cgroup **ret)
{
	_cleanup_close_ int init_fd = vps_pidfd_open_checked(st->init_pid, st->init_start);

	if (init_fd >= 0)
		(void)syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, NULL, 0);
	return vps_cgroup_new(cgroup_parent_of(st, node), name, ret);
}

static int kill_all(const struct vps_state *st, const char *name, const struct node_config *node)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	int r = kill_init_open_cgroup(st, name, node, &cg);

	if (r < 0)
		return r;
	r = vps_cgroup_kill(cg, KILL_WAIT_MS);
	return r == -ENOENT ? 0 : r; /* the supervisor may have removed it already */
}

/* A frozen VPS cannot power itself off, and a process the v1 freezer holds cannot even die:
 * SIGKILL everything while it is still frozen (nothing of it runs again), then thaw. Not
 * vps_cgroup_kill(): its freeze and thaw would race the supervisor's own. */
static int kill_frozen(const struct vps_state *st, const char *name, const struct node_config *node)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	int r = kill_init_open_cgroup(st, name, node, &cg);

	if (r == 0)
		r = vps_cgroup_kill_once(cg);
	if (r < 0)
		log_debug_errno(r, "%s: killing the frozen VPS failed, thawing anyway: %m", name);
	return vps_thaw(cgroup_parent_of(st, node), name);
}

/* Reaps sup within timeout_ms: 0 with its wait status, or -ETIMEDOUT (it does not die: a
 * process the v1 freezer holds, or one stuck in the kernel). The supervisor vpsctl-api spawned
 * (vps_start_spawn) is not our child: its end is all we see (status 0). */
static int reap_within(pid_t sup, int timeout_ms, int *ret_status)
{
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, sup, 0);
	int r;

	if (fd < 0)
		return -errno;
	r = fd_wait_readable(fd, timeout_ms);
	if (r < 0)
		return r;
	while ((r = waitpid(sup, ret_status, 0)) < 0 && errno == EINTR)
		;
	return r < 0 && errno != ECHILD ? -errno : 0;
}

/* A start whose supervisor (sup, our child) ended or was killed before it reported: nothing of
 * it may stay behind, neither an init it had started nor the state it wrote. We still hold the
 * VPS's lock. Reaped here, it cannot act after we clean up; one that does not die keeps the
 * state that names it (its init and cgroup are killed all the same), for a later stop. */
static int start_undo(const struct vps_paths *p, const char *name, const struct node_config *node,
                      pid_t sup, int *ret_status)
{
	struct vps_state st;
	int r = sup > 0 ? reap_within(sup, KILL_WAIT_MS, ret_status) : 0, k;

	(void)vps_state_read(p, name, &st); /* what it wrote, if anything: its cgroup */
	k = kill_all(&st, name, node);
	if (r < 0)
		return r;
	return k < 0 ? k : remove_leftovers(p, name, node, &st);
}

/* The supervisor died before it reported (killed). */
static void start_abort(const struct vps_paths *p, const char *name, const struct node_config *node,
                        pid_t sup, struct vps_error *err)
{
	char sig[32], how[64] = "";
	int status = 0, r = start_undo(p, name, node, sup, &status);

	if (r != -ETIMEDOUT && WIFSIGNALED(status))
		snprintf(how, sizeof(how), " (killed by %s)",
		         format_signal(WTERMSIG(status), sig, sizeof(sig)));
	vps_error_set(err, -ECHILD, "the supervisor died while starting the VPS%s; %s", how,
	              r == 0 ? "what it had started was removed"
	                     : "its leftovers could not be removed");
}

/* The supervisor did not report within START_TIMEOUT: stopped (SIGSTOP), frozen, starved or
 * blocked before init ran. Waited for longer, it would hold the VPS's lock for ever. */
static void start_timed_out(const struct vps_paths *p, const char *name,
                            const struct node_config *node, pid_t sup, struct vps_error *err)
{
	int status = 0, r;

	/* Not reaped (our child), or not ours but still holding the report pipe open, which
	 * only it or what it started does: the pid is still its own. 0: it is not known. */
	if (sup > 0)
		(void)kill(sup, SIGKILL);
	r = start_undo(p, name, node, sup, &status);
	if (r == -ETIMEDOUT)
		vps_error_set(
			err, -ETIMEDOUT,
			"its supervisor (pid %d) did not report within START_TIMEOUT (%" PRIu64
			" s) and does not die of SIGKILL; its init was killed, and 'vpsctl "
			"stop --force %s' removes the rest once it is gone",
			(int)sup, node->start_timeout, name);
	else
		vps_error_set(
			err, -ETIMEDOUT,
			"its supervisor (pid %d) did not report within START_TIMEOUT (%" PRIu64
			" s); killed it and %s",
			(int)sup, node->start_timeout,
			r == 0 ? "removed what it had started (raise START_TIMEOUT in "
				 "vpsctl.conf if starts take that long on this node)"
			       : "its leftovers could not be removed ('vpsctl stop --force' "
				 "retries)");
}

static int stop_unsupervised(const struct vps_paths *p, const struct vps_config *cfg,
                             const struct node_config *node, const struct vps_state *st,
                             unsigned timeout_sec, bool force)
{
	_cleanup_close_ int init_fd = vps_pidfd_open_checked(st->init_pid, st->init_start);
	_cleanup_close_ int netns = -EBADF;
	bool frozen = false;
	int r;

	/* held until remove_leftovers() counted the veth: the netns dies with init otherwise,
	 * and its veth with it, before anyone banked its traffic (net/counters.h) */
	if (init_fd >= 0)
		netns = vps_net_hold((pid_t)st->init_pid);
	(void)vps_frozen(cgroup_parent_of(st, node), cfg->name, &frozen);
	/* poweroff_signal 0: the config is unreadable, so no signal is known to power it off */
	if (init_fd >= 0 && !force && !frozen && cfg->poweroff_signal > 0 &&
	    syscall(SYS_pidfd_send_signal, init_fd, cfg->poweroff_signal, NULL, 0) == 0)
		(void)fd_wait_readable(init_fd, (int)timeout_sec * 1000);
	if (frozen)
		(void)kill_frozen(st, cfg->name, node);
	r = kill_all(st, cfg->name, node);
	if (r < 0)
		return r;
	/* Not vps_cleanup_stale(): an unreadable state would keep it from removing the state. */
	r = remove_leftovers(p, cfg->name, node, st);
	if (r == 0)
		(void)vps_exit_write(p, cfg->name, "stopped");
	return r;
}

/* The supervisor was asked to stop, its init killed and its cgroup emptied, and it still has not
 * exited: stopped (SIGSTOP), starved, or blocked in its teardown. Left so, it would keep every
 * later stop and destroy failing the same way. It is killed, and what it leaves (state, cgroup,
 * veth, anything still running) is stopped as an unsupervised VPS. One that does not die even of
 * SIGKILL (stuck in the kernel) keeps the state that names it: the next command finds it again. */
static int stop_wedged_supervisor(const struct vps_paths *p, const struct vps_config *cfg,
                                  const struct node_config *node, int sup_fd, unsigned timeout_sec,
                                  bool force, struct vps_error *err)
{
	struct vps_state st;
	uint64_t pid;
	int r;

	if (vps_state_read(p, cfg->name, &st) < 0)
		memset(&st, 0, sizeof(st));
	pid = st.supervisor_pid;
	if (syscall(SYS_pidfd_send_signal, sup_fd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		return vps_error_errno(err, -errno,
		                       "failed to stop: its supervisor (pid %" PRIu64
		                       ") did not exit and cannot be killed",
		                       pid);
	r = fd_wait_readable(sup_fd, KILL_WAIT_MS);
	if (r < 0)
		return vps_error_set(err, r,
		                     "failed to stop: its supervisor (pid %" PRIu64
		                     ") did not exit, not even after SIGKILL",
		                     pid);
	log_warning("%s: its supervisor (pid %" PRIu64 ") did not exit when asked to; killed it",
	            cfg->name, pid);
	(void)vps_run_state_get(p, cfg->name, &st);
	r = stop_unsupervised(p, cfg, node, &st, timeout_sec, force);
	if (r < 0)
		vps_error_errno(err, r, "failed to stop");
	return r;
}

int vps_stop(const struct vps_paths *p, const struct vps_config *cfg,
             const struct node_config *node, unsigned timeout_sec, bool force,
             struct vps_error *err)
{
	_cleanup_close_ int sup_fd = -EBADF;
	struct vps_state st;
	enum vps_run_state rs = vps_run_state_get(p, cfg->name, &st);
	bool frozen = false;
	int r;

	if (rs == VPS_STOPPED) {
		(void)vps_cleanup_stale(p, cfg->name, node);
		vps_error_set(err, -ESRCH, "not running");
		return -ESRCH;
	}
	/* An unreadable state is stopped from what could be read of it (each pid checked
	 * against its start time) and the cgroup; one from a newer vpsctl is not touched. */
	if (rs == VPS_UNKNOWN && st.error == -EPROTONOSUPPORT) {
		return vps_error_set(err, -EPROTONOSUPPORT, "%s; not stopping it", st.error_text);
	}
	sup_fd = vps_pidfd_open_checked(st.supervisor_pid, st.supervisor_start);
	if (sup_fd < 0)
		return stop_unsupervised(p, cfg, node, &st, timeout_sec, force);
	/* status says "stopping" from now on, not "starting", once init is gone and as long as
	 * this supervisor lives: even if it cannot act on our request (stopped, frozen) */
	(void)vps_stopping_write(p, cfg->name, &st);
	(void)vps_frozen(cgroup_parent_of(&st, node), cfg->name, &frozen);
	r = -ETIMEDOUT;
	if (!force && !frozen && syscall(SYS_pidfd_send_signal, sup_fd, SIGTERM, NULL, 0) == 0)
		r = fd_wait_readable(sup_fd, (int)timeout_sec * 1000);
	if (r == -ETIMEDOUT) {
		/* Killing init takes its pid namespace along; the supervisor notices, records
		 * "stopped" and removes the cgroup. Only if it does not do so in time do we
		 * kill through the cgroup ourselves. */
		_cleanup_close_ int init_fd = vps_pidfd_open_checked(st.init_pid, st.init_start);

		(void)syscall(SYS_pidfd_send_signal, sup_fd, SIGTERM, NULL, 0);
		if (frozen)
			(void)kill_frozen(&st, cfg->name, node);
		else if (init_fd >= 0)
			(void)syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, NULL, 0);
		r = fd_wait_readable(sup_fd, KILL_WAIT_MS);
		if (r == -ETIMEDOUT) {
			r = kill_all(&st, cfg->name, node);
			if (r == 0)
				r = fd_wait_readable(sup_fd, KILL_WAIT_MS);
		}
		if (r == -ETIMEDOUT)
			return stop_wedged_supervisor(p, cfg, node, sup_fd, timeout_sec, force,
			                              err);
	}
	/* The supervisor is gone, but did it stop the VPS? One that was dying already (a
	 * SIGKILL just before this stop, still exiting when its pidfd was opened) ignored our
	 * SIGTERM and left init running: what is left is then stopped as an unsupervised VPS. */
	if (r == 0 && vps_run_state_get(p, cfg->name, &st) != VPS_STOPPED)
		return stop_unsupervised(p, cfg, node, &st, timeout_sec, force);
	/* One killed after its init died did not clean up: its cgroup and state are still there. */
	if (r == 0)
		r = vps_cleanup_stale(p, cfg->name, node);
	if (r < 0)
		vps_error_errno(err, r, "failed to stop");
	return r;
}

int vps_cleanup_stale(const struct vps_paths *p, const char *name, const struct node_config *node)
{
	struct vps_state st;

	/* A run's state is written before its group, init or veth exist and removed after they
	 * are gone (teardown, remove_leftovers): without it nothing of a run is left. */
	if (vps_state_read(p, name, &st) == -ENOENT)
		return 0;
	if (vps_run_state_get(p, name, &st) != VPS_STOPPED)
		return -EBUSY;
	return remove_leftovers(p, name, node, &st);
}

int vps_start_wait_report(const struct vps_paths *p, const struct vps_config *cfg,
                          const struct node_config *node, pid_t sup, int report_rd,
                          struct vps_error *err)
{
	int r = read_report(report_rd, (int)node->start_timeout * 1000, err);

	if (r == -ECHILD)
		start_abort(p, cfg->name, node, sup, err);
	else if (r == -ETIMEDOUT)
		start_timed_out(p, cfg->name, node, sup, err);
	return r;
}
