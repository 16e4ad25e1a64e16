/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's actions: ops/'s library calls (the CLI's own), run in the request's thread with
 * a context of its own (the node's vpsctl.conf read for each call), their document or reason
 * in a struct api_run as vpsctl's run would have given them. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "api-internal.h"
#include "api-run.h"
#include "ops.h"

/* What a request's body asked for. */
#define API_RESIZE_MAX 8

struct api_op_args {
	int timeout; /* seconds, -1: the node's default */
	bool force;
	/* a resize's changes (quota_flags' indexes) and their texts */
	struct ops_resize_set resize[API_RESIZE_MAX];
	char resize_text[API_RESIZE_MAX][72];
	size_t n_resize;
};

/* A call on NAME (NULL: on the node), its document (if any) written to f. */
typedef int (*api_op_fn)(const struct ops_ctx *c, const char *name, const struct api_op_args *a,
                         FILE *f, struct vps_error *err);

/* Runs fn; ret gets its output, status 0, or 1 with the reason in err ("NAME: reason", as
 * vpsctl says it) and its -errno in code. -errno only when it could not be run at all. */
int api_ops_run(struct api_ctx *ctx, api_op_fn fn, const char *name, const struct api_op_args *a,
                struct api_run *ret);

/* The calls: GET /v1/vps, /v1/vps/NAME, /v1/vps/NAME/stats; POST start, stop, reboot,
 * suspend, resume; DELETE /v1/vps/NAME. */
int api_ops_list(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                 struct vps_error *err);
int api_ops_status(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                   struct vps_error *err);
int api_ops_stats(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                  struct vps_error *err);
int api_ops_start(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                  struct vps_error *err);
int api_ops_stop(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                 struct vps_error *err);
int api_ops_reboot(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                   struct vps_error *err);
int api_ops_suspend(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                    struct vps_error *err);
int api_ops_resume(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                   struct vps_error *err);
/* POST /v1/vps/NAME/resize: memory, swap, cpus, pids only (nothing whose live step forks). */
int api_ops_resize(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                   struct vps_error *err);
int api_ops_destroy(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                    struct vps_error *err);
