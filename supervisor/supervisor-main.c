/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vps-supervisor: what a VPS's supervisor execs once the VPS's init runs (supervisor.h), so
 * that the process living as long as its VPS carries only what supervising needs (none of the
 * command line's code and memory). Not for operators to run.
 *
 * Usage: vps-supervisor --fds PIDFD,MASTER,SLAVE,LISTEN,CONFIG [--root DIR] [--foreground]
 *        [--debug] NAME
 *        vps-supervisor --start [--root DIR] NAME   (fd 3: the report pipe, 4: the configs)
 * --start is how a program with threads (vpsctl-api) starts a VPS (lifecycle.h's
 * vps_start_spawn): this process forks the supervisor, which then does what the fork of
 * `vpsctl start` does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"
#include "supervisor.h"

#define USAGE "usage: vps-supervisor --fds PIDFD,MASTER,SLAVE,LISTEN,CONFIG [--root DIR] NAME"

/* The handed-over fds: open, and close-on-exec again from here on. */
static int parse_fds(const char *s, int fds[_VPS_HANDOVER_MAX])
{
	char buf[64], *save = NULL, *tok;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == _VPS_HANDOVER_MAX || parse_int_range(tok, 3, 1 << 20, &fds[n]) < 0 ||
		    fcntl(fds[n], F_SETFD, FD_CLOEXEC) < 0)
			return -EINVAL;
		n++;
	}
	return n == _VPS_HANDOVER_MAX ? 0 : -EINVAL;
}

/* Arguments that make no sense: kill the VPS (the pid namespace goes with its init); the next
 * vpsctl command cleans up after it from the state file. */
static int abandon(int pidfd)
{
	log_error(USAGE "; stopping the VPS");
	(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	return EXIT_FAILURE;
}

/* posix_spawn leaves glibc's own signals (32, 33) ignored, which exec keeps and every process
 * of the VPS would inherit: back to the default a fork of `vpsctl start` has. glibc's
 * sigaction() refuses them; single-threaded here, nothing of glibc's uses them yet. */
static void internal_signals_default(void)
{
	struct {
		void *handler; /* SIG_DFL */
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} ksa = {0};

	for (int sig = 32; sig < SIGRTMIN; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
}

/* --start: the report on fd 3, the configs on 4. A failure before the supervisor runs is
 * reported as its start's would be. */
static int start_main(const char *root, const char *name)
{
	struct vps_supervisor_args a = {.report_fd = 3, .lock_fd = -1};
	struct vps_cgroup_host host;
	struct node_config node;
	struct vps_config cfg;
	struct vps_paths paths;
	const char *why = NULL;
	pid_t pid;
	int r;

	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0 || fcntl(4, F_SETFD, FD_CLOEXEC) < 0)
		return log_error(USAGE), EXIT_FAILURE;
	internal_signals_default();
	r = vps_handover_config_read(4, &cfg, &node, &host);
	close(4);
	if (r < 0 || !name_is_valid(name) || strcmp(cfg.name, name) != 0)
		why = "vps-supervisor: cannot read the configs handed to it";
	else if (vps_paths_init(root, &paths) < 0)
		why = "vps-supervisor: invalid --root";
	else if (vps_cgroup_host_set(&host) < 0)
		why = "vps-supervisor: cannot use the host's cgroups";
	if (why) {
		(void)write_all(3, why, strlen(why));
		return EXIT_FAILURE;
	}
	/* the caller reaps this process at once; the supervisor is adopted by init */
	pid = fork();
	if (pid < 0) {
		why = "vps-supervisor: cannot fork the supervisor";
		(void)write_all(3, why, strlen(why));
		return EXIT_FAILURE;
	}
	if (pid > 0) {
		/* its pid, for a start that must end a supervisor that never reports */
		char text[24];
		int n = snprintf(text, sizeof(text), "%d\n", (int)pid);

		(void)write_all(STDOUT_FILENO, text, (size_t)n);
		return EXIT_SUCCESS;
	}
	a.paths = &paths;
	a.node = &node;
	a.cfg = &cfg;
	vps_supervisor_detach(&a);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"fds", required_argument, NULL, 'f'},  {"root", required_argument, NULL, 'R'},
		{"foreground", no_argument, NULL, 'F'}, {"debug", no_argument, NULL, 'd'},
		{"start", no_argument, NULL, 's'},      {NULL, 0, NULL, 0},
	};
	struct vps_supervisor_args a = {.report_fd = -1, .lock_fd = -1};
	int fds[_VPS_HANDOVER_MAX] = {-1, -1, -1, -1, -1};
	const char *root = NULL, *fdlist = NULL;
	struct vps_paths paths;
	struct vps_cgroup_host host;
	struct node_config node;
	struct vps_config cfg;
	bool start = false;
	int opt, r;

	log_set_prefix("vps-supervisor");
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'f')
			fdlist = optarg;
		else if (opt == 'R')
			root = optarg;
		else if (opt == 'F')
			a.foreground = true;
		else if (opt == 's')
			start = true;
		else if (opt == 'd')
			log_set_max_level(LOG_LEVEL_DEBUG);
		else
			return log_error(USAGE), EXIT_FAILURE;
	}
	if (start)
		return optind + 1 == argc ? start_main(root, argv[optind])
		                          : (log_error(USAGE), EXIT_FAILURE);
	if (!fdlist || parse_fds(fdlist, fds) < 0)
		return log_error(USAGE), EXIT_FAILURE;
	/* From here on init is ours: whatever fails, it must not run on unsupervised. */
	if (optind + 1 != argc || !name_is_valid(argv[optind]) || vps_paths_init(root, &paths) < 0)
		return abandon(fds[VPS_HANDOVER_PIDFD]);
	/* What the supervisor before the exec started init from, not the files again; without
	 * it the VPS is stopped (vps_supervisor_resume) rather than supervised on defaults. */
	r = vps_handover_config_read(fds[VPS_HANDOVER_CONFIG], &cfg, &node, &host);
	if (r == 0 && strcmp(cfg.name, argv[optind]) != 0)
		r = -EBADMSG;
	/* the cgroups as the start found them: this program does not probe (no libcgroup) */
	if (r == 0 && vps_cgroup_host_set(&host) < 0)
		log_error("%s: cannot use the host's cgroups", argv[optind]);
	closep(&fds[VPS_HANDOVER_CONFIG]);
	if (r < 0) {
		log_error("%s: cannot read the handed-over config: %s", argv[optind], strerror(-r));
		node_config_init(&node);
		vps_config_init(&cfg, argv[optind], &node);
		a.config_lost = true;
	}
	a.paths = &paths;
	a.node = &node;
	a.cfg = &cfg;
	if (vps_supervisor_resume(&a, fds) < 0)
		return EXIT_FAILURE;
	/* Under systemd a crash is a failure of the unit, so Restart=on-failure applies. */
	if (a.foreground && !a.clean_exit) {
		fprintf(stderr, "vpsctl: %s: the VPS ended: %s\n", cfg.name, a.exit_reason);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
