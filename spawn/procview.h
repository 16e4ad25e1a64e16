/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS's own view of /proc through lxcfs (the node's FUSE server, an operator's
 * lxcfs.service on LXCFS_DIR): its files are bound over the VPS's /proc/{meminfo,cpuinfo,...}
 * and /sys/devices/system/cpu, and lxcfs answers each read from the reader's cgroup.
 * lxcfs is optional: without it (LXCFS=auto) a VPS starts with the node's view, and a dead or
 * restarted lxcfs leaves the running VPSes' binds stale (reads fail with ENOTCONN) until their
 * next start. Every check of lxcfs runs in a child killed after a timeout: a hung FUSE server
 * blocks its callers in uninterruptible waits.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

/* Host side, before the clone: whether this start binds the view (*ret_on). LXCFS=off: never;
 * auto: when LXCFS_DIR is a live lxcfs; required: -EHOSTDOWN (err says why) when it is not.
 * The probe child is forked only when the mount table shows a fuse.lxcfs mount on LXCFS_DIR. */
int procview_prepare(const struct node_config *node, bool *ret_on, struct vps_error *err);

/* Child, mount namespace the VPS's, /proc and /sys mounted under rootfd, before the pivot:
 * binds lxcfs's files (read-only) over the VPS's. Either all are bound or none; -errno and
 * err saying which step failed. */
int procview_bind(int rootfd, const char *lxcfs_dir, struct vps_error *err);

/* The view of a running VPS, by its init's host PID: "lxcfs" (bound, lxcfs answers), "stale"
 * (bound to an lxcfs that died or restarted) or "off". */
const char *procview_state(pid_t init_pid);
