/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl exec / enter */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exec.h"

static int run(struct cli *c, const char *name, char *const *cmd, bool pty)
{
	struct vps_config cfg;
	struct vps_error err = VPS_ERROR_INIT;
	int code = 0, r;

	if (cli_check_name(c, name) || cli_load_node(c))
		return EXIT_USAGE;
	if (cli_load_vps(c, name, &cfg) < 0)
		return EXIT_FAILURE;
	r = vps_exec(&c->paths, &cfg, &c->node, cmd, pty, &code, &err);
	if (r < 0)
		return cli_fail_error(name, &err, r);
	return code;
}

int cmd_exec(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int opt;

	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (opt != 'h')
			return cli_bad_option(c, argv);
		printf("Usage: vpsctl exec NAME [--] CMD [ARG...]\n"
		       "Run CMD inside a running VPS with stdin/stdout/stderr passed through;\n"
		       "exits with CMD's exit code (126/127: could not run it).\n");
		return 0;
	}
	if (optind >= argc)
		return cli_usage_error(c, "expected a VPS name and a command");
	{
		const char *name = argv[optind++];

		if (optind < argc && strcmp(argv[optind], "--") == 0)
			optind++;
		if (optind >= argc)
			return cli_usage_error(c, "expected a command after the VPS name");
		return run(c, name, argv + optind, false);
	}
}

int cmd_enter(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	static char *const shell[] = {"/bin/sh", "-c",
	                              "if [ -x /bin/bash ]; then exec /bin/bash -l; "
	                              "else exec /bin/sh -l; fi",
	                              NULL};
	int opt;

	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (opt != 'h')
			return cli_bad_option(c, argv);
		printf("Usage: vpsctl enter NAME\n"
		       "Open an interactive root shell inside a running VPS on a fresh pty.\n");
		return 0;
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name");
	return run(c, argv[optind], shell, true);
}
