/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GET /v1/vps at load: one list (ops_list_json, the document of `vpsctl list --json`) serves
 * every request of the same second. Callers that arrive while it is made wait for it instead
 * of making their own; an action through the API makes the next list afresh. */
#pragma once

#include "api-internal.h"
#include "api-run.h"

#define API_LIST_TTL_MS 1000

/* The list into ret (as api_ops_run's: ret->out is the caller's to free). */
int api_list_get(struct api_ctx *ctx, struct api_run *ret);
/* After an action: the cached list may be wrong. */
void api_list_invalidate(struct api_ctx *ctx);
