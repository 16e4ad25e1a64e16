/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The API's tokens: stored as SHA-256 hashes in a root-only file, with a role, the VPSes a
 * customer may use and its plan (the most memory and CPUs a resize may give). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"

enum api_role { API_ROLE_OPERATOR, API_ROLE_CUSTOMER };

#define API_TOKEN_VPS_MAX 64

struct api_token {
	char id[17]; /* the first 16 hex digits of the hash: names a token in `token list` */
	enum api_role role;
	time_t expires; /* 0: never */
	char vps[API_TOKEN_VPS_MAX][33];
	unsigned n_vps;
	uint64_t max_memory;     /* bytes; 0: no plan limit */
	uint64_t max_cpus_milli; /* 0: no plan limit */
	char templates[512];     /* the templates a customer may reinstall from, "a,b"; "": none */
};

enum api_auth { API_AUTH_OK, API_AUTH_NONE, API_AUTH_WRONG, API_AUTH_EXPIRED };

/* ROOT/etc/vpsctl/api-tokens */
int api_token_file(const char *root, char *buf, size_t len);
/* Checks a presented token against every stored hash (each compared in constant time, none
 * skipped); fills ret on API_AUTH_OK. */
enum api_auth api_token_check(const char *file, const char *presented, struct api_token *ret);
/* What a long-lived stream (events, a console) knows of its token file. */
struct api_token_watch {
	bool seen;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* A stream's token again, cheaply enough for every poll: API_AUTH_EXPIRED once its time has
 * passed, API_AUTH_WRONG once its line is gone; the file is read again only when it changed
 * (its inode, size or mtime), and tok then takes the line as it is (its VPSes now). */
enum api_auth api_token_recheck(const char *file, struct api_token *tok, struct api_token_watch *w);
/* "token expired", "token removed": why a stream ended */
const char *api_auth_reason(enum api_auth a);
/* A new token: printed once to stdout, its hash added to the file (0600). add and remove
 * hold FILE.lock across their read and atomic replace: none undoes another. */
int api_token_add(const char *file, const struct api_token *t, struct vps_error *err);
int api_token_list(const char *file, struct vps_error *err);
int api_token_remove(const char *file, const char *id, struct vps_error *err);
bool api_token_has_vps(const struct api_token *t, const char *name);
/* An operator may use any template; a customer those of its --templates. */
bool api_token_has_template(const struct api_token *t, const char *name);
/* A template name as a token may list it: 1-64 of a-z A-Z 0-9 . _ -, not starting with '.'. */
bool api_template_name_ok(const char *name);
/* "2027-01-31" or "2027-01-31T12:00:00" (UTC) */
int api_parse_date(const char *s, time_t *ret);

/* Failed logins per peer: true once the peer had too many in the last minute. */
bool api_ratelimit_blocked(const char *peer);
void api_ratelimit_fail(const char *peer);
/* Failed logins a peer may have in a minute (default 10). */
void api_ratelimit_set(unsigned per_minute);
