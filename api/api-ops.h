/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's actions: ops/'s library calls (the CLI's own), run in the request's thread with
 * a context of its own (the node's vpsctl.conf read for each call), their document or reason
 * in a struct api_run as vpsctl's run would have given them. */
#pragma once

#include <stdio.h>

#include "api-internal.h"
#include "api-run.h"
#include "ops.h"

/* A document of NAME (NULL: of the node), written to f. */
typedef int (*api_doc_fn)(const struct ops_ctx *c, const char *name, FILE *f,
                          struct vps_error *err);

/* Runs fn; ret gets its output, status 0, or 1 with the reason in err ("NAME: reason", as
 * vpsctl says it) and its -errno in code. -errno only when it could not be run at all. */
int api_ops_doc(struct api_ctx *ctx, api_doc_fn fn, const char *name, struct api_run *ret);
/* The documents: `vpsctl list --json` (name unused). */
int api_ops_list(const struct ops_ctx *c, const char *name, FILE *f, struct vps_error *err);
