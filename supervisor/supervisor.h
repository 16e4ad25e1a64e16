/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-VPS supervisor: creates the cgroup, spawns init, records state, keeps the console
 * log, restarts init when the VPS rebooted itself, and cleans up when it stopped.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"
#include "paths.h"

/* The one byte that reports success: no error text holds a NUL. */
#define VPS_START_OK '\0'

struct vps_supervisor_args {
	const struct vps_paths *paths;
	const struct vps_config *cfg;
	const struct node_config *node;
	/* The start result goes here: VPS_START_OK once init runs and the state says so, else
	 * the error text; EOF without either means the supervisor died. -1 = log it. */
	int report_fd;
	int lock_fd; /* the command lock, released once init runs */
	/* Once init runs, exec vps-supervisor to supervise on (vps_supervisor_resume): the
	 * process living as long as the VPS then carries only what supervising needs, while the
	 * start itself ran without waiting for an exec. */
	bool handover;
	bool foreground;  /* started by `vpsctl start --foreground` (systemd) */
	bool config_lost; /* vps-supervisor could not read the handed-over config: stop the VPS */
	/* Not a boot: the VPS's processes come back from this checkpoint (criu.h) */
	const char *restore_dir;
	/* results */
	bool clean_exit; /* the VPS was stopped or halted, not crashed */
	char exit_reason[128];
};

/* In the process that becomes the supervisor (a fork of `vpsctl start`, or vps-supervisor
 * --start): a session of its own, cwd /, umask 022, stdio to /dev/null and supervisor.log, no
 * fd but the report (moved to 3); then vps_supervisor_run(). Never returns. */
_noreturn_ void vps_supervisor_detach(struct vps_supervisor_args *a);
/* The report of a supervisor starting NAME on report_rd (sup: our child, to reap when it died
 * before reporting; 0 when it is not ours): 0, or the reason its start failed, what it left
 * removed. */
int vps_start_wait_report(const struct vps_paths *p, const struct vps_config *cfg,
                          const struct node_config *node, pid_t sup, int report_rd,
                          struct vps_error *err);

/* Runs until the VPS stopped. Returns 0 when the start succeeded (whatever happened later). */
int vps_supervisor_run(struct vps_supervisor_args *a);

/* What a supervisor hands to vps-supervisor across its exec (--fds, in this order). */
enum {
	VPS_HANDOVER_PIDFD,          /* of init, our child */
	VPS_HANDOVER_CONSOLE_MASTER, /* the console pty */
	VPS_HANDOVER_CONSOLE_SLAVE,
	VPS_HANDOVER_CONSOLE_LISTEN, /* console.sock */
	VPS_HANDOVER_CONFIG,         /* the parsed configs (vps_handover_config_fd) */
	_VPS_HANDOVER_MAX,
};

/* The configs the start loaded and checked, and the host's cgroups as the start found them, in a
 * sealed memfd: vps-supervisor supervises with exactly what init was started from, without
 * parsing the files a second time (they may have changed since) or probing the cgroups (which
 * needs libcgroup, most of its memory). Returns the fd or -errno. */
int vps_handover_config_fd(const struct vps_config *cfg, const struct node_config *node,
                           const struct vps_cgroup_host *host);
/* In vps-supervisor: reads them back; -EBADMSG when fd is not such a memfd of this build. */
int vps_handover_config_read(int fd, struct vps_config *ret_cfg, struct node_config *ret_node,
                             struct vps_cgroup_host *ret_host);

/* Execs vps-supervisor with fds (see above); returns only if that failed, fds intact. */
void vps_supervisor_handover(const struct vps_supervisor_args *a, const int fds[_VPS_HANDOVER_MAX]);
/* In vps-supervisor: supervises the running VPS a supervisor handed over (its init, console
 * and the state file it wrote) until it stops. fds are taken over (closed). */
int vps_supervisor_resume(struct vps_supervisor_args *a, const int fds[_VPS_HANDOVER_MAX]);
