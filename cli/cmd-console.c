/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl console: attach to the console pty the supervisor holds. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "console.h"
#include "frozen.h"
#include "state.h"
#include "suspend.h"
#include "vps-pty.h"

int cmd_console(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	_cleanup_close_ int fd = -EBADF;
	struct vps_error e = VPS_ERROR_INIT;
	struct vps_config cfg;
	struct vps_state st;
	char run[PATH_MAX];
	bool frozen = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt != 'h')
			return cli_bad_option(c, argv);
		printf("Usage: vpsctl console NAME\n"
		       "Attach to the VPS's console (what its init writes, and a login if it\n"
		       "offers one). Detach with Ctrl-] q; the VPS keeps running.\n");
		return 0;
	}
	if ((opt = cli_one_vps(c, argc, argv)) != 0)
		return opt;
	if (cli_load_vps(c, argv[optind], &cfg) < 0)
		return EXIT_FAILURE;
	if (vps_run_state_get(&c->paths, cfg.name, &st) == VPS_STOPPED)
		return cli_fail(cfg.name, "not running");
	/* nothing would answer: the VPS's processes do not run */
	if (vps_frozen(st.cgroup_parent[0] ? st.cgroup_parent : c->node.cgroup_parent, cfg.name,
	               &frozen) == 0 &&
	    frozen) {
		vps_frozen_reason(&c->paths, cfg.name, st.init_start, -EBUSY, &e);
		return cli_fail_error(cfg.name, &e, 0);
	}
	if (vps_run_path(&c->paths, cfg.name, NULL, run, sizeof(run)) < 0)
		return cli_fail(cfg.name, "run dir path too long");
	fd = vps_console_connect(run);
	if (fd == -EBUSY)
		return cli_fail(cfg.name, "someone else is attached to the console");
	if (fd < 0)
		return cli_fail(cfg.name, "failed to attach to the console: %s%s", strerror(-fd),
		                fd == -ENOENT || fd == -ECONNREFUSED
		                        ? " (is its supervisor running?)"
		                        : "");
	fprintf(stderr, "Connected to the console of %s; detach with Ctrl-] q\r\n", cfg.name);
	opt = vps_tty_relay(fd, -1, true);
	fprintf(stderr, "\r\nDetached from %s\r\n", cfg.name);
	return opt < 0 ? cli_fail(cfg.name, "console relay failed: %s", strerror(-opt)) : 0;
}

/* Copies what is in fd from its current offset to stdout; returns bytes copied or -errno. */
static ssize_t copy_out(int fd)
{
	char buf[65536];
	ssize_t n, total = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -EIO;
		total += n;
	}
	fflush(stdout);
	return n < 0 ? -errno : total;
}

/* -f: follows console.log as it grows, and across its rotation to console.log.1, until the
 * VPS stops (its supervisor is gone and nothing more was written). */
static int follow(struct cli *c, const char *name, const char *path, int fd)
{
	struct stat a, b;

	for (;;) {
		struct vps_state st;
		ssize_t n = copy_out(fd);

		if (n < 0)
			return (int)n;
		if (n > 0)
			continue;
		if (stat(path, &b) == 0 && fstat(fd, &a) == 0 && a.st_ino != b.st_ino) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);

			if (nfd >= 0) {
				(void)copy_out(fd);
				close(fd);
				fd = nfd;
				continue;
			}
		}
		if (vps_run_state_get(&c->paths, name, &st) == VPS_STOPPED) {
			(void)copy_out(fd);
			close(fd);
			return 0;
		}
		usleep(200 * 1000);
	}
}

int cmd_log(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"follow", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
	char path[PATH_MAX], old[PATH_MAX + 4];
	struct vps_config cfg;
	bool f = false;
	int opt, fd;

	while ((opt = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		if (opt == 'f') {
			f = true;
		} else if (opt == 'h') {
			printf("Usage: vpsctl log NAME [-f]\n"
			       "Print the VPS's console log (the rotated part first).\n\n"
			       "  -f, --follow         go on printing until the VPS stops\n");
			return 0;
		} else {
			return cli_bad_option(c, argv);
		}
	}
	if ((opt = cli_one_vps(c, argc, argv)) != 0)
		return opt;
	if (cli_load_vps(c, argv[optind], &cfg) < 0)
		return EXIT_FAILURE;
	if (vps_run_path(&c->paths, cfg.name, "console.log", path, sizeof(path)) < 0)
		return cli_fail(cfg.name, "run dir path too long");
	snprintf(old, sizeof(old), "%s.1", path);
	fd = open(old, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)copy_out(fd);
		close(fd);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : cli_fail(cfg.name, "failed to open %s: %m", path);
	if (f)
		return follow(c, cfg.name, path, fd) < 0 ? EXIT_FAILURE : 0;
	opt = copy_out(fd) < 0;
	close(fd);
	return opt ? cli_fail(cfg.name, "failed to read the console log") : 0;
}
