/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl suspend / resume: every process of a running VPS frozen by the host (the VPS's cgroup
 * freezer: v1 freezer.state, v2 cgroup.freeze) and thawed again. The VPS cannot thaw itself:
 * the v1 freezer is not in its view at all, and its own cgroup.freeze is read-only to it
 * (cgroup-mount.h). What suspended it is recorded for this run only (frozen.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "cleanup.h"
#include "cli.h"
#include "frozen.h"
#include "parse.h"
#include "state.h"
#include "suspend.h"

/* How long the kernel gets to stop every task: one in uninterruptible sleep (a slow disk, an
 * NFS server gone) holds a freeze off. */
#define FREEZE_TIMEOUT_S 10

struct suspend_args {
	bool json;
	unsigned timeout_s;
};

static int parse_args(struct cli *c, int argc, char **argv, bool suspend, struct suspend_args *a)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"timeout", required_argument, NULL, 't'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	static const char *const suspend_help[] = {
		"Freeze every process of a running VPS where it stands (its cgroup's freezer).",
		"It keeps its memory, files and connections but gets no CPU; exec, enter and",
		"console refuse it until 'vpsctl resume'. stop and destroy still work.",
		"  --timeout S          wait up to S seconds for every task to stop (default 10);",
		"                       if one does not, the VPS is thawed again and this fails",
		"  --json               print the result as JSON",
		NULL,
	};
	static const char *const resume_help[] = {
		"Thaw a VPS that 'vpsctl suspend' froze: its processes run on where they stood.",
		"  --json               print the result as JSON",
		NULL,
	};
	int opt, t;

	a->timeout_s = FREEZE_TIMEOUT_S;
	while ((opt = getopt_long(argc, argv, suspend ? "jt:h" : "jh", opts, NULL)) != -1) {
		if (opt == 'j')
			a->json = true;
		else if (opt == 't' && suspend) {
			if (parse_int_range(optarg, 1, 3600, &t) < 0)
				return cli_usage_error(
					c, "invalid --timeout '%.32s': seconds, 1-3600", optarg);
			a->timeout_s = (unsigned)t;
		} else if (opt == 'h') {
			cli_print_help(suspend ? "suspend NAME [--timeout S] [--json]"
			                       : "resume NAME [--json]",
			               suspend ? suspend_help : resume_help);
			return -1;
		} else
			return cli_bad_option(c, argv);
	}
	return cli_one_vps(c, argc, argv);
}

/* The running VPS's state and its cgroup; prints why not. */
static int open_running(struct cli *c, const char *name, struct vps_state *st,
                        struct vps_cgroup **ret)
{
	enum vps_run_state rs = vps_run_state_get(&c->paths, name, st);

	if (rs == VPS_UNKNOWN)
		return cli_fail(name, "state unreadable: %s", st->error_text);
	if (rs != VPS_RUNNING)
		return cli_fail(name, rs == VPS_STOPPED ? "not running" : "is %s; try again later",
		                vps_run_state_to_string(rs));
	if (st->init_pid == 0)
		return cli_fail(name,
		                "its init is gone (the VPS runs unsupervised); stop it instead");
	if (vps_cgroup_new(st->cgroup_parent[0] ? st->cgroup_parent : c->node.cgroup_parent, name,
	                   ret) < 0)
		return cli_fail(name, "failed to open its cgroup");
	return 0;
}

static int freeze_failed(const char *name, int r, unsigned timeout_s)
{
	if (r == -EOPNOTSUPP)
		return cli_fail(name, "this host has no cgroup freezer (no v1 freezer hierarchy is "
		                      "mounted, or no cgroup.freeze); not suspended");
	if (r == -ETIMEDOUT)
		return cli_fail(name,
		                "not every process stopped within %u s (one in uninterruptible "
		                "sleep?); thawed again, not suspended",
		                timeout_s);
	return cli_fail(name, "failed to freeze: %s; not suspended", strerror(-r));
}

static int suspend_locked(struct cli *c, const char *name, const struct suspend_args *a)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_state st;
	bool frozen = false;
	size_t n = 0;
	uint64_t t0;
	int r;

	if (open_running(c, name, &st, &cg) != 0)
		return EXIT_FAILURE;
	(void)vps_frozen(st.cgroup_parent[0] ? st.cgroup_parent : c->node.cgroup_parent, name,
	                 &frozen);
	if (frozen)
		return cli_fail(
			name,
			vps_suspended(&c->paths, name, st.init_start, NULL)
				? "is already suspended"
				: "is frozen already, not by 'vpsctl suspend'; not touching it");
	t0 = cli_now_ms();
	r = vps_cgroup_freeze(cg, a->timeout_s * 1000);
	if (r < 0)
		return freeze_failed(name, r, a->timeout_s);
	t0 = cli_now_ms() - t0;
	/* An init that exited before the freeze took is a reboot or a stop under way: its
	 * supervisor would start the next init into a frozen group. */
	if (!vps_process_alive(st.init_pid, st.init_start)) {
		(void)vps_cgroup_thaw(cg);
		return cli_fail(name, "its init exited meanwhile (rebooting or stopping); thawed "
		                      "again, not suspended");
	}
	r = vps_suspend_record(&c->paths, name, st.init_start);
	if (r < 0) {
		(void)vps_cgroup_thaw(cg);
		return cli_fail(name, "failed to record the suspend: %s; thawed again",
		                strerror(-r));
	}
	(void)vps_cgroup_count_procs(cg, &n);
	if (a->json) {
		printf("{\"name\":");
		json_string(stdout, name);
		printf(",\"state\":\"suspended\",\"processes\":%zu,\"freeze_ms\":%" PRIu64 "}\n", n,
		       t0);
	} else
		printf("%s suspended: %zu processes frozen in %" PRIu64 " ms\n", name, n, t0);
	return 0;
}

static int resume_locked(struct cli *c, const char *name, const struct suspend_args *a)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_state st;
	uint64_t since = 0, now;
	bool frozen = false, suspended;
	int r;

	if (open_running(c, name, &st, &cg) != 0)
		return EXIT_FAILURE;
	suspended = vps_suspended(&c->paths, name, st.init_start, &since);
	(void)vps_frozen(st.cgroup_parent[0] ? st.cgroup_parent : c->node.cgroup_parent, name,
	                 &frozen);
	if (!suspended) {
		return cli_fail(name,
		                frozen ? "is frozen, but not by 'vpsctl suspend'; not thawing "
		                         "it ('vpsctl stop' still stops it)"
		                       : "is not suspended");
	}
	r = vps_cgroup_thaw(cg);
	if (r < 0)
		return cli_fail(name, "failed to thaw: %s; still suspended", strerror(-r));
	(void)vps_suspend_forget(&c->paths, name);
	now = (uint64_t)time(NULL);
	since = now > since ? now - since : 0;
	if (a->json) {
		printf("{\"name\":");
		json_string(stdout, name);
		printf(",\"state\":\"running\",\"suspended_seconds\":%" PRIu64 "}\n", since);
	} else
		printf("%s resumed after %" PRIu64 " s suspended\n", name, since);
	return 0;
}

static int run(struct cli *c, int argc, char **argv, bool suspend)
{
	_cleanup_close_ int lock = -EBADF;
	struct suspend_args a = {0};
	int r = parse_args(c, argc, argv, suspend, &a);

	if (r != 0)
		return r < 0 ? 0 : r;
	/* the same lock as start and stop: a freeze never meets a half-done start or stop, and
	 * a reboot (the supervisor takes it too) never starts its next init into a frozen group */
	lock = cli_lock(c, argv[optind]);
	if (lock < 0)
		return EXIT_FAILURE;
	return suspend ? suspend_locked(c, argv[optind], &a) : resume_locked(c, argv[optind], &a);
}

int cmd_suspend(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, true);
}

int cmd_resume(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, false);
}
