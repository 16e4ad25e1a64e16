/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS's own devpts instance and its pty cap. Every devpts not mounted from the host's
 * mount namespace draws on one kernel pool (kernel.pty.max less kernel.pty.reserve); the
 * instance's max= is the only per-VPS limit, and it counts every pty in the instance: the
 * tenant's, sshd's and enter's alike. The console pty is the supervisor's, from the host's
 * instance, made before init runs: it is not counted here.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ptys.h"

/* The options of a VPS's devpts with a cap of ptys. A remount resets every option it does
 * not name, so mount and remount use the same list. */
void vps_devpts_options(uint64_t ptys, char *buf, size_t len);
/* Sets the cap of a running VPS's devpts (init_pid, started at init_start), from the host,
 * without following any path the tenant controls. -EAGAIN when that cannot be done safely now
 * (its /dev/pts is not the devpts instance any more, or did not answer): err says why. */
int vps_devpts_resize(uint64_t init_pid, uint64_t init_start, uint64_t ptys, struct vps_error *err);
