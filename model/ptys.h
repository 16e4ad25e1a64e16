/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VPS's pty cap: its bounds, and whether the kernel's shared pool can hold it (spawn/devpts.h
 * says why the cap exists and applies it). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define VPS_PTYS_DEFAULT 256
#define VPS_PTYS_LIMIT   (1U << 20) /* NR_UNIX98_PTY_MAX: the largest max= devpts takes */

/* 0 if ptys fits the kernel's pool; -ERANGE with err naming the pool (what: "--ptys", ...). */
int vps_devpts_check(uint64_t ptys, const char *what, struct vps_error *err);
