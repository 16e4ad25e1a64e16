/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl enable / disable: whether a VPS starts when the node boots. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "parse.h"

extern char **environ;

void cli_systemd_reload(const struct cli *c)
{
	char *const argv[] = {"systemctl", "daemon-reload", NULL};
	pid_t pid;
	int status;

	if (c->paths.root[0] || access("/run/systemd/system", F_OK) < 0)
		return;
	if (posix_spawnp(&pid, "systemctl", NULL, NULL, argv, environ) != 0)
		return (void)fprintf(
			stderr, "vpsctl: systemctl not found; run 'systemctl daemon-reload'\n");
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "vpsctl: 'systemctl daemon-reload' failed, ignoring\n");
}

static int set_onboot(struct cli *c, int argc, char **argv, bool on)
{
	static const struct option opts[] = {{"boot-order", required_argument, NULL, 'o'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	_cleanup_close_ int lock = -EBADF, dir = -EBADF;
	const char *order = NULL;
	struct vps_config cfg;
	char path[PATH_MAX];
	int opt, r;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'o' && on) {
			order = optarg;
		} else if (opt == 'h') {
			printf(on ? "Usage: vpsctl enable NAME [--boot-order N]\n"
			            "Start the VPS when the node boots (ONBOOT=yes); lower "
			            "--boot-order\n"
			            "numbers start first.\n"
			          : "Usage: vpsctl disable NAME\n"
			            "Do not start the VPS when the node boots (ONBOOT=no).\n");
			return 0;
		} else {
			return cli_bad_option(c, argv);
		}
	}
	if ((opt = cli_one_vps(c, argc, argv)) != 0)
		return opt;
	lock = cli_lock(c, argv[optind]);
	if (lock < 0 || cli_load_vps(c, argv[optind], &cfg) < 0)
		return EXIT_FAILURE;
	cfg.onboot = on;
	if (order && conf_set(vps_config_keys, vps_config_keys_n, &cfg, "BOOT_ORDER", order) < 0)
		return cli_usage_error(c, "invalid --boot-order '%.32s'", order);
	r = vps_path(&c->paths, cfg.name, NULL, path, sizeof(path));
	if (r == 0) {
		dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = dir < 0 ? -errno : vps_config_save_at(dir, &cfg);
	}
	if (r < 0)
		return cli_fail(cfg.name, "failed to save vps.conf: %s", strerror(-r));
	cli_systemd_reload(c);
	return 0;
}

int cmd_enable(struct cli *c, int argc, char **argv)
{
	return set_onboot(c, argc, argv, true);
}

int cmd_disable(struct cli *c, int argc, char **argv)
{
	return set_onboot(c, argc, argv, false);
}
