/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl suspend / resume: ops_suspend() and ops_resume() (ops/vps-suspend.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "parse.h"

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

	a->timeout_s = OPS_FREEZE_TIMEOUT_S;
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

static int run(struct cli *c, int argc, char **argv, bool suspend)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	struct suspend_args a = {0};
	struct ops_suspend_result res;
	const char *name;
	int r = parse_args(c, argc, argv, suspend, &a);

	if (r != 0)
		return r < 0 ? 0 : r;
	name = argv[optind];
	r = suspend ? ops_suspend(&o, name, a.timeout_s, &res, &err)
	            : ops_resume(&o, name, &res, &err);
	if (r < 0)
		return cli_fail_error(name, &err, r);
	if (a.json) {
		printf("{\"name\":");
		json_string(stdout, name);
		if (suspend)
			printf(",\"state\":\"suspended\",\"processes\":%zu,\"freeze_ms\":%" PRIu64
			       "}\n",
			       res.processes, res.freeze_ms);
		else
			printf(",\"state\":\"running\",\"suspended_seconds\":%" PRIu64 "}\n",
			       res.suspended_seconds);
	} else if (suspend) {
		printf("%s suspended: %zu processes frozen in %" PRIu64 " ms\n", name,
		       res.processes, res.freeze_ms);
	} else {
		printf("%s resumed after %" PRIu64 " s suspended\n", name, res.suspended_seconds);
	}
	return 0;
}

int cmd_suspend(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, true);
}

int cmd_resume(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, false);
}
