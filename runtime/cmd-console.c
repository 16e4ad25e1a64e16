/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl console: attach to the console pty the supervisor holds. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "console.h"
#include "state.h"
#include "vps-pty.h"

int cmd_console(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	_cleanup_close_ int fd = -EBADF;
	struct vps_config cfg;
	struct vps_state st;
	char run[PATH_MAX];
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt != 'h')
			return cli_bad_option(c, argv);
		printf("Usage: vpsctl console NAME\n"
		       "Attach to the VPS's console (what its init writes, and a login if it\n"
		       "offers one). Detach with Ctrl-] q; the VPS keeps running.\n");
		return 0;
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name");
	if (cli_check_name(c, argv[optind]) || cli_load_node(c))
		return EXIT_USAGE;
	if (cli_load_vps(c, argv[optind], &cfg) < 0)
		return EXIT_FAILURE;
	if (vps_run_state_get(&c->paths, cfg.name, &st) == VPS_STOPPED)
		return cli_fail(cfg.name, "not running");
	if (vps_run_path(&c->paths, cfg.name, NULL, run, sizeof(run)) < 0)
		return cli_fail(cfg.name, "run dir path too long");
	fd = vps_console_connect(run);
	if (fd == -EBUSY)
		return cli_fail(cfg.name, "someone else is attached to the console");
	if (fd < 0)
		return cli_fail(cfg.name, "Failed to attach to the console: %s%s", strerror(-fd),
				fd == -ENOENT || fd == -ECONNREFUSED ? " (is its supervisor running?)" : "");
	fprintf(stderr, "Connected to the console of %s; detach with Ctrl-] q\r\n", cfg.name);
	opt = vps_tty_relay(fd, -1, true);
	fprintf(stderr, "\r\nDetached from %s\r\n", cfg.name);
	return opt < 0 ? cli_fail(cfg.name, "console relay failed: %s", strerror(-opt)) : 0;
}
