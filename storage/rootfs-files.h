/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files create writes into a new VPS root: root's authorized SSH keys and a resolver config.
 * Every path is resolved under the root's dirfd (openat2 RESOLVE_IN_ROOT, no magic links, the
 * last component never followed), so a template's symlinks cannot point a write at the host.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* At most this much of an --ssh-key file is read. */
#define ROOTFS_SSH_KEYS_MAX (64 * 1024)

/* Checks the text of a public key file (authorized_keys syntax without options): every line a
 * comment, blank, or "TYPE BASE64 [comment]" of a type OpenSSH knows. Refuses private keys.
 * err says which line is wrong. */
int rootfs_ssh_keys_check(const char *text, struct vps_error *err);
/* Appends keys to /root/.ssh/authorized_keys (made 0700/0600, owned by uid:gid). */
int rootfs_add_authorized_keys(int rootfd, const char *keys, uid_t uid, gid_t gid);

/* The resolver lines worth giving a VPS from the node's resolv.conf (nameserver, search,
 * domain, options), without loopback name servers, which inside the VPS would be the VPS
 * itself. *ret is NULL when no name server is left. */
int rootfs_resolv_conf_filter(const char *host_text, char **ret);
/* Writes /etc/resolv.conf unless the root has one (a file or a symlink, e.g. to resolved),
 * owned by uid:gid (the VPS's root as the host sees it). */
int rootfs_write_resolv_conf(int rootfd, const char *text, uid_t uid, gid_t gid);
