/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl start / stop / restart */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "migrate.h"
#include "parse.h"
#include "state.h"
#include "vps-run.h"

static int start_locked(struct cli *c, struct vps_config *cfg, bool foreground, int *lock)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	int r = ops_start_locked(&o, cfg, foreground ? OPS_START_FOREGROUND : OPS_START_FORK, lock,
	                         &err);

	if (r == -EAGAIN && !cli_tree_unpack) {
		closep(lock); /* the other build takes it again */
		return cli_exec_archive_build(c);
	}
	return r < 0 ? cli_fail_error(cfg->name, &err, r) : 0;
}

static const char *const start_help[] = {
	"Start a VPS; returns once its init runs.",
	"",
	"  --foreground         supervise it from this process (for systemd) until it stops",
	NULL,
};

int cmd_start(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'F'}, {"help", no_argument, NULL, 'h'}, {0}};
	_cleanup_close_ int lock = -EBADF;
	struct vps_config cfg;
	bool fg = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'F')
			fg = true;
		else if (opt == 'h')
			return cli_print_help("start NAME [--foreground]", start_help), 0;
		else
			return cli_bad_option(c, argv);
	}
	if ((opt = cli_one_vps(c, argc, argv)) != 0)
		return opt;
	lock = cli_lock(c, argv[optind]);
	if (lock < 0 || cli_load_vps(c, argv[optind], &cfg) < 0)
		return EXIT_FAILURE;
	return start_locked(c, &cfg, fg, &lock);
}

struct stop_args {
	const char *name;
	unsigned timeout;
	bool force;
};

static const char *const stop_help[] = {
	"Power a VPS off: its init gets its power-off signal; after the timeout every process",
	"left is killed.",
	"",
	"  --timeout S          seconds to wait for a clean power-off (default: STOP_TIMEOUT)",
	"  --force              kill at once",
	NULL,
};

static const char *const restart_help[] = {
	"Stop a VPS (as 'vpsctl stop' does, if it runs) and start it again.",
	"",
	"  --timeout S          seconds to wait for a clean power-off (default: STOP_TIMEOUT)",
	"  --force              kill at once instead of powering off",
	NULL,
};

static int parse_stop(struct cli *c, int argc, char **argv, const char *usage,
                      const char *const *help, struct stop_args *a)
{
	static const struct option opts[] = {{"timeout", required_argument, NULL, 't'},
	                                     {"force", no_argument, NULL, 'f'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	int opt, t = -1;

	while ((opt = getopt_long(argc, argv, "t:fh", opts, NULL)) != -1) {
		if (opt == 't') {
			if (parse_int_range(optarg, 0, 86400, &t) < 0)
				return cli_usage_error(c, "invalid --timeout '%.32s'", optarg), -1;
		} else if (opt == 'f') {
			a->force = true;
		} else if (opt == 'h') {
			cli_print_help(usage, help);
			return -2;
		} else {
			return cli_bad_option(c, argv), -1;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name"), -1;
	a->name = argv[optind];
	if (cli_check_name(c, a->name) || cli_load_node(c))
		return -1;
	a->timeout = t >= 0 ? (unsigned)t : (unsigned)c->node.stop_timeout;
	return 0;
}

static int stop_locked(struct cli *c, const struct vps_config *cfg, const struct stop_args *a)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	int r = ops_stop_locked(&o, cfg, a->timeout, a->force, &err);

	return r < 0 ? cli_fail_error(cfg->name, &err, r) : 0;
}

/* Stopping needs only the runtime state and the cgroup: a corrupt vps.conf does not keep a
 * VPS running (its supervisor knows how to power it off; without one it is killed). Only a
 * vps.conf of a newer vpsctl stops the stop. */
static int load_for_stop(struct cli *c, const char *name, struct vps_config *ret)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	int r = ops_load_for_stop(&o, name, ret, &err);

	if (r < 0)
		cli_fail_error(name, &err, r);
	return r;
}

int cmd_stop(struct cli *c, int argc, char **argv)
{
	_cleanup_close_ int lock = -EBADF;
	struct stop_args a = {0};
	struct vps_config cfg;
	int r = parse_stop(c, argc, argv, "stop NAME [--timeout S] [--force]", stop_help, &a);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	/* a migrating VPS is refused at once: criu, dumping it for a migrate, holds its lock
	 * longer than LOCK_TIMEOUT may be (checked again under the lock) */
	if (cli_check_not_migrating(c, a.name) != 0)
		return EXIT_FAILURE;
	lock = cli_lock(c, a.name);
	if (lock < 0 || load_for_stop(c, a.name, &cfg) < 0)
		return EXIT_FAILURE;
	return stop_locked(c, &cfg, &a);
}

int cmd_restart(struct cli *c, int argc, char **argv)
{
	_cleanup_close_ int lock = -EBADF;
	struct stop_args a = {0};
	struct vps_config cfg;
	struct vps_state st;
	int r = parse_stop(c, argc, argv, "restart NAME [--timeout S] [--force]", restart_help, &a);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	lock = cli_lock(c, a.name);
	if (lock < 0 || cli_load_vps(c, a.name, &cfg) < 0)
		return EXIT_FAILURE;
	if (vps_run_state_get(&c->paths, cfg.name, &st) != VPS_STOPPED &&
	    stop_locked(c, &cfg, &a) != 0)
		return EXIT_FAILURE;
	return start_locked(c, &cfg, false, &lock);
}
