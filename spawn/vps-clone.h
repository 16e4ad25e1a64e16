/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clone3 for children that must start inside a VPS's cgroup. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Like fork() with extra CLONE_* flags (CLONE_PIDFD fills *ret_pidfd). With cgfd >= 0 the
 * child is born in that cgroup2 group (CLONE_INTO_CGROUP: no migration, so no wait for the
 * RCU grace period a cgroup.procs write costs); a kernel before 5.7 cannot, then the child
 * starts where we are and *ret_in_cgroup is false for the caller to move it. The caller must
 * be single-threaded: the child runs without fork()'s atfork handlers. */
pid_t vps_clone(uint64_t flags, int cgfd, int *ret_pidfd, bool *ret_in_cgroup);
