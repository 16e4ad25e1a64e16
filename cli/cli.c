/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lock.h"
#include "ops.h"
#include "parse.h"
#include "paths.h"

int cli_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vpsctl: ");
	if (name)
		fprintf(stderr, "%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

int cli_fail_error(const char *name, const struct vps_error *e, int r)
{
	if (!vps_error_is_set(e) && r == 0)
		r = e && e->code ? e->code : -EIO;
	return cli_fail(name, "%s", vps_error_message(e, r));
}

int cli_exec_archive_build(struct cli *c)
{
	char path[PATH_MAX];

	if (vps_libexec_path("vpsctl-template", path, sizeof(path)) < 0) {
		fprintf(stderr, "vpsctl: %s: vpsctl-template is not installed\n", c->verb);
		return EXIT_FAILURE;
	}
	c->argv0[0] = path;
	execv(path, c->argv0);
	fprintf(stderr, "vpsctl: %s: cannot run %s: %s\n", c->verb, path, strerror(errno));
	return EXIT_FAILURE;
}

int cli_usage_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vpsctl: %s: ", c->verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'vpsctl %s --help')\n", c->verb);
	return EXIT_USAGE;
}

int cli_bad_option(const struct cli *c, char **argv)
{
	const char *bad = optind > 0 ? argv[optind - 1] : "?";

	return cli_usage_error(c, "unknown option or missing value: '%.64s'", bad);
}

int cli_one_vps(struct cli *c, int argc, char **argv)
{
	int r;

	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name");
	r = cli_check_name(c, argv[optind]);
	if (r != 0)
		return r;
	return cli_load_node(c) ? EXIT_FAILURE : 0;
}

int cli_load_node(struct cli *c)
{
	struct vps_error err = VPS_ERROR_INIT;
	int r = node_config_load(&c->paths, &c->node, &err);

	if (r < 0)
		return cli_fail_error(NULL, &err, 0); /* err names the file */
	return 0;
}

int cli_check_name(const struct cli *c, const char *name)
{
	if (!name_is_valid(name))
		return cli_usage_error(c,
		                       "invalid VPS name '%.64s%s': use 1-32 of a-z, 0-9 and '-', "
		                       "starting with a letter or digit",
		                       name, strlen(name) > 64 ? "..." : "");
	return 0;
}

int cli_lock(const struct cli *c, const char *name)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	int fd = ops_lock(&o, name, strcmp(c->verb, "create") == 0, &err);

	if (fd < 0)
		cli_fail_error(name, &err, fd);
	return fd < 0 ? -1 : fd;
}

void cli_note(const char *name, const char *text)
{
	fprintf(stderr, "vpsctl: %s: %s\n", name, text);
}

int cli_fail_idmap(const char *name, int r)
{
	if (r == -EWOULDBLOCK)
		return cli_fail(name,
		                "failed to allocate a user-namespace id range: another create, "
		                "clone or restore held the node's id-range lock for LOCK_TIMEOUT "
		                "seconds; try again later");
	return cli_fail(name, "failed to allocate a user-namespace id range: %s", strerror(-r));
}

int cli_load_vps(const struct cli *c, const char *name, struct vps_config *ret)
{
	struct vps_error err = VPS_ERROR_INIT;
	int r = vps_config_load(&c->paths, name, &c->node, ret, &err);

	if (r < 0)
		cli_fail_error(name, &err, 0);
	return r;
}

void cli_print_help(const char *usage, const char *const *lines)
{
	if (usage && *usage)
		printf("Usage: vpsctl %s\n", usage);
	for (; lines && *lines; lines++)
		printf("%s\n", *lines);
}

void json_string(FILE *f, const char *s)
{
	ops_json_string(f, s);
}

uint64_t cli_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
