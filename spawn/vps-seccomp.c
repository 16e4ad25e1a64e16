/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The default VPS seccomp filter. Default action: allow. Denied (EPERM unless noted), one line
 * of reasoning each:
 *   kexec_load, kexec_file_load          replace the host's kernel (CAP_SYS_BOOT is in the set
 *                                        for reboot(2), so this must be closed here)
 *   init_module, finit_module,
 *   delete_module                        host kernel modules
 *   open_by_handle_at                    file handles bypass the mount tree ("shocker")
 *   keyctl, add_key, request_key         the kernel keyring is not namespaced
 *   bpf, perf_event_open                 kernel-wide programs and events, large attack surface
 *   userfaultfd                          a classic tool to win kernel races
 *   acct, swapon, swapoff, syslog,
 *   quotactl, quotactl_fd                host-wide accounting, swap, kernel log, disk quotas
 *   settimeofday, clock_settime(64),
 *   stime                                the host's clock (CAP_SYS_TIME is never granted; this
 *                                        is defence in depth). adjtimex/clock_adjtime stay
 *                                        allowed: with modes 0 they are how NTP status is read,
 *                                        and any change needs CAP_SYS_TIME.
 *   ioctl(TIOCSTI), ioctl(TIOCLINUX)     typing into a terminal another process reads
 *   socket/socketpair(AF_ALG),
 *   socket/socketpair(AF_VSOCK)          rarely needed families with a history of escapes; on
 *                                        every arch's direct syscall, i386's 359/360 included
 *   socketcall                    ENOSYS  i386 only: it passes the family in memory, which
 *                                        seccomp cannot read, so it would carry AF_ALG/AF_VSOCK
 *                                        past the rule above. The direct socket syscalls exist
 *                                        since Linux 4.3. Cost: 32-bit programs whose libc
 *                                        still goes through socketcall (glibc's i386 socket()
 *                                        up to at least 2.36, built for kernels before 4.3)
 *                                        get ENOSYS from socket(); recent musl tries the
 *                                        direct syscall first. A VPS that runs such programs
 *                                        gets socketcall back with --socketcall (SOCKETCALL),
 *                                        and with it the family rule's gap on i386.
 *   unshare/clone with CLONE_NEWUSER     a user namespace gives full capabilities over new
 *                                        namespaces and the kernel surface behind them; allowed
 *                                        with --nesting
 *   clone3                        ENOSYS  its flags live in memory seccomp cannot read, so it
 *                                        cannot be filtered like clone; ENOSYS makes glibc fall
 *                                        back to clone (as Docker and crun do); allowed with
 *                                        --nesting
 *   io_uring_setup/enter/register ENOSYS  io_uring runs socket(), openat() and friends without
 *                                        passing through this filter; ENOSYS looks like an old
 *                                        kernel, so programs fall back to plain syscalls
 * Left alone: mount/umount/pivot_root (need CAP_SYS_ADMIN, which is dropped, and are scoped by
 * the mount namespace anyway), reboot (scoped by the pid namespace: it is how a VPS restarts),
 * ptrace (needs the target's capabilities to be a subset; a VPS has none of the host's).
 *
 * Argument checks compare only the low 32 bits of int-typed arguments (ioctl's cmd, socket's
 * family): the kernel truncates them, so a full 64-bit compare could be bypassed by setting
 * the upper half.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "log.h"
#include "vps-seccomp.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif

#define INT_MASK UINT64_C(0xffffffff)

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}
#define _cleanup_seccomp_ _cleanup_(seccomp_releasep)

/* One arch at a time, exact where possible: libseccomp takes the native number and translates
 * it. A syscall absent on an arch is skipped there. */
static int add_rule(scmp_filter_ctx ctx, uint32_t arch, const char *name, int err, unsigned n,
                    const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name_arch(arch, name), r;

	/* negative: absent here, or (socket's pseudo numbers) multiplexed through socketcall */
	if (nr < 0 && !(nr <= __PNR_socket && nr >= __PNR_sendmmsg))
		return 0;
	if (nr >= 0)
		r = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ERRNO(err),
		                                 seccomp_syscall_resolve_name(name), n, cmp);
	else
		/* Multiplexed on this arch (socket on x86): libseccomp refuses an exact rule with
		 * arguments, and its loose rule adds the direct syscall (socket is 359 there) with
		 * these arguments plus socketcall(SYS_SOCKET) without them; the blanket socketcall
		 * rule that add_socketcall adds after this one replaces the latter. */
		r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(err),
		                           seccomp_syscall_resolve_name(name), n, cmp);
	if (r < 0)
		return log_debug_errno(r, "seccomp rule for %s: %m", name);
	return 0;
}

/* socketcall carries its arguments in memory: no family can be checked there, so it is refused
 * whole (only x86 has it). It must come after the socket rules: libseccomp lets an
 * argument-free rule replace the conditional ones on the same syscall, not the other way. */
static int add_socketcall(scmp_filter_ctx ctx, uint32_t arch)
{
	return add_rule(ctx, arch, "socketcall", ENOSYS, 0, NULL);
}

static int add_denied(scmp_filter_ctx ctx, uint32_t arch)
{
	static const char *const eperm[] = {
		"kexec_load",   "kexec_file_load", "init_module",
		"finit_module", "delete_module",   "open_by_handle_at",
		"keyctl",       "add_key",         "request_key",
		"bpf",          "perf_event_open", "userfaultfd",
		"acct",         "swapon",          "swapoff",
		"syslog",       "quotactl",        "quotactl_fd",
		"settimeofday", "clock_settime",   "clock_settime64",
		"stime",
	};
	static const char *const enosys[] = {"io_uring_setup", "io_uring_enter",
	                                     "io_uring_register"};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(eperm); i++) {
		r = add_rule(ctx, arch, eperm[i], EPERM, 0, NULL);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(enosys); i++) {
		r = add_rule(ctx, arch, enosys[i], ENOSYS, 0, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_arg_rules(scmp_filter_ctx ctx, uint32_t arch, unsigned allow)
{
	/* With socketcall open, the family can pass through it anyway; and libseccomp would turn
	 * the family rule into a refusal of every socketcall(SYS_SOCKET). */
	bool families = arch != SCMP_ARCH_X86 || !(allow & VPS_SECCOMP_SOCKETCALL);
	static const struct {
		const char *name;
		unsigned arg;
		uint64_t value;
	} rules[] = {
		{"ioctl", 1, TIOCSTI},   {"ioctl", 1, TIOCLINUX},   {"socket", 0, AF_ALG},
		{"socket", 0, AF_VSOCK}, {"socketpair", 0, AF_ALG}, {"socketpair", 0, AF_VSOCK},
	};

	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		bool is_socket = strncmp(rules[i].name, "socket", 6) == 0;
		struct scmp_arg_cmp cmp = {
			.arg = rules[i].arg,
			.op = SCMP_CMP_MASKED_EQ,
			.datum_a = INT_MASK,
			.datum_b = rules[i].value,
		};
		int r = is_socket && !families ? 0
		                               : add_rule(ctx, arch, rules[i].name, EPERM, 1, &cmp);

		if (r < 0)
			return r;
	}
	return 0;
}

static int add_userns_rules(scmp_filter_ctx ctx, uint32_t arch)
{
	const struct scmp_arg_cmp newuser = {
		.arg = 0,
		.op = SCMP_CMP_MASKED_EQ,
		.datum_a = CLONE_NEWUSER,
		.datum_b = CLONE_NEWUSER,
	};
	int r;

	/* clone's flags are its first argument on x86_64, x32 and x86 alike */
	r = add_rule(ctx, arch, "unshare", EPERM, 1, &newuser);
	if (r == 0)
		r = add_rule(ctx, arch, "clone", EPERM, 1, &newuser);
	if (r == 0)
		r = add_rule(ctx, arch, "clone3", ENOSYS, 0, NULL);
	return r;
}

/* One arch's filter; the arches are merged into one program by vps_seccomp_build. */
static int build_arch(uint32_t arch, unsigned allow, scmp_filter_ctx *ret)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;
	/* no_new_privs would break su, sudo and ping inside the VPS; see vps-seccomp.h */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* the kernel's own errno from seccomp_load, not libseccomp's catch-all ECANCELED */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (r == 0 && arch != seccomp_arch_native()) {
		r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (r == 0)
			r = seccomp_arch_add(ctx, arch);
	}
	if (r == 0)
		r = add_denied(ctx, arch);
	if (r == 0)
		r = add_arg_rules(ctx, arch, allow);
	if (r == 0 && !(allow & VPS_SECCOMP_SOCKETCALL))
		r = add_socketcall(ctx, arch);
	if (r == 0 && !(allow & VPS_SECCOMP_NESTING))
		r = add_userns_rules(ctx, arch);
	if (r < 0)
		return log_debug_errno(r, "Building the seccomp filter for arch %#x: %m", arch);
	*ret = TAKE_PTR(ctx);
	return 0;
}

int vps_seccomp_build(unsigned allow, scmp_filter_ctx *ret)
{
#if defined(__x86_64__)
	/* A 64-bit process can still enter through int 0x80 (x86) or with the x32 bit set: both
	 * meet the same rules. Any other arch is killed (SCMP_FLTATR_ACT_BADARCH). */
	static const uint32_t extra[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
#else
	static const uint32_t extra[] = {};
#endif
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	int r = build_arch(seccomp_arch_native(), allow, &ctx);

	for (size_t i = 0; r == 0 && i < ELEMENTSOF(extra); i++) {
		scmp_filter_ctx other = NULL;

		r = build_arch(extra[i], allow, &other);
		if (r == 0) {
			r = seccomp_merge(ctx, other); /* takes other on success */
			if (r < 0)
				seccomp_release(other);
		}
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(ctx);
	return 0;
}

int vps_seccomp_load(unsigned allow)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	int r = vps_seccomp_build(allow, &ctx);

	if (r < 0)
		return r;
	r = seccomp_load(ctx);
	if (r < 0)
		return log_debug_errno(r, "seccomp_load: %m");
	return 0;
}
