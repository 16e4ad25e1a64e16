/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <getopt.h>
#include <stddef.h>

#include "config.h"
#include "ops-quota.h"

#define QUOTA_OPT_BASE 1000

extern const char *const quota_help[];

/* A getopt table of a verb's own options followed by one per quota flag, terminated; NULL
 * when it does not fit in cap entries (a programming error, caught by every test). */
struct option *cli_quota_options(const struct option *own, size_t n_own, struct option *out,
                                 size_t cap);
/* Applies option opt's value to cfg; err says which flag was bad. */
int cli_quota_set(struct vps_config *cfg, int opt, const char *value, struct vps_error *err);
/* --io-weight other than 100 on a v1 node whose disk under dir schedules with something other
 * than bfq: a warning on stderr, since that scheduler ignores the weight. */
void cli_io_weight_warn(const char *name, const char *dir, uint64_t io_weight);
