/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The quota flags create, restore and resize share (--memory, --cpus...), mapped onto vps.conf
 * keys: the CLI's options and vpsctl-api's fields are checked by the same code. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

struct quota_flag {
	const char *flag;
	const char *key;
};

extern const struct quota_flag quota_flags[];
extern const size_t quota_flags_n;

/* Applies quota_flags[i]'s value to cfg; err says which flag was bad. */
int ops_quota_set(struct vps_config *cfg, int i, const char *value, struct vps_error *err);
/* The quota check of create and resize, host CPUs included. given: bit i set when
 * quota_flags[i] was typed (named as the flag); the others are named other_prefix + key. */
int ops_quota_validate(const struct vps_config *cfg, unsigned given, const char *other_prefix,
                       struct vps_error *err);
/* --io-weight other than 100 on a v1 node whose disk under dir schedules with something other
 * than bfq, which ignores the weight: true with the warning in buf. */
bool ops_io_weight_warning(const char *dir, uint64_t io_weight, char *buf, size_t len);
