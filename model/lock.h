/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Commands on one VPS serialize on an flock'd file in the run dir. */
#pragma once

#include "paths.h"

/* Takes NAME's lock, waiting up to timeout_sec; -EWOULDBLOCK when another command holds it.
 * Returns the lock fd (close it to release). */
int vps_lock(const struct vps_paths *p, const char *name, unsigned timeout_sec);
/* RUN/locks/NAME.lock, the file vps_lock() flocks. */
int vps_lock_path(const struct vps_paths *p, const char *name, char *buf, size_t len);
/* Removes the lock file while holding it (destroy); waiters retry on the new file. */
void vps_lock_unlink(const struct vps_paths *p, const char *name);
/* The lock file of the node-services rules (netsetup_nodefw_add/prune), beside the VPS
 * locks in RUN/locks (root-only; made if missing). */
int vps_nodefw_lock_path(const struct vps_paths *p, char *buf, size_t len);
