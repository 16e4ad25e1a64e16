/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KEY=value configuration files as a key table (lxc's jump table, OpenVZ's CTID.conf format):
 * each key has a type, a field offset and a comment. Parsing fills a struct and has no side
 * effects; formatting writes commented, shell-readable lines.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum conf_type {
	CONF_STRING,   /* free text without quotes, backslashes, $ or backticks */
	CONF_NAME,     /* [a-z0-9][a-z0-9-]{0,31} */
	CONF_HOSTNAME, /* RFC 1123 host name */
	CONF_PATH,     /* absolute path */
	CONF_BOOL,
	CONF_SIGNAL,   /* int */
	CONF_SIZE,     /* uint64_t bytes or unlimited */
	CONF_COUNT,    /* uint64_t or unlimited */
	CONF_CPUS,     /* uint64_t thousandths or unlimited */
	CONF_WEIGHT,   /* uint64_t 1..10000 */
	CONF_UINT,     /* uint64_t */
	CONF_MTU,      /* uint64_t 0 (kernel default) or 68..65535 */
	CONF_CPUSET,   /* "0-3,5" */
	CONF_IPLIST,   /* "10.77.0.2/24 fd77::2/64" into a struct netsetup_addr_list */
	CONF_MAC,      /* "02:aa:bb:cc:dd:ee" or "" */
	CONF_RATE,     /* uint64_t bits per second: "10mbit"; 0 = none */
	CONF_CAPLIST,  /* capability names, "NET_ADMIN,SYS_NICE" or "all", into a uint64_t mask
	                * (caps.h) */
	CONF_ENUM,     /* one of the key's names, into an int-sized enum (its index) */
	CONF_PTYS,     /* uint64_t 1..1048576: a devpts max= (devpts.h) */
	CONF_FORWARDS, /* "tcp:8022:22 udp:5353:53" into a struct netsetup_forward_list */
	_CONF_TYPE_MAX,
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;
	size_t size; /* the field's size (for strings: the buffer's) */
	const char *comment;
	const char *const *names; /* CONF_ENUM: the values, in enum order, NULL-terminated */
};

/* One kind of file: its keys, and the format version this binary writes and reads up to. A
 * file says its version in FORMAT_VERSION; one without it is version 1. */
struct conf_file {
	const char *path; /* named in every message */
	const struct conf_key *keys;
	size_t n;
	unsigned version;
};

#define CONF_VERSION_KEY "FORMAT_VERSION"

/* Sets one key from its text value; -ENOKEY for an unknown key, -EINVAL/-ERANGE for a bad value. */
int conf_set(const struct conf_key *keys, size_t n, void *obj, const char *key, const char *value);
/* Parses a whole file's text. Every line is read, so on an error obj still holds what the
 * good lines set (a corrupt state file can be salvaged); err says "PATH:LINE: reason" of the
 * first bad line. -EBADMSG: a bad line, an unknown or a duplicate key; -EPROTONOSUPPORT: the
 * file is of a newer format than f->version (then nothing else is reported). ret_lines (f->n
 * entries, may be NULL) gets the line each key was on, 0 for a key the file lacks. */
int conf_parse(const struct conf_file *f, void *obj, const char *text, unsigned *ret_lines,
               struct vps_error *err);
/* Formats FORMAT_VERSION and every key into a malloc'd text, each preceded by its comment. A
 * key whose value the parser would refuse is left out if it is empty (absent reads back as
 * empty), else -EINVAL: never write a file that cannot be read back. */
int conf_format(const struct conf_file *f, const void *obj, const char *header, char **ret);
/* Formats one key's value (no quotes) into buf. */
int conf_format_value(const struct conf_key *k, const void *obj, char *buf, size_t len);
const struct conf_key *conf_find(const struct conf_key *keys, size_t n, const char *name);
bool hostname_is_valid(const char *s);
bool cpuset_is_valid(const char *s);
/* 1 and *ret_cpu the first CPU of set that within lacks, 0 when within holds them all,
 * -EINVAL for a list that is not valid. */
int cpuset_first_outside(const char *set, const char *within, unsigned *ret_cpu);
/* The MTUs an Ethernet link takes: IPv4's minimum to the largest the kernel allows. */
#define CONF_MTU_MIN 68
#define CONF_MTU_MAX 65535
