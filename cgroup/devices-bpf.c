/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices-bpf.h"
#include "devices.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"

/* What the prologue leaves in registers for the rule blocks (r1, the context, is then free). */
#define R_TYPE   BPF_REG_2 /* BPF_DEVCG_DEV_* */
#define R_ACCESS BPF_REG_3 /* BPF_DEVCG_ACC_* bits requested */
#define R_MAJOR  BPF_REG_4
#define R_MINOR  BPF_REG_5
#define R_TMP    BPF_REG_1

#define PROLOGUE_LEN 6
#define RULE_LEN_MAX 8 /* type 1 + access 3 + major 1 + minor 1 + allow 2 */
#define EPILOGUE_LEN 2
#define ATTACHED_MAX 64 /* the kernel's limit of programs per group and attach type */
#define VERIFIER_LOG (64 * 1024)

static int parse_number(const char *s, size_t len, uint64_t max, int64_t *ret)
{
	char buf[16];
	uint64_t v;
	int r;

	if (len == 1 && s[0] == '*') {
		*ret = VPS_DEV_ANY;
		return 0;
	}
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	r = parse_uint64_range(buf, 0, max, &v);
	if (r < 0)
		return r;
	*ret = (int64_t)v;
	return 0;
}

static int parse_access(const char *s, unsigned *ret)
{
	unsigned acc = 0;

	if (!s[0])
		return -EINVAL;
	for (; *s; s++) {
		unsigned bit = *s == 'r'   ? BPF_DEVCG_ACC_READ
		               : *s == 'w' ? BPF_DEVCG_ACC_WRITE
		               : *s == 'm' ? BPF_DEVCG_ACC_MKNOD
		                           : 0;

		if (!bit || (acc & bit))
			return -EINVAL;
		acc |= bit;
	}
	*ret = acc;
	return 0;
}

int vps_dev_rule_parse(const char *s, struct vps_dev_rule *ret)
{
	struct vps_dev_rule rule = {
		.major = VPS_DEV_ANY, .minor = VPS_DEV_ANY, .access = VPS_DEV_ACC_ALL};
	const char *colon, *space;
	int r;

	if (s[0] == 'b')
		rule.type = BPF_DEVCG_DEV_BLOCK;
	else if (s[0] == 'c')
		rule.type = BPF_DEVCG_DEV_CHAR;
	else if (s[0] != 'a')
		return -EINVAL;
	if (s[0] == 'a' && s[1] == '\0') { /* v1's "a": every device, every access */
		*ret = rule;
		return 0;
	}
	if (s[1] != ' ')
		return -EINVAL;
	colon = strchr(s + 2, ':');
	space = colon ? strchr(colon, ' ') : NULL;
	if (!space)
		return -EINVAL;
	r = parse_number(s + 2, (size_t)(colon - s - 2), VPS_DEV_MAJOR_MAX, &rule.major);
	if (r == 0)
		r = parse_number(colon + 1, (size_t)(space - colon - 1), VPS_DEV_MINOR_MAX,
		                 &rule.minor);
	if (r == 0)
		r = parse_access(space + 1, &rule.access);
	if (r < 0)
		return r;
	*ret = rule;
	return 0;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static struct bpf_insn load_ctx(uint8_t dst, size_t field)
{
	return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, (int16_t)field, 0);
}

/* The context's fields into registers. access_type is (access << 16) | type. */
static size_t prologue(struct bpf_insn *out)
{
	out[0] = load_ctx(R_TYPE, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	out[1] = insn(BPF_ALU | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xffff);
	out[2] = load_ctx(R_ACCESS, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	out[3] = insn(BPF_ALU | BPF_RSH | BPF_K, R_ACCESS, 0, 0, 16);
	out[4] = load_ctx(R_MAJOR, offsetof(struct bpf_cgroup_dev_ctx, major));
	out[5] = load_ctx(R_MINOR, offsetof(struct bpf_cgroup_dev_ctx, minor));
	return PROLOGUE_LEN;
}

static size_t verdict(struct bpf_insn *out, int allow)
{
	out[0] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, allow);
	out[1] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return 2;
}

/* "if (request matches rule) return allow": each test that fails jumps past the block. The
 * access test allows a request only when every bit it asks for is in the rule, as v1 does.
 * Sets *all when the rule tests nothing (matches every request). */
static size_t rule_block(const struct vps_dev_rule *rule, struct bpf_insn *out, bool *all)
{
	size_t n = 0, nj = 0, jumps[4];

	if (rule->type) {
		jumps[nj++] = n;
		out[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, R_TYPE, 0, 0, (int32_t)rule->type);
	}
	if (rule->access != VPS_DEV_ACC_ALL) {
		out[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, R_TMP, R_ACCESS, 0, 0);
		out[n++] = insn(BPF_ALU | BPF_AND | BPF_K, R_TMP, 0, 0, (int32_t)rule->access);
		jumps[nj++] = n;
		out[n++] = insn(BPF_JMP | BPF_JNE | BPF_X, R_TMP, R_ACCESS, 0, 0);
	}
	if (rule->major != VPS_DEV_ANY) {
		jumps[nj++] = n;
		out[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, R_MAJOR, 0, 0, (int32_t)rule->major);
	}
	if (rule->minor != VPS_DEV_ANY) {
		jumps[nj++] = n;
		out[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, R_MINOR, 0, 0, (int32_t)rule->minor);
	}
	n += verdict(out + n, 1);
	for (size_t i = 0; i < nj; i++)
		out[jumps[i]].off = (int16_t)(n - jumps[i] - 1);
	*all = nj == 0;
	return n;
}

int vps_devices_bpf_build(const char *const *rules, struct bpf_insn **ret, size_t *ret_n)
{
	_cleanup_free_ struct bpf_insn *p = NULL;
	size_t count = 0, n;
	bool all = false;

	while (rules[count])
		count++;
	p = calloc(PROLOGUE_LEN + RULE_LEN_MAX * count + EPILOGUE_LEN, sizeof(*p));
	if (!p)
		return -ENOMEM;
	n = prologue(p);
	for (size_t i = 0; i < count && !all; i++) {
		struct vps_dev_rule rule;
		int r = vps_dev_rule_parse(rules[i], &rule);

		if (r < 0)
			return log_debug_errno(r, "Device rule '%s': %m", rules[i]);
		n += rule_block(&rule, p + n, &all);
	}
	if (!all)
		n += verdict(p + n, 0);
	*ret = TAKE_PTR(p);
	*ret_n = n;
	return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static void log_verifier(union bpf_attr *attr)
{
	_cleanup_free_ char *buf = malloc(VERIFIER_LOG);
	int fd;

	if (!buf)
		return;
	buf[0] = '\0';
	attr->log_level = 1;
	attr->log_buf = (uint64_t)(uintptr_t)buf;
	attr->log_size = VERIFIER_LOG;
	fd = sys_bpf(BPF_PROG_LOAD, attr);
	if (fd >= 0) { /* accepted the second time: nothing to report */
		close(fd);
		return;
	}
	buf[VERIFIER_LOG - 1] = '\0';
	log_debug("Device program refused by the verifier: %s", buf);
}

int vps_devices_bpf_load(const struct bpf_insn *insns, size_t n)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	/* what bpftool and /proc/<pid>/fdinfo show: whose program this is */
	snprintf(attr.prog_name, sizeof(attr.prog_name), "vpsctl_devices");
	fd = sys_bpf(BPF_PROG_LOAD, &attr); /* bpf fds are always close-on-exec */
	if (fd >= 0)
		return fd;
	fd = -errno;
	if (fd == -EINVAL || fd == -EACCES)
		log_verifier(&attr);
	return log_debug_errno(fd, "Loading the device program: %m");
}

/* The ids of the device programs attached to the group itself (not inherited ones). */
static int query_attached(int cgroup_fd, uint32_t *ids, size_t max, size_t *ret_n)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cgroup_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = (uint32_t)max;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return log_debug_errno(-errno, "Querying the group's device programs: %m");
	*ret_n = attr.query.prog_cnt;
	return 0;
}

static int attach(int cgroup_fd, int prog_fd, int cmd, uint32_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = flags;
	return sys_bpf(cmd, &attr) < 0 ? -errno : 0;
}

static int detach_id(int cgroup_fd, uint32_t id)
{
	_cleanup_close_ int fd = -EBADF;
	union bpf_attr attr;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* gone meanwhile */
	r = attach(cgroup_fd, fd, BPF_PROG_DETACH, 0);
	return r == -ENOENT ? 0 : r;
}

int vps_devices_bpf_attach(int cgroup_fd, int prog_fd)
{
	uint32_t old[ATTACHED_MAX];
	size_t n_old = 0;
	int r;

	r = query_attached(cgroup_fd, old, ELEMENTSOF(old), &n_old);
	if (r < 0)
		return r;
	r = attach(cgroup_fd, prog_fd, BPF_PROG_ATTACH, BPF_F_ALLOW_MULTI);
	if (r < 0)
		return log_debug_errno(r, "Attaching the device program: %m");
	for (size_t i = 0; i < n_old; i++) {
		r = detach_id(cgroup_fd, old[i]);
		if (r < 0)
			return log_debug_errno(r, "Detaching the old device program %u: %m",
			                       (unsigned)old[i]);
	}
	return 0;
}

int vps_devices_bpf_group(const char *proc_cgroup, const char *name, char *ret, size_t len)
{
	const char *line = proc_cgroup, *path;
	size_t plen, nlen = strlen(name);

	while (line && strncmp(line, "0::", 3) != 0) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	if (!line)
		return -ENOENT;
	path = line + 3;
	plen = strcspn(path, "\n");
	/* Ours only if it is the group named after the VPS: never the root or the host's. */
	if (nlen == 0 || plen < nlen + 1 || path[plen - nlen - 1] != '/' ||
	    strncmp(path + plen - nlen, name, nlen) != 0)
		return -ENOENT;
	if (plen >= len)
		return -ENAMETOOLONG;
	memcpy(ret, path, plen);
	ret[plen] = '\0';
	if (strstr(ret, "/..") || ret[0] != '/')
		return -EINVAL; /* the path is appended to the mount point */
	return 0;
}

/* Where cgroup2 is mounted: the same choice as the cgroup module's probe (unified host first,
 * then a hybrid host's unified tree). */
static const char *cgroup2_mount(void)
{
	static const char *const paths[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};

	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		struct statfs sf;

		if (statfs(paths[i], &sf) == 0 &&
		    sf.f_type == (typeof(sf.f_type))CGROUP2_SUPER_MAGIC)
			return paths[i];
	}
	return NULL;
}

/* The VPS's v2 group, opened for BPF_PROG_ATTACH (which takes no O_PATH fd). */
static int open_group(pid_t pid, const char *name)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -EBADF;
	char proc[64], group[PATH_MAX], dir[PATH_MAX + 32];
	const char *mnt = cgroup2_mount();
	struct statfs sf;
	int r;

	if (!mnt)
		return -ENOENT;
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	r = read_file_at(AT_FDCWD, proc, 1 << 16, &text, NULL);
	if (r == 0)
		r = vps_devices_bpf_group(text, name, group, sizeof(group));
	if (r < 0)
		return log_debug_errno(r, "The v2 group of pid %d: %m", (int)pid);
	snprintf(dir, sizeof(dir), "%s%s", mnt, group);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return log_debug_errno(-errno, "Opening %s: %m", dir);
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	if (sf.f_type != (typeof(sf.f_type))CGROUP2_SUPER_MAGIC)
		return -ENOTDIR;
	return TAKE_FD(fd);
}

int vps_devices_bpf_restrict(pid_t pid, const char *name)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	_cleanup_close_ int group = -EBADF, prog = -EBADF;
	size_t n;
	int r;

	group = open_group(pid, name);
	if (group < 0)
		return group;
	r = vps_devices_bpf_build(vps_devices_allow, &insns, &n);
	if (r < 0)
		return r;
	prog = vps_devices_bpf_load(insns, n);
	if (prog < 0)
		return prog;
	/* the attached program holds its own reference: our fd can close */
	return vps_devices_bpf_attach(group, prog);
}
