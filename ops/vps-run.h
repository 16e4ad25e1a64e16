/* SPDX-License-Identifier: GPL-2.0-or-later */
/* start, stop and restart under a lock the caller already holds (the CLI takes it itself, to
 * print its own refusals); ops.h's ops_start/ops_stop/ops_restart take it. */
#pragma once

#include "config.h"
#include "ops.h"

/* -EAGAIN with nothing said: c has no tree_unpack and an overlay's shared tree is missing (the
 * lock is left to the caller, who hands the command over). */
int ops_start_locked(const struct ops_ctx *c, const struct vps_config *cfg, enum ops_start_how how,
                     int *lock, struct vps_error *err);
int ops_stop_locked(const struct ops_ctx *c, const struct vps_config *cfg, unsigned timeout,
                    bool force, struct vps_error *err);
/* The config stop acts on: a corrupt vps.conf does not keep a VPS running (noted); only a
 * missing one or one of a newer vpsctl fails. */
int ops_load_for_stop(const struct ops_ctx *c, const char *name, struct vps_config *ret,
                      struct vps_error *err);
/* 0 when the host has every CPU q's cpuset names; what names it in the reason: "--cpuset". */
int ops_quota_host_check(const struct vps_quota *q, const char *what, struct vps_error *err);
