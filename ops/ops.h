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
#include <stdio.h>

#include "config.h"
#include "error.h"
#include "paths.h"

/* The node a call acts on: its paths and its vpsctl.conf, loaded by the caller. */
struct ops_ctx {
	const struct vps_paths *paths;
	const struct node_config *node;
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
