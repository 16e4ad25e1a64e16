/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GET /v1/events: Server-Sent Events of the VPSes' state changes and reboots, from polling
 * model/'s runtime state (the same reading as `vpsctl status`). */
#pragma once

#include <microhttpd.h>

#include "api-internal.h"
#include "api-token.h"

/* Streams one token may hold at once: each holds a connection, and connections are few. */
#define API_EVENTS_PER_TOKEN 8

/* A streaming response for tok's VPSes (a customer sees only its own); NULL with errno
 * EBUSY when tok already holds API_EVENTS_PER_TOKEN streams. */
struct MHD_Response *api_events_response(struct api_ctx *ctx, const struct api_token *tok);
