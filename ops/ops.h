/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The actions of vpsctl as library calls, for every front end: the CLI (cli/) prints their
 * reason and exits; vpsctl-api (api/) answers with an HTTP status and the reason in JSON. Each
 * takes the same VPS lock and makes the same checks wherever it is called from; a JSON
 * document is written by one function here, so `vpsctl X --json` and the API's answer are the
 * same bytes. Everything a call needs is passed in (struct ops_ctx); nothing is global, and
 * nothing exits: a failure is -errno with its one-line reason in err.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "error.h"
#include "paths.h"

/* The node a call acts on: its paths and its vpsctl.conf, loaded by the caller; and what the
 * front end offers. */
struct ops_ctx {
	const struct vps_paths *paths;
	const struct node_config *node;
	/* a non-fatal note about NAME ("..., stopping it from its runtime state"); NULL: none */
	void (*note)(const char *name, const char *text);
	/* the unpacking of an overlay's missing shared tree (storage.h's vps_tree_unpack_fn);
	 * NULL: the build without libarchive, whose start then fails with -EAGAIN */
	int (*tree_unpack)(const char *templates_dir, const char *template_name,
	                   struct vps_error *err);
};

/* s as a JSON string, quoted and escaped. */
void ops_json_string(FILE *f, const char *s);

/* --- reads --- */

/* `vpsctl list --json`: an array of every VPS matching one of globs (all when n_globs is 0)
 * in state (NULL: any), in natural order, then a newline. */
int ops_list_json(const struct ops_ctx *c, char **globs, size_t n_globs, const char *state, FILE *f,
                  struct vps_error *err);
/* `vpsctl status NAME --json`: its object and a newline. -ENOENT: no such VPS (nothing
 * written); a broken vps.conf or an unreadable state is written and then failed with. */
int ops_status_json(const struct ops_ctx *c, const char *name, FILE *f, struct vps_error *err);
/* `vpsctl stats NAME --json`: its figures and a newline; -ESRCH when it is not running. */
int ops_stats_json(const struct ops_ctx *c, const char *name, FILE *f, struct vps_error *err);

/* --- lifecycle: each takes NAME's lock (flock on a file this call opens, released when the
 * call returns) for LOCK_TIMEOUT seconds, as every vpsctl command does --- */

/* How start runs the supervisor: a fork of this process, which returns once init runs (the
 * CLI); the caller itself until the VPS stops (systemd's --foreground); or vps-supervisor
 * spawned fresh, for a caller with threads that may not fork (vpsctl-api). */
enum ops_start_how { OPS_START_FORK, OPS_START_FOREGROUND, OPS_START_SPAWN };

/* NAME's lock (create: of a VPS that does not exist yet); the fd, or -ENOENT "no such VPS",
 * -EWOULDBLOCK "another vpsctl command is working on this VPS; try again later". */
int ops_lock(const struct ops_ctx *c, const char *name, bool create, struct vps_error *err);
int ops_start(const struct ops_ctx *c, const char *name, enum ops_start_how how,
              struct vps_error *err);
/* timeout: seconds for a clean power-off, -1: vpsctl.conf STOP_TIMEOUT. */
int ops_stop(const struct ops_ctx *c, const char *name, int timeout, bool force,
             struct vps_error *err);
/* stop (if it runs) and start under one lock. */
int ops_restart(const struct ops_ctx *c, const char *name, int timeout, bool force,
                enum ops_start_how how, struct vps_error *err);

/* suspend (freeze every process, waiting timeout_s for each to stop) and resume. */
/* How long the kernel gets by default to stop every task: one in uninterruptible sleep (a slow
 * disk, an NFS server gone) holds a freeze off. */
#define OPS_FREEZE_TIMEOUT_S 10
struct ops_suspend_result {
	size_t processes;           /* suspend: how many were frozen */
	uint64_t freeze_ms;         /* suspend: how long the freeze took */
	uint64_t suspended_seconds; /* resume: how long it was suspended */
};
int ops_suspend(const struct ops_ctx *c, const char *name, unsigned timeout_s,
                struct ops_suspend_result *ret, struct vps_error *err);
int ops_resume(const struct ops_ctx *c, const char *name, struct ops_suspend_result *ret,
               struct vps_error *err);

/* destroy (force: stop it first if it runs). *ret_said: what was removed instead when NAME was
 * only what a cut-short create, clone, restore or destroy left (NULL otherwise). */
int ops_destroy(const struct ops_ctx *c, const char *name, bool force, const char **ret_said,
                struct vps_error *err);

/* --- resize --- */

/* What one change of a resize is: >= 0, quota_flags[what] (ops-quota.h); or one of these. */
enum ops_resize_what {
	OPS_RESIZE_IP_ADD = -1,
	OPS_RESIZE_IP_DEL = -2,
	OPS_RESIZE_BANDWIDTH = -3,
	OPS_RESIZE_DISK = -4,
	OPS_RESIZE_DISK_INODES = -5,
	OPS_RESIZE_FORWARD_ADD = -6,
	OPS_RESIZE_FORWARD_DEL = -7,
};
struct ops_resize_set {
	int what;
	const char *value; /* the option's text: 512M, 1.5, tcp:8022:22 */
};
struct ops_resize_req {
	const struct ops_resize_set *set;
	size_t n;
	bool force; /* a memory shrink even if usage stays above it (the VPS's processes OOM) */
	/* a caller with threads (vpsctl-api): the changes whose live step forks and runs code in
	 * the child (ptys, disk) are refused with -EOPNOTSUPP before anything is changed */
	bool no_fork;
};
/* `vpsctl resize NAME`: under NAME's lock, the changes on its vps.conf, checked, saved, then
 * applied to the running VPS; a step that fails undoes the ones before it. Notes (a shrink
 * that waits, an OOM kill, a change saved for the next start) go to c->note. */
int ops_resize(const struct ops_ctx *c, const char *name, const struct ops_resize_req *q,
               struct vps_error *err);
