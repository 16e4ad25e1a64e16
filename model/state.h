/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runtime state of a VPS under the run dir: who supervises it, which init runs, since when. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "paths.h"

struct vps_state {
	uint64_t supervisor_pid;
	uint64_t supervisor_start; /* start time in clock ticks: pid + start time = identity */
	uint64_t init_pid;
	uint64_t init_start;
	uint64_t started; /* unix time the current init was exec'd */
	uint64_t boots;   /* inits started by this supervisor (reboots + 1) */
	char backend[8];
	char cgroup_parent[256]; /* where the VPS cgroup lives, as it was at start */
	/* Not in the file: why it could not be read (VPS_UNKNOWN), as "PATH:LINE: reason";
	 * error is -EBADMSG (corrupt), -EPROTONOSUPPORT (a newer vpsctl wrote it) or -errno. */
	int error;
	char error_text[256];
};

#define VPS_STATE_FORMAT 2

enum vps_run_state {
	VPS_STOPPED,
	VPS_RUNNING,    /* init alive, or processes in its cgroup with no supervisor */
	VPS_TRANSITION, /* supervisor alive, init not (starting, rebooting, stopping) */
	VPS_UNKNOWN,    /* the state file is there but unreadable: never taken for stopped */
	_VPS_RUN_STATE_MAX,
};

/* -ENOENT: no state (stopped). On other errors ret holds what the file's good lines said (its
 * pids are still checked against their start times before use) and ret->error_text why. */
int vps_state_read(const struct vps_paths *p, const char *name, struct vps_state *ret);
int vps_state_write(const struct vps_paths *p, const char *name, const struct vps_state *s);
/* Removes the state and the temp files of atomic writes whose writer died (state.tmp.PID). */
int vps_state_remove(const struct vps_paths *p, const char *name);
/* True when pid is alive and still the process that started at start_time. */
bool vps_process_alive(uint64_t pid, uint64_t start_time);
/* Reads the state file (missing = stopped; unreadable = VPS_UNKNOWN) and checks both
 * processes; with both gone, processes in the VPS's cgroup still make it VPS_RUNNING
 * (unsupervised). An init that is not alive reads as init_pid 0. */
enum vps_run_state vps_run_state_get(const struct vps_paths *p, const char *name,
                                     struct vps_state *ret);
const char *vps_run_state_to_string(enum vps_run_state s);
/* The last exit reason ("halted", "exited 3", "killed by SIGKILL", "stopped"). */
int vps_exit_write(const struct vps_paths *p, const char *name, const char *reason);
int vps_exit_read(const struct vps_paths *p, const char *name, char *buf, size_t len);
/* Opens a pidfd for pid only if it still is the process that started at start_time. */
int vps_pidfd_open_checked(uint64_t pid, uint64_t start_time);
/* Whether pid's user namespace is another than ours (a VPS with its own id range). */
bool vps_pid_in_other_userns(uint64_t pid);

/* Records that the VPS's supervisor (st's pid and start time) is stopping it: asked to by a
 * stop, or ending on its own. Such a supervisor never boots an init again, so while it lives
 * without an init the VPS is stopping, not starting. vps_state_remove() removes the record. */
int vps_stopping_write(const struct vps_paths *p, const char *name, const struct vps_state *st);

/* What list and status show of a VPS at runtime. */
struct vps_run_info {
	struct vps_state st;
	enum vps_run_state rs;
	bool supervised; /* its supervisor lives */
	bool stopping;   /* VPS_TRANSITION: its supervisor is stopping it (vps_stopping_write) */
	char last_exit[160];
};

/* The same as vps_run_state_get(), vps_process_alive() of the supervisor and vps_exit_read()
 * together, reading relative to the open run base directory (-1: none) with as few opens
 * as it takes: `list` does this for every VPS of the node. */
void vps_run_info_get(const struct vps_paths *p, int run_base_fd, const char *name,
                      struct vps_run_info *ret);
/* Its run state as list, status and the API's events say it: "stopping" for a VPS_TRANSITION
 * whose supervisor is stopping it, else vps_run_state_to_string(). */
const char *vps_run_info_state(const struct vps_run_info *ri);
