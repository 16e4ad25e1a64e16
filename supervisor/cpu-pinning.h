/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Automatic CPU pinning on the node (vpsctl.conf CPU_PINNING=auto): a running VPS with a CPU cap
 * and no CPUSET of its own gets ceil(CPUS) of the least-loaded online CPUs in its cgroup, chosen
 * under the node lock RUN/locks/_cpu-pin.lock from the other running VPSes' cpusets (the math is
 * cgroup/cpu-pin.h). vps.conf is never changed: a stop releases the CPUs with the group.
 * The node's pins (chosen or an explicit CPUSET) are kept in one table, RUN/locks/_cpu-pin.pins
 * (cgroup/cpu-pin-table.h), so that a pin reads one file, not every VPS's group: rebuilt from
 * the groups when missing or damaged, two entries checked against the kernel per pin.
 */
#pragma once

#include <stdbool.h>

#include "cgroup.h"
#include "config.h"
#include "cpu-pin.h"
#include "paths.h"

/* Whether the cpuset of cfg's group is chosen by vps_cpu_pin() rather than written from
 * CPUSET. */
bool vps_cpu_pin_applies(const struct node_config *node, const struct vps_config *cfg);
/* Pins the running VPS cfg (its group cg) when vps_cpu_pin_applies(): keeps its CPUs when they
 * already are ceil(CPUS) online ones, else chooses anew; unpins it (every CPU) when its cap needs
 * them all. Nothing when it does not apply. On error err says why; the group is as it was. */
int vps_cpu_pin(const struct vps_paths *p, const struct node_config *node,
                const struct vps_config *cfg, struct vps_cgroup *cg, struct vps_error *err);
/* After NAME's group is gone (stop): its entry out of the node's table. Best effort: an entry
 * left behind is dropped by a later pin's check. */
void vps_cpu_pin_release(const struct vps_paths *p, const char *name);
/* vps_cgroup_resize(), but a cpuset cleared to "" (every CPU) that the kernel refuses on a group
 * with tasks (-ENOSPC: cgroup v2 before Linux 6.6) is written as the online CPUs, the same set:
 * for the automatic un-pin and for an explicit --cpuset ''. */
int vps_cpu_resize(struct vps_cgroup *cg, const struct vps_quota *old, const struct vps_quota *new,
                   unsigned shrink_timeout_ms, bool force, struct vps_error *err);
/* The CPUs the group runs on (its cpuset, the online CPUs when that is empty), as a list;
 * ret_partial: whether that is not every online CPU. */
int vps_cpu_pin_effective(struct vps_cgroup *cg, char *buf, size_t len, bool *ret_partial);
