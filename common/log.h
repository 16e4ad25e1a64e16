/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: library code logs at debug level; the CLI logs errors once. */
#pragma once

#include "cleanup.h"

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Set once by main from the parsed options (the only mutable logging state). */
void log_set_max_level(enum log_level level);
void log_set_prefix(const char *prefix);
enum log_level log_get_max_level(void);

/* Logs with errno set to -error (so %m works) and returns error (always negative). */
int log_internal(enum log_level level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error_errno(r, ...)   log_internal(LOG_LEVEL_ERROR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_internal(LOG_LEVEL_WARNING, (r), __VA_ARGS__)
#define log_debug_errno(r, ...)   log_internal(LOG_LEVEL_DEBUG, (r), __VA_ARGS__)
#define log_error(...)            ((void)log_internal(LOG_LEVEL_ERROR, 0, __VA_ARGS__))
#define log_warning(...)          ((void)log_internal(LOG_LEVEL_WARNING, 0, __VA_ARGS__))
#define log_info(...)             ((void)log_internal(LOG_LEVEL_INFO, 0, __VA_ARGS__))
#define log_debug(...)            ((void)log_internal(LOG_LEVEL_DEBUG, 0, __VA_ARGS__))
