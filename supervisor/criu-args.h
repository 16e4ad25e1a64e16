/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * criu's command line, built in a fixed buffer (no allocation per argument), and the mounts a
 * VPS holds from the host that criu must be told are external.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define CRIU_ARGS_MAX  96
#define CRIU_ARGS_TEXT 8192

struct criu_args {
	char *v[CRIU_ARGS_MAX + 1];
	char text[CRIU_ARGS_TEXT];
	size_t used;
	int n;
	int overflow; /* -E2BIG once something did not fit: criu_args_done reports it */
};

void criu_args_init(struct criu_args *a);
/* Appends a copy of s (its text kept in a's buffer). */
void criu_args_add(struct criu_args *a, const char *s);
void criu_args_addf(struct criu_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The NULL-terminated argv, or NULL when it overflowed. */
char *const *criu_args_done(struct criu_args *a);

/*
 * The mounts of init's mount namespace that are bind mounts of the host's device file system
 * (a VPS in a user namespace cannot mknod: its /dev/null and the others are the host's nodes
 * bound in, and the masks over /proc files are binds of those): criu cannot name their root
 * ("doesn't have a proper root mount"), so each is dumped as external, keyed "hostdev" + the
 * node's path in the host's /dev ("hostdev/null"); a restore maps each key back to that node.
 * Adds "--external mnt[MOUNTPOINT]:KEY" for each to a, and writes the distinct keys, one
 * "EXT_MOUNT=KEY:/dev/NODE" line each, into keys (NUL-terminated). Returns their count or
 * -errno.
 */
int criu_host_dev_mounts(pid_t init, struct criu_args *a, char *keys, size_t keys_len);

/* A restore into a user namespace reads some images as the VPS's root (criu's tasks are in
 * the namespace by then): dir's files, and its pre-dumps' (the "parent" links), are given to
 * uid:gid for the restore and back to root after. */
int criu_images_chown(const char *dir, uid_t uid, gid_t gid);
