/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The actions, for now: the vpsctl binary run with an argv (no shell), so that each takes the
 * CLI's locks and checks and refuses with the CLI's reasons. */
#pragma once

#include <stddef.h>

struct api_run {
	int status; /* the exit status; -1: killed or not run */
	int code;   /* a library call's -errno (api-ops.h), 0 for vpsctl's runs */
	char *out;  /* stdout, NUL-terminated */
	size_t out_len;
	char err[512]; /* the last line of stderr, without "vpsctl: " */
};

/* Runs VPSCTL --root ROOT args... (args NULL-terminated) with a bounded time and output. */
int api_run_vpsctl(const char *vpsctl, const char *root, const char *const *args,
                   unsigned timeout_s, struct api_run *ret);
/* The same with input as its stdin (a secret such as a password: never in argv), at most a
 * pipe's buffer (64 KiB), written before it starts. */
int api_run_vpsctl_input(const char *vpsctl, const char *root, const char *const *args,
                         const char *input, unsigned timeout_s, struct api_run *ret);
void api_run_done(struct api_run *r);
