/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

static bool is_unlimited(const char *s)
{
	return strcmp(s, "unlimited") == 0 || strcmp(s, "max") == 0;
}

int parse_uint64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_uint64_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v;
	int r = parse_uint64(s, &v);

	if (r < 0)
		return r;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int parse_int_range(const char *s, int min, int max, int *ret)
{
	char *end;
	long v;

	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = (int)v;
	return 0;
}

/* Parses "D[.F]" into an integer scaled by 10^places; rejects more decimals than places. */
static int parse_fixed(const char *s, unsigned places, const char **ret_end, uint64_t *ret)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	unsigned nfrac = 0;
	const char *p = s;

	for (unsigned i = 0; i < places; i++)
		scale *= 10;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (++nfrac > places)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
	}
	for (; nfrac < places; nfrac++)
		frac *= 10;
	if (whole > (UINT64_MAX - frac) / scale)
		return -ERANGE;
	*ret = whole * scale + frac;
	*ret_end = p;
	return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
	static const char units[] = "KMGTPE";
	const char *end, *u;
	uint64_t milli, mult = 1;
	int r;

	if (!s)
		return -EINVAL;
	if (is_unlimited(s)) {
		*ret = VALUE_UNLIMITED;
		return 0;
	}
	r = parse_fixed(s, 3, &end, &milli);
	if (r < 0)
		return r;
	if (*end != '\0') {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u || *u == '\0')
			return -EINVAL;
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
		end++;
		if (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0)
			end += strlen(end);
		if (*end != '\0')
			return -EINVAL;
	} else if (milli % 1000 != 0) {
		return -EINVAL; /* fractional bytes */
	}
	if (milli / 1000 > UINT64_MAX / mult)
		return -ERANGE;
	/* Split to avoid overflow: whole part times mult plus fraction times mult. */
	*ret = (milli / 1000) * mult + ((milli % 1000) * (mult / 8)) / 125;
	if (*ret == VALUE_UNLIMITED)
		return -ERANGE;
	return 0;
}

int parse_count(const char *s, uint64_t *ret)
{
	if (s && is_unlimited(s)) {
		*ret = VALUE_UNLIMITED;
		return 0;
	}
	return parse_uint64(s, ret);
}

int parse_cpus(const char *s, uint64_t *ret_milli)
{
	const char *end;
	int r;

	if (!s)
		return -EINVAL;
	if (is_unlimited(s)) {
		*ret_milli = VALUE_UNLIMITED;
		return 0;
	}
	r = parse_fixed(s, 3, &end, ret_milli);
	if (r < 0)
		return r;
	return *end == '\0' ? 0 : -EINVAL;
}

int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
	{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"PWR", SIGPWR},
};

int parse_signal(const char *s, int *ret)
{
	int n;

	if (!s)
		return -EINVAL;
	if (isdigit((unsigned char)s[0]))
		return parse_int_range(s, 1, SIGRTMAX, ret);
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (strcmp(s, signal_names[i].name) == 0) {
			*ret = signal_names[i].sig;
			return 0;
		}
	if (strncmp(s, "RTMIN", 5) == 0) {
		if (s[5] == '\0')
			n = 0;
		else if (s[5] != '+' || parse_int_range(s + 6, 0, SIGRTMAX - SIGRTMIN, &n) < 0)
			return -EINVAL;
		*ret = SIGRTMIN + n;
		return 0;
	}
	return -EINVAL;
}

const char *format_signal(int sig, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (signal_names[i].sig == sig) {
			snprintf(buf, len, "SIG%s", signal_names[i].name);
			return buf;
		}
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		if (sig == SIGRTMIN)
			snprintf(buf, len, "SIGRTMIN");
		else
			snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	} else
		snprintf(buf, len, "%d", sig);
	return buf;
}

const char *format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	if (v == VALUE_UNLIMITED) {
		snprintf(buf, len, "unlimited");
		return buf;
	}
	while (v != 0 && v % 1024 == 0 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[u]);
	return buf;
}

const char *format_count(uint64_t v, char *buf, size_t len)
{
	if (v == VALUE_UNLIMITED)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

const char *format_cpus(uint64_t milli, char *buf, size_t len)
{
	if (milli == VALUE_UNLIMITED) {
		snprintf(buf, len, "unlimited");
		return buf;
	}
	snprintf(buf, len, "%" PRIu64, milli / 1000);
	if (milli % 1000) {
		size_t n = strlen(buf);
		char frac[8];

		snprintf(frac, sizeof(frac), "%03" PRIu64, milli % 1000);
		for (int i = 2; i > 0 && frac[i] == '0'; i--)
			frac[i] = '\0';
		snprintf(buf + n, len - n, ".%s", frac);
	}
	return buf;
}

bool name_is_valid(const char *s)
{
	size_t n;

	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	n = strlen(s);
	if (n > 32)
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}
