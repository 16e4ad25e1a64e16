/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device policy of a VPS on a cgroup v2 host, where there is no devices controller: an eBPF
 * program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the VPS's cgroup. It is generated
 * from the same rule list as the v1 policy (vps_devices_allow[] in devices.h), so both backends
 * allow exactly the same nodes: each rule becomes "if the request matches, allow", and the
 * program ends in "deny". Built by hand (no libbpf), loaded with bpf(BPF_PROG_LOAD) and
 * attached with BPF_F_ALLOW_MULTI, so programs of the groups above (a systemd unit's
 * DeviceAllow=) still apply too. The kernel drops it when the cgroup is removed.
 */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VPS_DEV_MAJOR_MAX 4095U    /* 12 bits of major in a dev_t the kernel checks */
#define VPS_DEV_MINOR_MAX 0xfffffU /* 20 bits of minor */
#define VPS_DEV_ANY       (-1)     /* '*' for a major or minor */
#define VPS_DEV_ACC_ALL   (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

/* One rule in the v1 devices.allow syntax: "c 1:3 rwm", "b *:* m", or "a" (everything). */
struct vps_dev_rule {
	unsigned type;   /* BPF_DEVCG_DEV_BLOCK or _CHAR; 0 = both ('a') */
	int64_t major;   /* VPS_DEV_ANY = '*' */
	int64_t minor;   /* VPS_DEV_ANY = '*' */
	unsigned access; /* BPF_DEVCG_ACC_* bits: 'm', 'r', 'w' */
};

/* -EINVAL for anything but the syntax above, -ERANGE for numbers out of a dev_t's range. */
int vps_dev_rule_parse(const char *s, struct vps_dev_rule *ret);

/* The program for rules (NULL-terminated, e.g. vps_devices_allow): *ret is malloc'd. A rule
 * that matches everything ends the program (what follows it would be unreachable, which the
 * verifier refuses); otherwise the last two instructions deny. */
int vps_devices_bpf_build(const char *const *rules, struct bpf_insn **ret, size_t *ret_n);
/* bpf(BPF_PROG_LOAD): the program's fd (close-on-exec) or -errno; on a verifier refusal its
 * log goes to the debug log. Only loads: nothing is attached. */
int vps_devices_bpf_load(const struct bpf_insn *insns, size_t n);
/* Attaches prog_fd to the cgroup directory cgroup_fd (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI),
 * then detaches the device programs that were attached there before (a group reused after a
 * crash): the new policy is in place before the old one goes. */
int vps_devices_bpf_attach(int cgroup_fd, int prog_fd);

/* From the text of /proc/<pid>/cgroup: the v2 group path ("0::PATH") if it is the VPS's own
 * (ends in "/name"); -ENOENT otherwise, -EINVAL for a path with "..". */
int vps_devices_bpf_group(const char *proc_cgroup, const char *name, char *ret, size_t len);
/* Host side, cgroup v2 backend: builds the program from vps_devices_allow and attaches it to
 * the v2 group pid is in, which must be the VPS's own (never the host's: -ENOENT). */
int vps_devices_bpf_restrict(pid_t pid, const char *name);
