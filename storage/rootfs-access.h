/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The root filesystem of an existing VPS as the VPS sees it, for a command that writes into it
 * (set, reinstall, clone): for a stopped VPS mounted here the way its start mounts it (the
 * overlay over the id-mapped template tree, the disk image detached), in a child with a private
 * mount namespace, so nothing shows in the node's mount table and all goes with the child.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

/* Runs body(data) in a forked child; err gets the reason the child gave in its own err. 0, or
 * -EIO when the child failed. */
int vps_child_run(int (*body)(void *data, struct vps_error *err), void *data,
                  struct vps_error *err);

/* In a child with a private mount namespace of its own (vps_storage_run_offline's): the root
 * of the stopped VPS in directory dir, and its root's ids as this process sees them. err says
 * which step failed. */
int vps_storage_open_root(const char *dir, const struct vps_config *cfg, int *ret_rootfd,
                          uid_t *ret_uid, struct vps_error *err);

/* What runs with a VPS's root: rootfd is its "/", uid:gid its root as the caller sees it. */
typedef int (*vps_root_fn)(int rootfd, uid_t uid, gid_t gid, void *data, struct vps_error *err);

/* fn on the root of the stopped VPS in directory dir, in a child (vps_child_run). */
int vps_storage_run_offline(const char *dir, const struct vps_config *cfg, vps_root_fn fn,
                            void *data, struct vps_error *err);
/* In a child: a mount namespace of its own whose mounts stay private. */
int vps_storage_private_ns(struct vps_error *err);

/* The hidden name (in the VPS base) a reinstall builds NAME's new directory under; whatever
 * is found there is garbage of a reinstall cut short (reinstall and destroy remove it). */
void vps_reinstall_leftover(const char *name, char *buf, size_t len);
