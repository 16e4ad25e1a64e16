/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl destroy: ops_destroy() (ops/vps-destroy.c). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static const char *const destroy_help[] = {
	"Remove a VPS: its root filesystem, config and runtime state.",
	"",
	"  --force              stop it first if it is running",
	NULL,
};

int cmd_destroy(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	const char *said;
	bool force = false;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		if (opt == 'f')
			force = true;
		else if (opt == 'h')
			return cli_print_help("destroy NAME [--force]", destroy_help), 0;
		else
			return cli_bad_option(c, argv);
	}
	if ((opt = cli_one_vps(c, argc, argv)) != 0)
		return opt;
	r = ops_destroy(&o, argv[optind], force, &said, &err);
	if (r < 0)
		return cli_fail_error(argv[optind], &err, r);
	if (said)
		printf("%s: %s\n", argv[optind], said);
	return 0;
}
