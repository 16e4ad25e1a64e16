/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one error object: a -errno code and a one-line reason, carried from the layer that
 * failed to the CLI, which prints it once (cli_fail_error). Library code fills it and returns
 * the code, so a failing step reads `return vps_error_errno(err, r, "mount /proc");`.
 *
 * The first reason wins: the innermost failure is usually the precise one, so a set error is
 * not overwritten by a later vps_error_set(); a caller adds its context in front with
 * vps_error_prefix(). vps_error_clear() forgets a reason that was handled (a retry, a fallback).
 * Every function accepts e == NULL (the caller does not want the reason) and returns the code.
 * Messages start in lower case, quote names, and carry no trailing period.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

#define VPS_ERROR_MSG_MAX 512

struct vps_error {
	int code;                    /* -errno, 0 while unset */
	char msg[VPS_ERROR_MSG_MAX]; /* "" while unset; truncated with "..." when too long */
};

/* `struct vps_error err = VPS_ERROR_INIT;` */
#define VPS_ERROR_INIT                                                                             \
	{                                                                                          \
		0,                                                                                 \
		{                                                                                  \
			0                                                                          \
		}                                                                                  \
	}

static inline bool vps_error_is_set(const struct vps_error *e)
{
	return e && e->msg[0] != '\0';
}

static inline void vps_error_clear(struct vps_error *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}

/* Sets the reason unless one is set already; returns code (a -errno). */
_printf_(3, 4) int vps_error_set(struct vps_error *e, int code, const char *fmt, ...);
int vps_error_setv(struct vps_error *e, int code, const char *fmt, va_list ap) _printf_(3, 0);
/* The same with ": strerror(-code)" appended (a failed syscall or library call). */
_printf_(3, 4) int vps_error_errno(struct vps_error *e, int code, const char *fmt, ...);
/* r itself when r >= 0; else vps_error_errno(e, r, fmt, ...): a step's result checked where
 * it is returned, `return vps_error_check(err, mount_in(...), "Failed to bind the console");` */
_printf_(3, 4) int vps_error_check(struct vps_error *e, int r, const char *fmt, ...);
/* Puts "context: " in front of a set reason, or sets the context alone with the strerror of
 * code when none is set; returns the error's code (code when it was unset). */
_printf_(3, 4) int vps_error_prefix(struct vps_error *e, int code, const char *fmt, ...);
/* Appends to the reason (a list: what a forced shrink killed), setting it when unset. */
_printf_(3, 4) void vps_error_append(struct vps_error *e, int code, const char *fmt, ...);
/* The reason to print for a failure r: the message, or strerror(-r) when nothing was said. */
const char *vps_error_message(const struct vps_error *e, int r);
