/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The last steps before a process becomes part of a VPS: seccomp filter, then capabilities. */
#pragma once

#include "config.h"

/*
 * Loads the VPS's seccomp filter and reduces the capabilities to its configured set (default
 * plus CAP_ADD minus CAP_DROP). Called by init (child_main) and by exec/enter (exec_child)
 * right before exec, with every capability still held. The order is fixed: the filter does
 * not set no_new_privs, so loading it needs CAP_SYS_ADMIN, which the capability step drops.
 * On failure what names the step.
 */
int vps_security_apply(const struct vps_config *cfg, const char **what);
