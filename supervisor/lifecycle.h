/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Start, stop and clean-up of a VPS, as the CLI's verbs call them (under the VPS lock). */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "paths.h"

/* Starts the supervisor (daemonized unless foreground) and returns once init was exec'd.
 * In foreground mode it returns only when the VPS stopped. err gets the one-line reason. */
int vps_start(const struct vps_paths *p, const struct vps_config *cfg,
              const struct node_config *node, bool foreground, int *lock_fd, struct vps_error *err);
/* The same, but the VPS's processes come back from a checkpoint dir (supervisor/criu.h)
 * instead of a boot. */
int vps_start_restore(const struct vps_paths *p, const struct vps_config *cfg,
                      const struct node_config *node, const char *dir, int *lock_fd,
                      struct vps_error *err);
/* vps_start() for a caller with threads (vpsctl-api), which may not run the supervisor in a
 * fork of itself: vps-supervisor --start is spawned (no fd, signal mask or handler, cwd,
 * environment or umask of the caller's) with the configs checked here; returns once init was
 * exec'd. The caller holds the VPS lock until then, as for vps_start(). */
int vps_start_spawn(const struct vps_paths *p, const struct vps_config *cfg,
                    const struct node_config *node, struct vps_error *err);
/* Powers the VPS off (its init's power-off signal), waits timeout_sec, then kills every
 * process of it; force kills at once. */
int vps_stop(const struct vps_paths *p, const struct vps_config *cfg,
             const struct node_config *node, unsigned timeout_sec, bool force,
             struct vps_error *err);
/* Removes what a crashed supervisor left behind (state, cgroup) of a VPS that is not running. */
int vps_cleanup_stale(const struct vps_paths *p, const char *name, const struct node_config *node);
