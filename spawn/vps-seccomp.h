/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS's default seccomp filter (libseccomp): an allow-list would break arbitrary
 * distributions, so it is a deny-list of the syscalls that reach host-wide kernel state or the
 * kernel's riskiest code, for the x86_64, x86 and x32 entry points alike; any other
 * architecture kills the process. (Named vps-seccomp.h so it never shadows libseccomp's
 * <seccomp.h> on the include path.)
 */
#pragma once

#include <seccomp.h>
#include <stdbool.h>

/* What a VPS may do beyond the default filter. */
enum {
	VPS_SECCOMP_NESTING = 1 << 0,    /* nested user namespaces (CLONE_NEWUSER and clone3) */
	VPS_SECCOMP_SOCKETCALL = 1 << 1, /* i386 socketcall, for 32-bit glibc programs */
};

/* Builds the filter without loading it; allow is a mask of VPS_SECCOMP_*. The filter does not
 * set no_new_privs (setuid binaries must work inside a VPS), so loading it needs
 * CAP_SYS_ADMIN, or no_new_privs set by the caller. */
int vps_seccomp_build(unsigned allow, scmp_filter_ctx *ret);
/*
 * Builds and loads the filter into the calling thread. Order in init and exec/enter: load the
 * filter while the process still has CAP_SYS_ADMIN, then vps_caps_apply() (which drops it),
 * then exec. The filter lets through what that sequence needs (prctl, capset, close_range,
 * execve).
 */
int vps_seccomp_load(unsigned allow);
