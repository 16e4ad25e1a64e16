/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every path vpsctl uses hangs off one root (--root / VPSCTL_ROOT), so tests never touch a node. */
#pragma once

#include <limits.h>

struct vps_paths {
	char root[PATH_MAX];          /* "" for the real node */
	char node_conf[PATH_MAX];     /* ROOT/etc/vpsctl/vpsctl.conf */
	char vps_base[PATH_MAX];      /* ROOT/var/lib/vpsctl/vps */
	char templates_dir[PATH_MAX]; /* ROOT/var/lib/vpsctl/templates */
	char run_base[PATH_MAX];      /* ROOT/run/vpsctl */
};

int vps_paths_init(const char *root, struct vps_paths *ret);
/* Fills buf with vps_base/NAME[/sub] or run_base/NAME[/sub]; sub may be NULL. */
int vps_path(const struct vps_paths *p, const char *name, const char *sub, char *buf, size_t len);
int vps_run_path(const struct vps_paths *p, const char *name, const char *sub, char *buf,
                 size_t len);
/* A helper program of ours (vps-supervisor, vpsctl-template): beside the running binary (a
 * build tree, or everything in one directory), else the installed one in LIBEXEC_DIR. */
int vps_libexec_path(const char *prog, char *buf, size_t len);
