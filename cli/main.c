/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl: the command line. Global options, then one verb. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "log.h"
#include "vpsctl-build.h"

/* cgroups: the verb works on cgroups, so a host without usable ones is refused up front (the
 * others need not pay for the probe). */
static const struct verb {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
	bool cgroups;
	const char *summary;
} verbs[] = {
	{"create", cmd_create, false, "create a VPS from a template"},
	{"start", cmd_start, true, "start a VPS"},
	{"stop", cmd_stop, true, "power a VPS off (then kill what is left)"},
	{"restart", cmd_restart, true, "stop and start a VPS"},
	{"autostart", cmd_autostart, true,
         "start every ONBOOT VPS, in boot order, a few at a time"},
	{"suspend", cmd_suspend, true, "freeze every process of a running VPS"},
	{"resume", cmd_resume, true, "thaw a suspended VPS"},
	{"checkpoint", cmd_checkpoint, true, "dump a running VPS to a directory with criu"},
	{"restore-checkpoint", cmd_restore_checkpoint, true,
         "start a stopped VPS from a checkpoint (its processes go on)"},
	{"migrate", cmd_migrate, true,
         "move a running VPS to another node, its processes going on (criu)"},
	{"migrate-target", cmd_migrate_target, true,
         "the target node's side of migrate (run by the source)"},
	{"destroy", cmd_destroy, true, "remove a VPS and its storage"},
	{"list", cmd_list, false, "list VPSes"},
	{"status", cmd_status, false, "show one VPS"},
	{"enter", cmd_enter, true, "open a root shell inside a running VPS"},
	{"exec", cmd_exec, true, "run a command inside a running VPS"},
	{"resize", cmd_resize, true, "change the quotas of a VPS, live"},
	{"stats", cmd_stats, true, "usage and failure counters of a running VPS"},
	{"console", cmd_console, false, "attach to the console of a running VPS"},
	{"log", cmd_log, false, "print (or follow) the console log of a VPS"},
	{"enable", cmd_enable, false, "start a VPS when the node boots"},
	{"disable", cmd_disable, false, "do not start a VPS when the node boots"},
	{"reinstall", cmd_reinstall, true,
         "a fresh root filesystem from the template, keeping the rest"},
	{"clone", cmd_clone, false, "a new VPS from a stopped one: its own ids, MAC, addresses"},
	{"backup", cmd_backup, true, "one archive of a VPS, running or not (zstd tar, manifest)"},
	{"restore", cmd_restore, false, "a new VPS from a backup archive, here or on another node"},
	{"snapshot", cmd_snapshot, false, "snapshots of a stopped VPS: create, list, rollback"},
	{"set", cmd_set, false, "change host name, resolvers, root's password and keys, onboot"},
	{"template", cmd_template, false, "build, list or remove OS templates"},
	{"net", cmd_net, false, "check or repair VPS networking; reset traffic counters"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: vpsctl [--root DIR] [--debug] COMMAND [ARGS...]\n\n"
	           "OpenVZ-style VPSes on a shared kernel.\n\nCommands:\n");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nOptions:\n"
	           "  --root DIR   keep every file under DIR instead of / (also VPSCTL_ROOT)\n"
	           "  --debug      log debug messages\n"
	           "  --version    print the version\n"
	           "  -h, --help   this text; 'vpsctl COMMAND --help' for a command\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"debug", no_argument, NULL, 'd'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = getenv("VPSCTL_ROOT");
	struct cli c = {0};
	int opt, r;

	opterr = 0; /* we print one line of our own for a bad option */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			root = optarg;
			break;
		case 'd':
			log_set_max_level(LOG_LEVEL_DEBUG);
			break;
		case 'V':
			printf("vpsctl %s\n", VPSCTL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "vpsctl: unknown option '%s' (see 'vpsctl --help')\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	r = vps_paths_init(root, &c.paths);
	if (r < 0) {
		fprintf(stderr, "vpsctl: invalid --root '%s': %s\n", root, strerror(-r));
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
		if (strcmp(argv[optind], verbs[i].name) != 0)
			continue;
		c.verb = verbs[i].name;
		c.argv0 = argv;
		vps_cgroup_init_on_demand(); /* e.g. a state check of list or status */
		r = verbs[i].cgroups ? vps_cgroup_init() : 0;
		if (r < 0) {
			fprintf(stderr, "vpsctl: cannot use the host's cgroups: %s\n",
			        strerror(-r));
			return EXIT_FAILURE;
		}
		argv += optind;
		argc -= optind;
		optind = 0; /* each verb parses its own options */
		return verbs[i].fn(&c, argc, argv);
	}
	fprintf(stderr, "vpsctl: unknown command '%s' (see 'vpsctl --help')\n", argv[optind]);
	return EXIT_USAGE;
}
