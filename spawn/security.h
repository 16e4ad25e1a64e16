/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The last steps before a process becomes part of a VPS: seccomp filter, then capabilities. */
#pragma once

#include <stdint.h>

#include "config.h"

/*
 * Loads the VPS's seccomp filter and reduces the capabilities to its configured set (default
 * plus CAP_ADD minus CAP_DROP). Called by init (child_main) and by exec/enter (exec_child)
 * right before exec, with every capability still held. The order is fixed: the filter does
 * not set no_new_privs, so loading it needs CAP_SYS_ADMIN, which the capability step drops.
 * On failure what names the step.
 */
int vps_security_apply(const struct vps_config *cfg, struct vps_error *err);

/*
 * Makes keep the process's only capabilities: drops every other one from the bounding set,
 * sets permitted and effective to keep, inheritable and ambient to empty. Root's execve then
 * yields exactly keep. Needs CAP_SETPCAP (for the bounding set), so it runs while the process
 * still has all capabilities, as the last step before exec (after the seccomp filter load,
 * which itself needs CAP_SYS_ADMIN: see vps-seccomp.h).
 */
int vps_caps_apply(uint64_t keep);
