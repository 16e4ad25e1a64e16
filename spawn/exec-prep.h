/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the VPS's init (vps-spawn.c) and a command run by exec/enter (exec.c) both do on their
 * way to exec: a clean signal state, root of the VPS's user namespace, the default PATH, and
 * the lock-down that nothing privileged may follow.
 */
#pragma once

#include "config.h"
#include "error.h"

/* PATH inside a VPS: init's environment and exec's. */
#define VPS_EXEC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Every signal to its default action and none blocked: the supervisor and the CLI block some
 * for their signalfds, and what runs inside must not inherit that. */
void vps_exec_reset_signals(void);
/* In a user namespace whose maps the host wrote: uid and gid 0 of it (the first ids of the
 * VPS's range on the host), no supplementary groups. */
int vps_exec_become_root(void);
/* The seccomp filter, then the capabilities (security.h), then every fd from 3 marked
 * close-on-exec. The last step before the exec; on failure err says which step failed. */
int vps_exec_lock_down(const struct vps_config *cfg, struct vps_error *err);
