/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What list and status read of a VPS (its config, run state, freeze, migration, usage) and
 * the one JSON object that `vpsctl list/status --json` and vpsctl-api's answers are made of
 * (ops_info_json). The rows of a node-wide list are built in parallel (list-rows.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "list-usage.h"
#include "ops.h"
#include "state.h"

struct vps_info {
	struct vps_config cfg;
	bool cfg_ok;
	struct vps_error cfg_error;
	struct vps_run_info run;
	uint64_t uptime;
	bool frozen;    /* running, but the host froze it (frozen.h) */
	bool suspended; /* frozen by `vpsctl suspend` */
	bool migrating; /* a migration's marker (migrate.h): it is moving, in or out */
	uint64_t suspended_since;
	struct vps_usage use;      /* ops_info_usage() */
	const char *proc_view;     /* status only (a probe per VPS): procview.h */
	char cpus[VPS_CPUSET_MAX]; /* status only: the effective cpuset; "" = unknown */
	bool cpus_auto;            /* ... chosen by CPU_PINNING=auto */
};

/* Which VPSes list shows: those matching a name glob (any, when none is given) and in state
 * (NULL: any); with what it reads once for all of them. */
struct vps_list_sel {
	char **globs;
	size_t n_globs;
	const char *state;
	int run_base;
	bool usage;                 /* read the usage columns */
	struct vps_usage_node node; /* what is read once for every row */
};

/* The rows of a list: one slot per selected name, in the names' order. */
struct vps_list_rows {
	const struct ops_ctx *c;
	struct vps_list_sel *sel;
	char **names; /* those ops_list_selected() keeps */
	size_t n;
	struct vps_info *row; /* n */
	bool *shown;          /* n: in the state asked for */
};

/* Fills i for NAME (run_base: the node's run directory opened once, -1: none; s: what a list
 * opened once, NULL: status). Never fails: what cannot be read is said in i. */
void ops_info_get(const struct ops_ctx *c, int run_base, struct vps_list_sel *s, const char *name,
                  struct vps_info *i);
/* The usage columns of i, with what s read once (the node's veths). */
void ops_info_usage(const struct ops_ctx *c, struct vps_list_sel *s, struct vps_info *i);
/* The effective CPUs of a running VPS, and whether CPU_PINNING=auto chose them. */
void ops_info_cpus(const struct ops_ctx *c, struct vps_info *i);
/* "running", "stopped", "suspended", "broken"...: what list and status show. */
const char *ops_info_state(const struct vps_info *i);
/* The JSON object of i (no newline). */
void ops_info_json(FILE *f, const struct vps_info *i);
bool ops_vps_exists(const struct ops_ctx *c, const char *name);
/* The node's run directory, O_DIRECTORY (-errno: none; rows read by path). */
int ops_run_base_open(const struct ops_ctx *c);
/* The names of every VPS, in natural order (bb1, bb2, bb10); a strv. */
int ops_vps_names(const struct ops_ctx *c, char ***ret, size_t *ret_n);
bool ops_list_selected(const struct vps_list_sel *s, const char *name);
/* Every row s keeps of names, built at once (in parallel for many), in the names' order. */
int ops_list_rows_get(const struct ops_ctx *c, struct vps_list_sel *s, char **names, size_t n,
                      struct vps_list_rows *ret);
void ops_list_rows_done(struct vps_list_rows *l);
/* status: i for NAME with its proc view and CPUs (and usage when usage); -ENOENT (err says
 * "no such VPS") when it does not exist. */
int ops_status_get(const struct ops_ctx *c, const char *name, bool usage, struct vps_info *i,
                   struct vps_error *err);
