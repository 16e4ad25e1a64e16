/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The record of a suspend (the freeze itself: cgroup/frozen.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "paths.h"

/* `vpsctl suspend` is such a freeze, recorded: "suspended" in the VPS's run directory holds
 * the start time of the init it froze and when. A freeze without that record, or with the
 * record of an earlier run, is someone else's ("frozen"). Nothing of it outlives the run: the
 * state's removal takes it along, and a cgroup's freeze ends with the cgroup (a host reboot). */
int vps_suspend_record(const struct vps_paths *p, const char *name, uint64_t init_start);
int vps_suspend_forget(const struct vps_paths *p, const char *name);
/* Whether the run whose init started at init_start was suspended (recorded; the caller checks
 * that it is frozen); ret_since (may be NULL) gets when, in unix time. */
bool vps_suspended(const struct vps_paths *p, const char *name, uint64_t init_start,
                   uint64_t *ret_since);
/* Why a command that needs the VPS's processes to run is refused: "VPS is suspended ('vpsctl
 * resume NAME' first)" or "VPS is frozen", set in err with code, which it returns. */
int vps_frozen_reason(const struct vps_paths *p, const char *name, uint64_t init_start, int code,
                      struct vps_error *err);
