/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VPS the host froze: through its v2 group's cgroup.freeze, its v1 freezer group, or on a
 * hybrid host its cgroup2 group (cgroup-mount.h). No VPS can freeze itself (cgroup-mount.h),
 * so this is the operator's or the node's doing. Its tasks do not run: it cannot power off,
 * and a process joining it stops at once. Commands check this rather than wait on it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether any of those groups of NAME (under the cgroup parent it was started with) is frozen
 * or being frozen; false when it has no group. */
int vps_frozen(const char *cgroup_parent, const char *name, bool *ret);
/* Thaws all of them: the last step of killing a frozen VPS (a task frozen by the v1 freezer
 * takes its SIGKILL only once thawed). */
int vps_thaw(const char *cgroup_parent, const char *name);
