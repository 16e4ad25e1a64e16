/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's readiness protocol (sd_notify): one datagram to $NOTIFY_SOCKET. */
#pragma once

/* Sends state (e.g. "READY=1") if we run under a Type=notify unit; otherwise does nothing. */
int notify_send(const char *state);
