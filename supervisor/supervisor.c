/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "cpu-pinning.h"
#include "criu.h"
#include "fileio.h"
#include "lock.h"
#include "log.h"
#include "netsetup.h"
#include "network.h"
#include "notify.h"
#include "vps-spawn.h"
#include "state.h"
#include "supervisor.h"
#include "validate.h"

#define KILL_TIMEOUT_MS 10000

struct sup {
	struct vps_supervisor_args *a;
	/* what the running boot was made from: a->cfg at first, vps.conf as each reboot read it */
	struct vps_config cfg;
	struct vps_cgroup *cg;
	struct vps_console console;
	struct vps_state st;
	struct vps_spawn spawn;
	char rootfs[PATH_MAX];
	int sigfd;
	/* init's network namespace, held so that its veth outlives init until its traffic is
	 * counted (at the next boot's plumb or at teardown) */
	int netns;
	bool cgroup_made; /* by the first boot */
	bool stop_requested;
};

static void report(struct sup *s, int r, const char *text)
{
	char fallback[64];

	/* a failure always says something: an empty report reads as success */
	if (r < 0 && (!text || !text[0])) {
		snprintf(fallback, sizeof(fallback), "failed to start: %s", strerror(-r));
		text = fallback;
	}
	if (s->a->report_fd >= 0) {
		static const char ok = VPS_START_OK;

		if (r < 0)
			(void)!write(s->a->report_fd, text, strlen(text));
		else
			(void)!write(s->a->report_fd, &ok, 1);
		close(s->a->report_fd);
		s->a->report_fd = -1;
	} else if (r < 0) {
		log_error("%s: %s", s->cfg.name, text);
	} else {
		char state[64];

		/* --foreground under a Type=notify unit: init runs, the unit is up. */
		snprintf(state, sizeof(state), "READY=1\nMAINPID=%d", (int)getpid());
		(void)notify_send(state);
	}
	if (s->a->lock_fd >= 0) {
		close(s->a->lock_fd);
		s->a->lock_fd = -1;
	}
}

static int block_signals(struct sup *s)
{
	sigset_t set;

	/* A console client that went away must cost a write error, not the supervisor. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return s->sigfd < 0 ? -errno : 0;
}

/* The new init (s->spawn.pid) in the state file: what status, stop and exec find. */
static int record_init(struct sup *s, struct vps_error *err)
{
	unsigned long long t;
	int r = proc_start_time(s->spawn.pid, &t);

	if (r < 0)
		return vps_error_errno(err, r, "failed to read the start time of init");
	s->st.init_pid = (uint64_t)s->spawn.pid;
	s->st.init_start = t;
	s->st.started = (uint64_t)time(NULL);
	s->st.boots++;
	r = vps_state_write(s->a->paths, s->cfg.name, &s->st);
	if (r < 0)
		vps_error_errno(err, r, "failed to write the runtime state");
	return r;
}

/* CPU_PINNING=auto: the CPUs of a new init's group (cpu-pinning.h); a VPS that cannot be pinned
 * runs on every CPU, which is not worth refusing its start for. */
static void pin(struct sup *s)
{
	struct vps_error e = VPS_ERROR_INIT;
	int r = vps_cpu_pin(s->a->paths, s->a->node, &s->cfg, s->cg, &e);

	if (r < 0)
		log_warning("%s: %s, ignoring", s->cfg.name, vps_error_message(&e, r));
}

static int boot(struct sup *s, struct vps_error *err)
{
	int r;

	s->spawn = (struct vps_spawn){
		.cfg = &s->cfg,
		.node = s->a->node,
		.paths = s->a->paths,
		.cgroup_parent = s->st.cgroup_parent,
		.rootfs = s->rootfs,
		.console_path = s->console.slave_path,
		.console_fd = s->console.slave,
		.ptys = s->cfg.ptys, /* a reboot's: re-read with the rest of vps.conf */
		.cg = s->cg,
		.pidfd = -EBADF,
		.lower_fd = -EBADF,
		.disk_fd = -EBADF,
		.create_quota = s->cgroup_made ? NULL : &s->cfg.quota,
	};
	r = vps_spawn_init(&s->spawn);
	if (r < 0)
		return vps_error_is_set(&s->spawn.error)
		               ? vps_error_set(err, r, "%s", s->spawn.error.msg)
		               : r;
	s->cgroup_made = true;
	pin(s);
	closep(&s->netns); /* the last boot's veth is counted and gone (vps_net_plumb) */
	s->netns = vps_net_hold(s->spawn.pid);
	return record_init(s, err);
}

/* Instead of the first boot: the group with vps.conf's limits, then criu brings the checkpoint's
 * tree back into it as our child, with the new console; from then on it is supervised as an
 * init we spawned (a reboot of it boots from vps.conf). */
static int restore(struct sup *s, struct vps_error *err)
{
	char pidfile[PATH_MAX], host_if[NETSETUP_IFNAMSIZ];
	bool net = s->cfg.ip_address.n > 0;
	struct vps_criu_restore cr = {
		.dir = s->a->restore_dir,
		.rootfs = s->rootfs,
		.pidfile = pidfile,
		.console_fd = s->console.slave,
		.console_path = s->console.slave_path,
		.cg = s->cg,
		.vps_ifname = NETSETUP_PEER_DEFAULT,
		.host_ifname = net ? host_if : NULL,
		.userns_root = s->cfg.userns ? (uid_t)s->cfg.uid_base : (uid_t)-1,
		.userns_group = s->cfg.userns ? (gid_t)s->cfg.uid_base : (gid_t)-1,
	};
	pid_t pid;
	int r;

	netsetup_host_ifname(s->cfg.name, host_if);
	r = vps_run_path(s->a->paths, s->cfg.name, "restore.pid", pidfile, sizeof(pidfile));
	if (r < 0)
		return vps_error_errno(err, r, "failed to name the restore's pid file");
	r = vps_cgroup_create(s->cg, &s->cfg.quota, err);
	if (r < 0)
		return r;
	s->cgroup_made = true;
	pid = vps_criu_restore(&cr, err);
	if (pid < 0)
		return pid;
	s->spawn.pid = pid;
	s->spawn.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (s->spawn.pidfd < 0)
		return vps_error_errno(err, -errno, "failed to open the restored init (pid %d)",
		                       pid);
	(void)vps_cgroup_restrict_devices(s->cg, pid);
	pin(s);
	s->netns = vps_net_hold(pid);
	/* the node's end of the veth criu made: bridge, filters, bandwidth, routes, as a start */
	if (net) {
		r = vps_net_make(s->a->paths, &s->cfg, s->a->node, pid, err);
		if (r < 0)
			return r;
	}
	return record_init(s, err);
}

static int prepare(struct sup *s, struct vps_error *err)
{
	const struct vps_config *cfg = &s->cfg;
	char run[PATH_MAX];
	unsigned long long t;
	int r;

	r = vps_path(s->a->paths, cfg->name, "rootfs", s->rootfs, sizeof(s->rootfs));
	if (r == 0)
		r = vps_run_path(s->a->paths, cfg->name, NULL, run, sizeof(run));
	if (r == 0)
		r = mkdir_p(run, 0700);
	if (r == 0)
		r = block_signals(s);
	if (r == 0)
		r = vps_console_open(&s->console, run);
	/* The console belongs to the VPS's root and tty group (gid 5), as inside a VPS with its
	 * own id range those are what /dev/console must show. */
	if (r == 0 && cfg->userns &&
	    fchown(s->console.slave, (uid_t)cfg->uid_base, (gid_t)cfg->uid_base + 5) < 0)
		r = -errno;
	if (r < 0)
		return vps_error_errno(err, r, "failed to prepare the supervisor");
	/* Under systemd (Delegate=yes, v2) the VPS lives inside the unit's cgroup. */
	if (s->a->report_fd >= 0 ||
	    vps_cgroup_delegated_parent(s->st.cgroup_parent, sizeof(s->st.cgroup_parent)) < 0)
		snprintf(s->st.cgroup_parent, sizeof(s->st.cgroup_parent), "%s",
		         s->a->node->cgroup_parent);
	/* the group itself is made by the first boot (vps-spawn.h) */
	r = vps_cgroup_new(s->st.cgroup_parent, cfg->name, &s->cg);
	if (r < 0)
		return vps_error_errno(err, r, "failed to create the VPS cgroup");
	r = proc_start_time(getpid(), &t);
	if (r < 0)
		return r;
	s->st.supervisor_pid = (uint64_t)getpid();
	s->st.supervisor_start = t;
	snprintf(s->st.backend, sizeof(s->st.backend), "%s",
	         vps_cgroup_backend_to_string(vps_cgroup_backend()));
	/* Before any init exists: whatever runs in the cgroup from now on is found through this
	 * state (its supervisor and cgroup), even if we are killed before init's pid is in it. */
	r = vps_state_write(s->a->paths, cfg->name, &s->st);
	if (r < 0)
		vps_error_errno(err, r, "failed to write the runtime state");
	return r;
}

static void exit_reason(const siginfo_t *si, char *buf, size_t len)
{
	char sig[32];

	if (si->si_code == CLD_EXITED)
		snprintf(buf, len, "exited %d", si->si_status);
	else if (si->si_status == SIGINT)
		snprintf(buf, len, "halted");
	else
		snprintf(buf, len, "killed by %s", format_signal(si->si_status, sig, sizeof(sig)));
}

static void on_signal(struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGTERM && si.ssi_signo != SIGINT)
			continue;
		/* A stop request: ask init to power off; `vpsctl stop` enforces the timeout. */
		s->stop_requested = true;
		(void)notify_send("STOPPING=1");
		if (s->spawn.pidfd >= 0)
			(void)syscall(SYS_pidfd_send_signal, s->spawn.pidfd, s->cfg.poweroff_signal,
			              NULL, 0);
	}
}

/* What a start prepares the root filesystem and the id maps for: a reboot cannot take a
 * change of these (storage repair, id shift), so it refuses rather than boot half of it. */
static int start_keys_unchanged(const struct vps_config *run, const struct vps_config *new,
                                struct vps_error *err)
{
	const char *key = NULL;

	if (run->userns != new->userns)
		key = "USERNS";
	else if (run->uid_base != new->uid_base)
		key = "UID_BASE";
	else if (run->storage != new->storage)
		key = "STORAGE";
	else if (strcmp(run->template_name, new->template_name) != 0)
		key = "TEMPLATE";
	else if (!run->disk != !new->disk)
		key = "DISK";
	if (!key)
		return 0;
	return vps_error_set(err, -EBUSY,
	                     "%s changed in vps.conf since the start; 'vpsctl start' applies it",
	                     key);
}

/* vps.conf as saved now, checked as `vpsctl start` checks it: what resize or a hand edit
 * saved is what the next boot gets, and a file that fails any check boots nothing. */
static int reload(struct sup *s, struct vps_config *ret, struct vps_error *err)
{
	const struct vps_supervisor_args *a = s->a;
	int r = vps_config_load(a->paths, s->cfg.name, a->node, ret, err);

	if (r == 0)
		r = start_keys_unchanged(&s->cfg, ret, err);
	if (r == 0)
		r = vps_boot_check(a->paths, ret, a->node, err);
	return r;
}

/* The group keeps its limits across a reboot; set them to the config's, from what the
 * kernel holds (a resize or a hand write may have changed them). Nothing runs in the group
 * now, so a memory cut cannot be refused for usage. */
static int apply_quota(struct sup *s, const struct vps_quota *q, struct vps_error *err)
{
	struct vps_quota cur;
	int r = vps_cgroup_read_quota(s->cg, &cur);

	if (r == 0)
		r = vps_cgroup_resize(s->cg, &cur, q, 0, true, err);
	return r < 0 ? vps_error_prefix(err, r, "failed to set the quotas") : 0;
}

/* The VPS's command lock, so that a reboot reads vps.conf as a command (resize) left it, never
 * half-way; a stop request while waiting ends the wait (-ECANCELED). */
static int lock_for_reboot(struct sup *s, int *ret_fd)
{
	unsigned waited = 0, limit = (unsigned)s->a->node->lock_timeout * 1000;

	for (;;) {
		struct pollfd p = {.fd = s->sigfd, .events = POLLIN};
		int fd = vps_lock(s->a->paths, s->cfg.name, 0);

		if (fd >= 0) {
			*ret_fd = fd;
			return 0;
		}
		if (fd != -EWOULDBLOCK || waited >= limit)
			return fd;
		if (poll(&p, 1, 50) > 0)
			on_signal(s);
		if (s->stop_requested)
			return -ECANCELED;
		waited += 50;
	}
}

/* The VPS rebooted itself: boot it again from vps.conf as saved now. */
static int reboot(struct sup *s, char *reason, size_t len)
{
	_cleanup_close_ int lock = -EBADF;
	struct vps_config cfg;
	struct vps_error err = VPS_ERROR_INIT;
	int r;

	r = lock_for_reboot(s, &lock);
	if (r == -ECANCELED) {
		snprintf(reason, len, "stopped");
		return r;
	}
	if (r < 0) {
		snprintf(reason, len, "reboot failed: cannot take the VPS lock: %s",
		         r == -EWOULDBLOCK ? "another vpsctl command holds it" : strerror(-r));
		return r;
	}
	r = reload(s, &cfg, &err);
	if (r < 0) {
		snprintf(reason, len, "reboot refused: %.200s", err.msg);
		return r;
	}
	r = apply_quota(s, &cfg.quota, &err);
	if (r < 0) {
		snprintf(reason, len, "reboot failed: %.200s", err.msg);
		return r;
	}
	s->cfg = cfg;
	r = boot(s, &err);
	if (r < 0)
		snprintf(reason, len, "reboot failed: %.200s", err.msg);
	return r;
}

/* Init died: returns true when the supervisor should go on (the VPS rebooted itself). */
static bool on_init_exit(struct sup *s, char *reason, size_t len)
{
	siginfo_t si = {0};

	if (waitid(P_PIDFD, (id_t)s->spawn.pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return true; /* spurious wakeup */
	closep(&s->spawn.pidfd);
	exit_reason(&si, reason, len);
	if (s->stop_requested) {
		snprintf(reason, len, "stopped");
		return false;
	}
	if (si.si_code != CLD_KILLED || si.si_status != SIGHUP)
		return false;
	vps_console_note(&s->console, "VPS rebooted itself; starting it again");
	(void)vps_cgroup_kill(s->cg, KILL_TIMEOUT_MS);
	if (reboot(s, reason, len) < 0) {
		log_error("%s: %s", s->cfg.name, reason); /* teardown notes it on the console */
		return false;
	}
	return true;
}

static void loop(struct sup *s, char *reason, size_t len)
{
	for (;;) {
		struct pollfd p[5] = {
			{.fd = s->sigfd, .events = POLLIN},
			{.fd = s->spawn.pidfd, .events = POLLIN},
			{.fd = s->console.master, .events = POLLIN},
			{.fd = s->console.listen_fd, .events = POLLIN},
			{.fd = s->console.client_fd, .events = POLLIN},
		};

		if (poll(p, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(reason, len, "supervisor failed: %s", strerror(errno));
			return;
		}
		if (p[2].revents)
			while (vps_console_pump(&s->console) == 0)
				;
		if (p[4].revents)
			vps_console_client_input(&s->console);
		if (p[3].revents)
			vps_console_accept(&s->console);
		if (p[0].revents)
			on_signal(s);
		if (p[1].revents && !on_init_exit(s, reason, len))
			return;
	}
}

static void teardown(struct sup *s, const char *reason)
{
	if (s->spawn.pidfd >= 0) {
		siginfo_t si;

		(void)syscall(SYS_pidfd_send_signal, s->spawn.pidfd, SIGKILL, NULL, 0);
		(void)waitid(P_PIDFD, (id_t)s->spawn.pidfd, &si, WEXITED);
		closep(&s->spawn.pidfd);
	}
	vps_net_teardown(s->a->paths, s->a->node, s->cfg.name);
	closep(&s->netns);
	if (s->cg) {
		(void)vps_cgroup_kill(s->cg, KILL_TIMEOUT_MS);
		if (vps_cgroup_remove(s->cg) == 0)
			vps_cpu_pin_release(s->a->paths, s->cfg.name);
		vps_cgroup_free(s->cg);
	}
	if (reason) {
		vps_console_note(&s->console, reason);
		(void)vps_exit_write(s->a->paths, s->cfg.name, reason);
	}
	(void)vps_state_remove(s->a->paths, s->cfg.name);
	vps_console_close(&s->console);
	closep(&s->sigfd);
}

static void supervise(struct sup *s)
{
	char reason[256] = "";

	loop(s, reason, sizeof(reason));
	(void)vps_stopping_write(s->a->paths, s->cfg.name, &s->st); /* status: "stopping" */
	teardown(s, reason);
	s->a->clean_exit = strcmp(reason, "stopped") == 0 || strcmp(reason, "halted") == 0;
	snprintf(s->a->exit_reason, sizeof(s->a->exit_reason), "%s", reason);
}

int vps_supervisor_run(struct vps_supervisor_args *a)
{
	struct sup s = {.a = a, .console = VPS_CONSOLE_INIT, .sigfd = -EBADF, .netns = -EBADF};
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_cgroup_host host;
	int r;

	s.cfg = *a->cfg;
	s.spawn.pidfd = -EBADF;
	r = prepare(&s, &err);
	if (r == 0)
		r = a->restore_dir ? restore(&s, &err) : boot(&s, &err);
	if (r < 0) {
		teardown(&s, NULL);
		report(&s, r, err.msg);
		return r;
	}
	report(&s, 0, NULL);
	if (a->handover && vps_cgroup_host_get(&host) == 0) {
		_cleanup_close_ int conf = vps_handover_config_fd(&s.cfg, a->node, &host);
		const int fds[_VPS_HANDOVER_MAX] = {
			[VPS_HANDOVER_PIDFD] = s.spawn.pidfd,
			[VPS_HANDOVER_CONSOLE_MASTER] = s.console.master,
			[VPS_HANDOVER_CONSOLE_SLAVE] = s.console.slave,
			[VPS_HANDOVER_CONSOLE_LISTEN] = s.console.listen_fd,
			[VPS_HANDOVER_CONFIG] = conf,
		};

		if (conf >= 0)
			vps_supervisor_handover(a, fds);
	}
	supervise(&s);
	return 0;
}

/* The state the handing-over supervisor wrote, and what it passed. */
static int adopt(struct sup *s, const int fds[_VPS_HANDOVER_MAX])
{
	const struct vps_config *cfg = &s->cfg;
	char run[PATH_MAX];
	int r;

	r = vps_state_read(s->a->paths, cfg->name, &s->st);
	if (r == 0)
		r = vps_path(s->a->paths, cfg->name, "rootfs", s->rootfs, sizeof(s->rootfs));
	if (r == 0)
		r = vps_run_path(s->a->paths, cfg->name, NULL, run, sizeof(run));
	if (r == 0)
		r = block_signals(s);
	if (r == 0)
		r = vps_console_adopt(&s->console, fds[VPS_HANDOVER_CONSOLE_MASTER],
		                      fds[VPS_HANDOVER_CONSOLE_SLAVE],
		                      fds[VPS_HANDOVER_CONSOLE_LISTEN], run);
	if (r == 0)
		r = vps_cgroup_new(s->st.cgroup_parent, cfg->name, &s->cg);
	return r;
}

int vps_supervisor_resume(struct vps_supervisor_args *a, const int fds[_VPS_HANDOVER_MAX])
{
	struct sup s = {.a = a, .console = VPS_CONSOLE_INIT, .sigfd = -EBADF, .netns = -EBADF};
	int r;

	s.cfg = *a->cfg;
	s.cgroup_made = true; /* by the boot before the handover */
	s.spawn.pidfd = fds[VPS_HANDOVER_PIDFD];
	snprintf(s.st.cgroup_parent, sizeof(s.st.cgroup_parent), "%s", a->node->cgroup_parent);
	r = adopt(&s, fds);
	if (r == 0 && a->config_lost)
		r = -EBADMSG; /* restarting it from defaults after a reboot could weaken it */
	if (r < 0) {
		/* An unsupervised VPS nobody can stop cleanly is worse than a stopped one. */
		snprintf(a->exit_reason, sizeof(a->exit_reason),
		         "supervisor failed to take over: %s", strerror(-r));
		log_error("%s: %s", a->cfg->name, a->exit_reason);
		teardown(&s, a->exit_reason);
		return r;
	}
	s.spawn.pid = (pid_t)s.st.init_pid;
	s.netns = vps_net_hold(s.spawn.pid);
	supervise(&s);
	return 0;
}
