/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Usage history for the panel's graphs: a thread samples every VPS's usage (the fields of
 * `vpsctl list --json`) every few seconds into an in-memory ring holding the last hour;
 * nothing is written to disk, a restart starts it afresh. And the node's summary. */
#pragma once

#include <jansson.h>

#include "api-internal.h"

#define API_HISTORY_S 3600

/* Starts the sampler, a sample every interval_s seconds. */
int api_history_start(struct api_ctx *ctx, unsigned interval_s);
/* {"name", "interval", "samples": [{"time", "state", "cpu_pct", "memory_used", ...}]},
 * oldest first; a VPS not sampled yet has no samples. */
json_t *api_history_get(const char *name);
/* {"cpus", "memory_total", "memory_available", "load1", "vps_total", "vps_running"} */
json_t *api_node_get(void);
