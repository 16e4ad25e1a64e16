/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writing into a running VPS (vpsctl set): a child joins the mount and UTS namespaces of its
 * init (and its user namespace, becoming its root), so what it writes is what the VPS sees,
 * whatever its storage (the merged overlay, the mounted disk image), owned as the VPS's root
 * owns its files. The child is never dumpable: the VPS's root cannot ptrace it or read its fds.
 */
#pragma once

#include "config.h"
#include "paths.h"
#include "rootfs-access.h"

/* Runs fn on the VPS's "/" (uid:gid 0:0, its root), then sets its host name to hostname (NULL:
 * not) if fn succeeded; -ESRCH when it is not running. err says why it failed. */
int vps_live_run(const struct vps_paths *p, const struct vps_config *cfg, const char *hostname,
                 vps_root_fn fn, void *data, struct vps_error *err);
