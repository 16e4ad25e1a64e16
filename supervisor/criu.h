/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checkpoint and restore of a whole VPS with the criu binary (Debian 12 has no libcriu-dev),
 * run with an argv, never a shell. What a VPS holds from outside its own namespaces is named
 * to criu as external: the console pty (init's stdio) and its /dev/console bind mount.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Where criu is looked for: a fixed path, never $PATH (vpsctl runs as root). */
#define VPS_CRIU_PATH "/usr/sbin/criu"

/* Whether criu can checkpoint on this kernel (`criu check`); the reason is criu's own first
 * error ("vdso: Unexpected rt vDSO area bounds"). */
int vps_criu_check(struct vps_error *err);

/* Dumps the process tree of init (pid, in our pid namespace) into dir (made 0700 if missing,
 * refused if it holds a checkpoint already). stop: the tree is killed after the dump (criu's
 * default), else it runs on (--leave-running). Writes dir/vpsctl-checkpoint (what a restore
 * needs to know of the host side). On failure the reason is criu's first error in
 * dir/dump.log. */
int vps_criu_dump(pid_t init, const char *dir, bool stop, struct vps_error *err);
