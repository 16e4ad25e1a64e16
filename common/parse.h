/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checked parsers for numbers, sizes, CPU counts, booleans, signals and names. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "unlimited" / "max" parse to this in every size and count parser that allows it. */
#define VALUE_UNLIMITED UINT64_MAX

int parse_uint64(const char *s, uint64_t *ret);
int parse_uint64_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int parse_int_range(const char *s, int min, int max, int *ret);
/* Sizes: "4096", "512K", "512M", "2G", "1.5G", "1T" (binary units); "unlimited"/"max". */
int parse_size(const char *s, uint64_t *ret);
/* Counts that may be "unlimited"/"max" (e.g. pids). */
int parse_count(const char *s, uint64_t *ret);
/* CPUs as a decimal with up to 3 places, in thousandths: "1.5" -> 1500; "unlimited" -> max. */
int parse_cpus(const char *s, uint64_t *ret_milli);
int parse_bool(const char *s, bool *ret);
/* "SIGUSR2", "USR2", "SIGRTMIN+4", "RTMIN+4" or a number 1..64. */
int parse_signal(const char *s, int *ret);

/* Formatters write into buf (at least 32 bytes) and return buf. */
const char *format_size(uint64_t v, char *buf, size_t len);
const char *format_count(uint64_t v, char *buf, size_t len);
const char *format_cpus(uint64_t milli, char *buf, size_t len);
const char *format_signal(int sig, char *buf, size_t len);

/* A VPS or template name: [a-z0-9][a-z0-9-]{0,31}. */
bool name_is_valid(const char *s);
