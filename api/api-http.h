/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTP side of vpsctl-api: the route table, authorization and the handlers. */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>

#include "api-internal.h"

/* Idle seconds an authenticated connection may have (an event stream writes a keepalive every
 * 15 s, a console pings every 5 s). */
#define API_CONN_TIMEOUT_S 60u

/* Every route, one "METHOD PATH" a line: what the OpenAPI document must list. */
void api_routes_print(FILE *f);
enum MHD_Result api_handle(void *cls, struct MHD_Connection *conn, const char *url,
                           const char *method, const char *version, const char *upload_data,
                           size_t *upload_data_size, void **con_cls);
void api_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe);
