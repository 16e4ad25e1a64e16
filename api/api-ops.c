/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-ops.h"
#include "config.h"

int api_ops_list(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                 struct vps_error *err)
{
	return ops_list_json(c, NULL, 0, NULL, f, err);
}

int api_ops_status(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                   struct vps_error *err)
{
	return ops_status_json(c, name, f, err);
}

int api_ops_stats(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                  struct vps_error *err)
{
	return ops_stats_json(c, name, f, err);
}

/* The supervisor is spawned: this process has threads, and may not run it in a fork. */
int api_ops_start(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                  struct vps_error *err)
{
	return ops_start(c, name, OPS_START_SPAWN, err);
}

int api_ops_stop(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                 struct vps_error *err)
{
	return ops_stop(c, name, a->timeout, a->force, err);
}

int api_ops_reboot(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                   struct vps_error *err)
{
	return ops_restart(c, name, a->timeout, a->force, OPS_START_SPAWN, err);
}

int api_ops_suspend(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                    struct vps_error *err)
{
	struct ops_suspend_result res;

	return ops_suspend(c, name, OPS_FREEZE_TIMEOUT_S, &res, err);
}

int api_ops_resume(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                   struct vps_error *err)
{
	struct ops_suspend_result res;

	return ops_resume(c, name, &res, err);
}

int api_ops_destroy(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                    struct vps_error *err)
{
	const char *said;

	return ops_destroy(c, name, a->force, &said, err);
}

int api_ops_resize(const struct ops_ctx *c, const char *name, const struct api_op_args *a, FILE *f,
                   struct vps_error *err)
{
	const struct ops_resize_req q = {
		.set = a->resize, .n = a->n_resize, .force = a->force, .no_fork = true};

	return ops_resize(c, name, &q, err);
}

int api_ops_run(struct api_ctx *ctx, api_op_fn fn, const char *name, const struct api_op_args *a,
                struct api_run *ret)
{
	static const struct api_op_args none = {.timeout = -1};
	struct vps_error err = VPS_ERROR_INIT;
	_cleanup_free_ struct node_config *node = malloc(sizeof(*node));
	FILE *f;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->status = -1;
	if (!node)
		return -ENOMEM;
	f = open_memstream(&ret->out, &ret->out_len);
	if (!f)
		return -errno;
	/* read for each call, as each vpsctl reads it: a change applies to the next request */
	r = node_config_load(&ctx->paths, node, &err);
	if (r == 0) {
		/* no notes (they are not errors) and no unpacking (no libarchive here) */
		const struct ops_ctx o = {.paths = &ctx->paths, .node = node};

		r = fn(&o, name, a ? a : &none, f, &err);
	} else {
		name = NULL; /* the reason names the file */
	}
	if (fclose(f) != 0 && r == 0)
		r = vps_error_errno(&err, -EIO, "failed to write the answer");
	if (!ret->out)
		return -ENOMEM;
	ret->code = r < 0 ? r : 0;
	ret->status = r < 0 ? 1 : 0;
	if (r < 0)
		snprintf(ret->err, sizeof(ret->err), "%s%s%s", name ? name : "", name ? ": " : "",
		         vps_error_message(&err, r));
	return 0;
}
