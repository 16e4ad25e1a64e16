/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices-bpf.h"
#include "devices.h"

#define B BPF_DEVCG_DEV_BLOCK
#define C BPF_DEVCG_DEV_CHAR
#define M BPF_DEVCG_ACC_MKNOD
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE

START_TEST(test_rule_parse)
{
	struct vps_dev_rule r;

	ck_assert_int_eq(vps_dev_rule_parse("c 1:3 rwm", &r), 0);
	ck_assert_uint_eq(r.type, C);
	ck_assert_int_eq(r.major, 1);
	ck_assert_int_eq(r.minor, 3);
	ck_assert_uint_eq(r.access, M | R | W);
	ck_assert_int_eq(vps_dev_rule_parse("b *:* m", &r), 0);
	ck_assert_uint_eq(r.type, B);
	ck_assert_int_eq(r.major, VPS_DEV_ANY);
	ck_assert_int_eq(r.minor, VPS_DEV_ANY);
	ck_assert_uint_eq(r.access, M);
	ck_assert_int_eq(vps_dev_rule_parse("c 136:* wr", &r), 0);
	ck_assert_int_eq(r.major, 136);
	ck_assert_int_eq(r.minor, VPS_DEV_ANY);
	ck_assert_uint_eq(r.access, R | W);
	ck_assert_int_eq(vps_dev_rule_parse("a", &r), 0);
	ck_assert_uint_eq(r.type, 0);
	ck_assert_uint_eq(r.access, VPS_DEV_ACC_ALL);
	ck_assert_int_eq(vps_dev_rule_parse("a 4:* r", &r), 0);
	ck_assert_uint_eq(r.type, 0);
	ck_assert_int_eq(vps_dev_rule_parse("c 4095:1048575 r", &r), 0);

	ck_assert_int_eq(vps_dev_rule_parse("c 4096:0 r", &r), -ERANGE);
	ck_assert_int_eq(vps_dev_rule_parse("c 1:1048576 r", &r), -ERANGE);
	static const char *const bad[] = {"",         "x 1:3 r",  "c",        "b",      "c 1:3",
	                                  "c 1:3 ",   "c 1 r",    "c :3 r",   "c 1: r", "c -1:3 r",
	                                  "c 1:3 rq", "c 1:3 rr", "c 1:3  r", "c1:3 r", "c 1:3:4 r",
	                                  "c **:3 r", "a r"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ck_assert_msg(vps_dev_rule_parse(bad[i], &r) == -EINVAL, "'%s' parsed", bad[i]);
}
END_TEST

static bool is_jump(const struct bpf_insn *i)
{
	return BPF_CLASS(i->code) == BPF_JMP && BPF_OP(i->code) != BPF_EXIT;
}

static bool is_exit(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP | BPF_EXIT);
}

static bool is_verdict(const struct bpf_insn *i, int allow)
{
	return i->code == (BPF_ALU64 | BPF_MOV | BPF_K) && i->dst_reg == BPF_REG_0 &&
	       i->imm == allow && is_exit(i + 1);
}

/* Every jump goes forward, stays inside the program, and lands on the start of a block (just
 * after an exit); every exit follows a verdict. */
static void check_structure(const struct bpf_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (is_jump(&p[i])) {
			size_t target = i + 1 + (size_t)p[i].off;

			ck_assert_int_gt(p[i].off, 0);
			ck_assert_uint_lt(target, n);
			ck_assert_msg(is_exit(&p[target - 1]), "jump %zu lands mid-block", i);
		}
		if (is_exit(&p[i]))
			ck_assert(i >= 1 && is_verdict(&p[i - 1], p[i - 1].imm));
	}
}

START_TEST(test_build_structure)
{
	static const char *const rules[] = {"c 1:3 rw", "b 7:* r", "c *:* m", NULL};
	_cleanup_free_ struct bpf_insn *p = NULL;
	size_t n;

	ck_assert_int_eq(vps_devices_bpf_build(rules, &p, &n), 0);
	/* prologue 6; type+access+major+minor+allow 8; type+access+major+allow 7;
	 * type+access+allow 6; deny 2 */
	ck_assert_uint_eq(n, 6 + 8 + 7 + 6 + 2);
	ck_assert(is_verdict(&p[n - 2], 0));
	ck_assert(is_verdict(&p[6 + 8 - 2], 1));
	ck_assert(is_verdict(&p[6 + 8 + 7 - 2], 1));
	ck_assert(is_verdict(&p[6 + 8 + 7 + 6 - 2], 1));
	/* the first rule's tests all skip to the second rule */
	for (size_t i = 6; i < 6 + 8 - 2; i++)
		if (is_jump(&p[i]))
			ck_assert_uint_eq(i + 1 + (size_t)p[i].off, 6 + 8);
	check_structure(p, n);
}
END_TEST

START_TEST(test_build_wildcard_ends)
{
	/* what follows a match-all rule would be unreachable code, which the verifier refuses */
	static const char *const rules[] = {"c 1:3 r", "a", "c 5:0 rw", NULL};
	_cleanup_free_ struct bpf_insn *p = NULL;
	size_t n;

	ck_assert_int_eq(vps_devices_bpf_build(rules, &p, &n), 0);
	ck_assert_uint_eq(n, 6 + 8 + 2);
	ck_assert(is_verdict(&p[n - 2], 1));
	check_structure(p, n);
}
END_TEST

START_TEST(test_build_bad_rule)
{
	static const char *const rules[] = {"c 1:3 rwm", "c 1:3 x", NULL};
	struct bpf_insn *p = NULL;
	size_t n = 0;

	ck_assert_int_eq(vps_devices_bpf_build(rules, &p, &n), -EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

/* Just enough of an eBPF interpreter for what the generator emits; anything else fails. */
static int run(const struct bpf_insn *p, size_t n, unsigned type, unsigned access, unsigned major,
               unsigned minor)
{
	struct bpf_cgroup_dev_ctx ctx = {(access << 16) | type, major, minor};
	uint64_t r[11] = {0};

	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];

		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			ck_assert(i->src_reg == BPF_REG_1 && i->off >= 0 && i->off <= 8 &&
			          i->off % 4 == 0);
			memcpy(&r[i->dst_reg], (const char *)&ctx + i->off, 4);
			r[i->dst_reg] &= 0xffffffffU;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			r[i->dst_reg] = (uint32_t)r[i->src_reg];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (r[i->dst_reg] != (uint64_t)(int64_t)i->imm)
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_JNE | BPF_X:
			if (r[i->dst_reg] != r[i->src_reg])
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)r[0];
		default:
			ck_abort_msg("unexpected opcode 0x%x at %zu", i->code, pc);
		}
	}
	ck_abort_msg("ran off the end of the program");
	return -1;
}

START_TEST(test_semantics_small)
{
	static const char *const rules[] = {"c 1:3 rw", "b 7:* r", "c *:* m", NULL};
	_cleanup_free_ struct bpf_insn *p = NULL;
	size_t n;

	ck_assert_int_eq(vps_devices_bpf_build(rules, &p, &n), 0);
	ck_assert_int_eq(run(p, n, C, R, 1, 3), 1);
	ck_assert_int_eq(run(p, n, C, R | W, 1, 3), 1);
	ck_assert_int_eq(run(p, n, C, W, 1, 4), 0);  /* other minor */
	ck_assert_int_eq(run(p, n, B, R, 1, 3), 0);  /* block, not char */
	ck_assert_int_eq(run(p, n, B, R, 7, 42), 1); /* any minor */
	ck_assert_int_eq(run(p, n, B, W, 7, 42), 0); /* read only */
	ck_assert_int_eq(run(p, n, B, R | W, 7, 0), 0);
	ck_assert_int_eq(run(p, n, C, R, 7, 0), 0);
	ck_assert_int_eq(run(p, n, C, M, 8, 0), 1); /* mknod of any char device */
	ck_assert_int_eq(run(p, n, B, M, 8, 0), 0); /* but not of a block device */
	ck_assert_int_eq(run(p, n, C, M, 1, 3), 1);
	ck_assert_int_eq(run(p, n, C, R | M, 9, 9), 0);
}
END_TEST

START_TEST(test_semantics_default_policy)
{
	_cleanup_free_ struct bpf_insn *p = NULL;
	size_t n;

	ck_assert_int_eq(vps_devices_bpf_build(vps_devices_allow, &p, &n), 0);
	check_structure(p, n);
	ck_assert(is_verdict(&p[n - 2], 0));
	/* the runtime's nodes: null zero full random urandom tty ptmx, and the ptys */
	static const unsigned allowed[][2] = {{1, 3}, {1, 5}, {1, 7},   {1, 8},   {1, 9},
	                                      {5, 0}, {5, 2}, {136, 0}, {136, 77}};
	for (size_t i = 0; i < ELEMENTSOF(allowed); i++) {
		ck_assert_int_eq(run(p, n, C, R | W, allowed[i][0], allowed[i][1]), 1);
		ck_assert_int_eq(run(p, n, B, R, allowed[i][0], allowed[i][1]), 0);
	}
	/* the host's disks, memory, kmsg, consoles, loop and device-mapper control: denied */
	ck_assert_int_eq(run(p, n, B, R, 8, 0), 0);
	ck_assert_int_eq(run(p, n, B, W, 253, 0), 0);
	ck_assert_int_eq(run(p, n, C, R, 1, 1), 0);
	ck_assert_int_eq(run(p, n, C, R, 1, 11), 0);
	ck_assert_int_eq(run(p, n, C, W, 4, 1), 0);
	ck_assert_int_eq(run(p, n, C, W, 5, 1), 0);
	ck_assert_int_eq(run(p, n, C, R | W, 10, 237), 0);
	/* mknod of anything (package managers make nodes; nodev keeps them inert) */
	ck_assert_int_eq(run(p, n, B, M, 8, 0), 1);
	ck_assert_int_eq(run(p, n, C, M, 1, 1), 1);
}
END_TEST

START_TEST(test_load)
{
	_cleanup_free_ struct bpf_insn *p = NULL;
	_cleanup_free_ struct bpf_insn *broken = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t n;

	ck_assert_int_eq(vps_devices_bpf_build(vps_devices_allow, &p, &n), 0);
	fd = vps_devices_bpf_load(p, n);
	if (fd == -EPERM) {
		/* the usual case: this program type needs CAP_BPF + CAP_SYS_ADMIN or root */
		fprintf(stderr,
		        "test-devices-bpf: BPF_PROG_LOAD not permitted, load test skipped\n");
		return;
	}
	ck_assert_msg(fd >= 0, "the verifier refused the default policy: %s", strerror(-fd));
	/* and the verifier does check: a jump past the end is refused */
	broken = malloc(n * sizeof(*p));
	ck_assert_ptr_nonnull(broken);
	memcpy(broken, p, n * sizeof(*p));
	ck_assert(is_jump(&broken[6]));
	broken[6].off = (int16_t)n;
	ck_assert_int_eq(vps_devices_bpf_load(broken, n), -EINVAL);
}
END_TEST

START_TEST(test_group)
{
	char g[256];

	ck_assert_int_eq(vps_devices_bpf_group("0::/vpsctl/web1\n", "web1", g, sizeof(g)), 0);
	ck_assert_str_eq(g, "/vpsctl/web1");
	/* delegated: inside a unit's group */
	ck_assert_int_eq(vps_devices_bpf_group("0::/system.slice/vpsctl@dg.service/dg\n", "dg", g,
	                                       sizeof(g)),
	                 0);
	ck_assert_str_eq(g, "/system.slice/vpsctl@dg.service/dg");
	/* a hybrid host's v1 lines come first */
	ck_assert_int_eq(
		vps_devices_bpf_group("4:memory:/x/web1\n0::/x/web1", "web1", g, sizeof(g)), 0);
	ck_assert_str_eq(g, "/x/web1");
	/* never the root or a group that is not the VPS's */
	ck_assert_int_eq(vps_devices_bpf_group("0::/\n", "web1", g, sizeof(g)), -ENOENT);
	ck_assert_int_eq(vps_devices_bpf_group("0::/vpsctl/web10\n", "web1", g, sizeof(g)),
	                 -ENOENT);
	ck_assert_int_eq(vps_devices_bpf_group("0::/vpsctl/xweb1\n", "web1", g, sizeof(g)),
	                 -ENOENT);
	ck_assert_int_eq(vps_devices_bpf_group("4:memory:/vpsctl/web1\n", "web1", g, sizeof(g)),
	                 -ENOENT);
	ck_assert_int_eq(vps_devices_bpf_group("10::/a/web1\n", "web1", g, sizeof(g)), -ENOENT);
	ck_assert_int_eq(vps_devices_bpf_group("0::/a/../web1\n", "web1", g, sizeof(g)), -EINVAL);
	ck_assert_int_eq(vps_devices_bpf_group("0::/vpsctl/web1\n", "web1", g, 8), -ENAMETOOLONG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("devices-bpf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_rule_parse);
	tcase_add_test(tc, test_build_structure);
	tcase_add_test(tc, test_build_wildcard_ends);
	tcase_add_test(tc, test_build_bad_rule);
	tcase_add_test(tc, test_semantics_small);
	tcase_add_test(tc, test_semantics_default_policy);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_group);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
