/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-VPS supervisor: creates the cgroup, spawns init, records state, keeps the console
 * log, restarts init when the VPS rebooted itself, and cleans up when it stopped.
 */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "paths.h"

struct vps_supervisor_args {
	const struct vps_paths *paths;
	const struct vps_config *cfg;
	const struct node_config *node;
	int report_fd; /* start result goes here (EOF = success, bytes = error); -1 = log it */
	int lock_fd;   /* the command lock, released once init runs */
	/* results */
	bool clean_exit;      /* the VPS was stopped or halted, not crashed */
	char exit_reason[128];
};

/* Runs until the VPS stopped. Returns 0 when the start succeeded (whatever happened later). */
int vps_supervisor_run(struct vps_supervisor_args *a);
