/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The browser console: GET /v1/vps/{name}/console upgraded to a WebSocket (RFC 6455, framed
 * here) and bridged to `vpsctl console NAME` run with pipes. A browser cannot send an
 * Authorization header on a WebSocket, so it first gets a one-time ticket
 * (POST .../console-ticket, valid 30 s) and offers it as a subprotocol "ticket.HEX". */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>

#include "api-internal.h"
#include "api-token.h"

#define API_TICKET_TTL_S 30
/* Live tickets one token may hold: the node's few slots are not one customer's to take. */
#define API_TICKETS_PER_TOKEN 4

/* A new ticket for tok on VPS name: 64 hex digits into out. -EDQUOT when tok already holds
 * API_TICKETS_PER_TOKEN live ones, -EBUSY when every slot of the node holds a live one (no
 * live ticket is ever evicted). */
int api_ticket_new(const struct api_token *tok, const char *name, char out[65]);
/* The subprotocol header's "ticket.HEX", if any; used up by the check whatever its result:
 * true and *tok filled when it was live and for name. */
bool api_ticket_offered(struct MHD_Connection *conn);
bool api_ticket_take(struct MHD_Connection *conn, const char *name, struct api_token *tok);
/* The 101 answer bridging the WebSocket to the VPS's console; NULL with msg when the request
 * is not a WebSocket handshake. The bridge closes with 1008 once tok is removed or expired,
 * or no longer has the VPS. */
struct MHD_Response *api_console_response(struct api_ctx *ctx, struct MHD_Connection *conn,
                                          const struct api_token *tok, const char *name, char *msg,
                                          size_t len);
