/* SPDX-License-Identifier: GPL-2.0-or-later */
/* enter/exec: run a command inside a running VPS (its namespaces and cgroup). */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "paths.h"

/* Runs argv in the VPS. With pty, the command gets a fresh pty from the VPS's own devpts
 * (never the caller's tty) relayed to our stdin/stdout. Returns the command's exit code
 * (128+signal when killed) in *ret_code. */
int vps_exec(const struct vps_paths *p, const struct vps_config *cfg,
             const struct node_config *node, char *const *argv, bool pty, int *ret_code,
             struct vps_error *err);
