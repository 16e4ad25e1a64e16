/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vps-supervisor: what `vpsctl start` execs as a VPS's supervisor. A program of its own so
 * that the process living as long as its VPS carries only what supervising needs (no
 * libarchive and its dependencies, none of the CLI's memory). Not for operators to run.
 *
 * Usage: vps-supervisor --report-fd N [--root DIR] [--debug] NAME
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "config.h"
#include "log.h"
#include "parse.h"
#include "supervisor.h"

/* The start's error goes to `vpsctl start` through the report pipe (or stderr). */
static int fail(int report_fd, const char *msg)
{
	if (report_fd < 0 || write(report_fd, msg, strlen(msg)) < 0)
		fprintf(stderr, "vps-supervisor: %s\n", msg);
	return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"report-fd", required_argument, NULL, 'r'}, {"root", required_argument, NULL, 'R'},
		{"debug", no_argument, NULL, 'd'}, {NULL, 0, NULL, 0},
	};
	struct vps_supervisor_args a = {.report_fd = -1, .lock_fd = -1};
	const char *root = NULL;
	struct vps_paths paths;
	struct node_config node;
	struct vps_config cfg;
	char err[256] = "";
	int opt;

	log_set_prefix("vps-supervisor");
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'r' && parse_int_range(optarg, 3, 1 << 20, &a.report_fd) == 0)
			continue;
		if (opt == 'R')
			root = optarg;
		else if (opt == 'd')
			log_set_max_level(LOG_LEVEL_DEBUG);
		else
			return fail(-1, "usage: vps-supervisor --report-fd N [--root DIR] NAME");
	}
	if (optind + 1 != argc || !name_is_valid(argv[optind]))
		return fail(a.report_fd, "vps-supervisor: expected one VPS name");
	if (vps_paths_init(root, &paths) < 0)
		return fail(a.report_fd, "vps-supervisor: invalid --root");
	if (node_config_load(&paths, &node, err, sizeof(err)) < 0 ||
	    vps_config_load(&paths, argv[optind], &node, &cfg, err, sizeof(err)) < 0)
		return fail(a.report_fd, err);
	if (vps_cgroup_init() < 0)
		return fail(a.report_fd, "cannot use the host's cgroups");
	a.paths = &paths;
	a.node = &node;
	a.cfg = &cfg;
	return vps_supervisor_run(&a) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
