/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* A cut reason says so, rather than ending mid-word as if complete. */
static void mark_truncated(struct vps_error *e, int n)
{
	if (n >= (int)sizeof(e->msg))
		memcpy(e->msg + sizeof(e->msg) - 4, "...", 4);
}

_printf_(4, 0) static int set_v(struct vps_error *e, int code, bool with_errno, const char *fmt,
                                va_list ap)
{
	int n;

	if (!e || vps_error_is_set(e))
		return code;
	e->code = code;
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (n < 0) {
		snprintf(e->msg, sizeof(e->msg), "%s", strerror(code < 0 ? -code : code));
		return code;
	}
	if (with_errno && (size_t)n < sizeof(e->msg))
		n += snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s",
		              strerror(code < 0 ? -code : code));
	mark_truncated(e, n);
	if (!e->msg[0]) /* an empty format would leave the error looking unset */
		snprintf(e->msg, sizeof(e->msg), "%s", strerror(code < 0 ? -code : code));
	return code;
}

int vps_error_setv(struct vps_error *e, int code, const char *fmt, va_list ap)
{
	return set_v(e, code, false, fmt, ap);
}

int vps_error_set(struct vps_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_v(e, code, false, fmt, ap);
	va_end(ap);
	return code;
}

int vps_error_errno(struct vps_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_v(e, code, true, fmt, ap);
	va_end(ap);
	return code;
}

int vps_error_check(struct vps_error *e, int r, const char *fmt, ...)
{
	va_list ap;

	if (r >= 0)
		return r;
	va_start(ap, fmt);
	set_v(e, r, true, fmt, ap);
	va_end(ap);
	return r;
}

int vps_error_prefix(struct vps_error *e, int code, const char *fmt, ...)
{
	char ctx[VPS_ERROR_MSG_MAX], old[VPS_ERROR_MSG_MAX];
	va_list ap;
	int n;

	if (!e)
		return code;
	va_start(ap, fmt);
	if (!vps_error_is_set(e)) {
		set_v(e, code, true, fmt, ap);
		va_end(ap);
		return code;
	}
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	n = snprintf(e->msg, sizeof(e->msg), "%s: %s", ctx, old);
	mark_truncated(e, n);
	return e->code;
}

void vps_error_append(struct vps_error *e, int code, const char *fmt, ...)
{
	size_t len;
	va_list ap;
	int n;

	if (!e)
		return;
	if (!e->code)
		e->code = code;
	len = strlen(e->msg);
	va_start(ap, fmt);
	n = vsnprintf(e->msg + len, sizeof(e->msg) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		mark_truncated(e, (int)len + n);
}

const char *vps_error_message(const struct vps_error *e, int r)
{
	if (vps_error_is_set(e))
		return e->msg;
	return strerror(r < 0 ? -r : r);
}
