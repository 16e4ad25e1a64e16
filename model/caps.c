/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPS capability policy.
 *
 * A VPS without a user namespace runs its root as host uid 0: every capability check that the
 * kernel makes against the initial user namespace (capable()) passes for whatever is left in
 * the VPS's bounding set. The namespaces (pid, mount, net, uts, ipc, cgroup) scope what some of
 * them reach; the rest must simply not be there.
 *
 * Default bounding set: Docker's 14 plus SYS_BOOT.
 *   CHOWN, DAC_OVERRIDE, FOWNER, FSETID   file ownership and modes: the VPS only reaches its
 *                                         own mount tree (pivot_root, old root detached)
 *   SETUID, SETGID, SETPCAP, SETFCAP      su, login, daemons dropping privileges, file caps on
 *                                         its own binaries (bounded by this set at exec)
 *   MKNOD                                 package managers make nodes; every filesystem the
 *                                         VPS can write is nodev, so a node it makes (say the
 *                                         host disk's 8:0) cannot be opened
 *   NET_RAW, NET_BIND_SERVICE             ping, servers on ports < 1024, in its own netns
 *   SYS_CHROOT                            chroot: pivot_root left no way above the VPS's "/"
 *   KILL                                  signals reach only the VPS's pid namespace
 *   AUDIT_WRITE                           login/sshd write audit records (Docker keeps it)
 *   SYS_BOOT                              reboot(2) is how a VPS's init halts or restarts:
 *                                         in a child pid namespace the kernel turns it into
 *                                         SIGHUP/SIGINT for the VPS's init. kexec_load, the
 *                                         other CAP_SYS_BOOT syscall, is denied by seccomp.
 *
 * Left out of the default (addable with --cap-add, documented as weakening the VPS):
 *   NET_ADMIN   without a user namespace it is checked against the initial user namespace:
 *               it would let a customer change its eth0 addresses and MAC (left to the node's
 *               ANTISPOOF filter to catch) and reach nf_tables, tc and xfrm, the kernel's
 *               largest privileged attack surface, plus module autoloading through them. The
 *               node plumbs the network from outside, so the VPS does not need it; grant it
 *               to a customer who runs their own firewall, knowing what it opens.
 *   SYS_NICE, IPC_LOCK, IPC_OWNER, LEASE, LINUX_IMMUTABLE, NET_BROADCAST, SYS_TTY_CONFIG,
 *   WAKE_ALARM, CHECKPOINT_RESTORE: not needed by a typical VPS.
 *
 * With a user namespace (the default) the VPS's root is an unprivileged host id, and capabilities
 * count only in the VPS's own user namespace: NET_ADMIN then configures only the VPS's netns
 * (owned by that namespace) and joins the default set, so root inside can manage its own
 * interface, routes and firewall; the node's anti-spoofing filter and caps sit outside it.
 * SYS_ADMIN becomes grantable (systemd inside needs it to mount /run and friends; create adds
 * it for systemd templates): its mounts are those a user namespace may make (tmpfs, proc, sysfs,
 * cgroup2 of its own tree), and lifting a mask it may unmount gains nothing, since the host's
 * files behind it belong to ids the VPS does not map (DAC checks fail, and capable() against
 * the initial namespace fails too). SYS_PTRACE stays out: ptrace within the namespace would
 * reach a `vpsctl exec` child once it joined, undumpable or not.
 *
 * Never (refused by vps_caps_keep_mask even when asked for):
 *   SYS_ADMIN        mount, new procfs/cgroupfs (release_agent), devices, ...: host root
 *   SYS_MODULE       kernel modules
 *   SYS_RAWIO        iopl/ioperm, /dev/mem, raw SCSI
 *   SYS_TIME         the host's clock
 *   SYS_PTRACE       ptrace of `vpsctl exec` children before they exec (CVE-2019-5736 class)
 *   DAC_READ_SEARCH  open_by_handle_at walks the host's filesystems ("shocker")
 *   SYS_RESOURCE     beyond rlimits and reserved space, host-wide limits
 *   SYS_PACCT, AUDIT_CONTROL, AUDIT_READ, BLOCK_SUSPEND: host-wide accounting, audit, power
 *   MAC_ADMIN, MAC_OVERRIDE, BPF, PERFMON, SYSLOG: LSM policy, eBPF, perf, the kernel log
 */
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "cleanup.h"
#include "log.h"

#define CAP_NAME_MAX 32

uint64_t vps_caps_default(void)
{
	static const int caps[] = {
		CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,      CAP_FOWNER,           CAP_MKNOD,
		CAP_NET_RAW, CAP_SETGID,       CAP_SETUID,      CAP_SETFCAP,          CAP_SETPCAP,
		CAP_KILL,    CAP_SYS_CHROOT,   CAP_AUDIT_WRITE, CAP_NET_BIND_SERVICE, CAP_SYS_BOOT,
	};
	uint64_t m = 0;

	for (size_t i = 0; i < ELEMENTSOF(caps); i++)
		m |= VPS_CAP_BIT(caps[i]);
	return m;
}

uint64_t vps_caps_never(void)
{
	static const int caps[] = {
		CAP_SYS_ADMIN,    CAP_SYS_MODULE,    CAP_SYS_RAWIO,
		CAP_SYS_TIME,     CAP_SYS_PTRACE,    CAP_DAC_READ_SEARCH,
		CAP_SYS_RESOURCE, CAP_SYS_PACCT,     CAP_AUDIT_CONTROL,
		CAP_AUDIT_READ,   CAP_BLOCK_SUSPEND, CAP_MAC_ADMIN,
		CAP_MAC_OVERRIDE, CAP_BPF,           CAP_PERFMON,
		CAP_SYSLOG,
	};
	uint64_t m = 0;

	for (size_t i = 0; i < ELEMENTSOF(caps); i++)
		m |= VPS_CAP_BIT(caps[i]);
	return m;
}

uint64_t vps_caps_all(void)
{
	return (VPS_CAP_BIT(CAP_LAST_CAP) << 1) - 1;
}

/* One name: "net_admin" or "CAP_NET_ADMIN"; letters and '_' only (libcap would also take
 * numbers, which we do not want in a config file). */
static int parse_one(const char *tok, size_t n, int *ret)
{
	char name[CAP_NAME_MAX] = "cap_";
	cap_value_t v;
	size_t off = 4;

	if (n >= 4 && strncasecmp(tok, "cap_", 4) == 0)
		tok += 4, n -= 4;
	if (n == 0 || off + n >= sizeof(name))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isalpha((unsigned char)tok[i]) && tok[i] != '_')
			return -EINVAL;
		name[off + i] = (char)tolower((unsigned char)tok[i]);
	}
	name[off + n] = '\0';
	if (cap_from_name(name, &v) < 0 || v < 0 || v > CAP_LAST_CAP)
		return -EINVAL;
	*ret = v;
	return 0;
}

int vps_caps_parse_list(const char *list, uint64_t *ret_mask)
{
	static const char seps[] = ", \t";
	const char *p = list + strspn(list, seps);
	uint64_t m = 0;

	if (strcasecmp(p, "all") == 0) {
		*ret_mask = vps_caps_all();
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, seps);
		int c, r = parse_one(p, n, &c);

		if (r < 0)
			return log_debug_errno(r, "Unknown capability '%.*s'", (int)n, p);
		m |= VPS_CAP_BIT(c);
		p += n;
		p += strspn(p, seps);
	}
	*ret_mask = m;
	return 0;
}

int vps_caps_format_list(uint64_t mask, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		char *name;
		int n;

		if (!(mask & VPS_CAP_BIT(c)))
			continue;
		name = cap_to_name(c); /* libcap memory: cap_free, not free */
		if (!name)
			return -ENOMEM;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", name + 4);
		(void)cap_free(name);
		if (n < 0 || (size_t)n >= len - used)
			return -ENAMETOOLONG;
		for (int i = 0; i < n; i++)
			buf[used + i] = (char)toupper((unsigned char)buf[used + i]);
		used += (size_t)n;
	}
	return 0;
}

int vps_caps_keep_mask(uint64_t a, uint64_t d, bool userns, uint64_t *ret_keep)
{
	uint64_t never = vps_caps_never(), dflt = vps_caps_default();

	/* In a user namespace these are checked against the VPS's own namespaces (its netns, its
	 * mount namespace); host-owned files stay out of reach of its root: see the comment above.
	 */
	if (userns) {
		dflt |= VPS_CAP_BIT(CAP_NET_ADMIN);
		never &= ~VPS_CAP_BIT(CAP_SYS_ADMIN);
	}

	if (a != vps_caps_all() && (a & never))
		return log_debug_errno(-EPERM,
		                       "A capability that may not be granted was asked for");
	*ret_keep = (dflt | (a & ~never)) & ~d;
	return 0;
}

/* Bounding set first: dropping from it needs CAP_SETPCAP, which the next step may remove.
 * Capabilities beyond what this build knows (a newer kernel) go too: PR_CAPBSET_READ tells
 * where the kernel's list ends. */
