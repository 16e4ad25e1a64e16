/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node's claim indexes (VAR/<dir>/KEY -> the VPS that holds it): addresses, forwarded
 * node ports. A claim is a file made with O_EXCL; a claim whose VPS no longer holds the item
 * (a killed create, a hand edit) is taken over under the owner's lock (addresses.c).
 */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "paths.h"

struct vps_index_kind {
	const char *dir;  /* under VAR: "addresses", "ports" */
	const char *noun; /* in messages: "address", "node port" */
	/* whether a VPS's config holds the item a claim stands for */
	bool (*holds)(const struct vps_config *c, const void *item);
};

/* Claims key (a file name: no '/') for name. 1: claimed now, 0: it was name's already,
 * -EADDRINUSE with err saying "NOUN KEY is already used by VPS 'X'", or -errno. */
int vps_index_claim(const struct vps_paths *p, const struct node_config *node,
                    const struct vps_index_kind *kind, const char *name, const char *key,
                    const void *item, struct vps_error *err);
/* Drops name's claim on key; another VPS's claim is left alone. */
void vps_index_release(const struct vps_paths *p, const char *dir, const char *name,
                       const char *key);
