/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum log_level max_level = LOG_LEVEL_INFO;
static const char *log_prefix = "vpsctl";

void log_set_max_level(enum log_level level)
{
	max_level = level;
}

enum log_level log_get_max_level(void)
{
	return max_level;
}

void log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

int log_internal(enum log_level level, int error, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (error < 0)
		errno = -error;
	if (level <= max_level) {
		char buf[1024];

		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		fprintf(stderr, "%s: %s\n", log_prefix, buf);
	}
	errno = saved;
	return error < 0 ? error : -abs(error);
}
