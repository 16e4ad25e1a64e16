/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl template build|list */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "fileio.h"
#include "parse.h"
#include "template.h"

static int template_build(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"busybox", required_argument, NULL, 'b'},
					     {"help", no_argument, NULL, 'h'}, {0}};
	struct vps_template_meta meta;
	const char *busybox = NULL;
	char size[32];
	int opt, r;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'b')
			busybox = optarg;
		else if (opt == 'h')
			return printf("Usage: vpsctl template build busybox [--busybox PATH]\n"
				      "Build the busybox template from the host's static busybox.\n"),
			       0;
		else
			return cli_bad_option(c, argv);
	}
	if (optind + 1 != argc || strcmp(argv[optind], "busybox") != 0)
		return cli_usage_error(c, "only 'template build busybox' is supported so far");
	if (cli_load_node(c))
		return EXIT_FAILURE;
	r = mkdir_p(c->paths.templates_dir, 0755);
	if (r == 0)
		r = template_build_busybox(c->paths.templates_dir, "busybox",
					   busybox ? busybox : c->node.busybox, &meta);
	if (r < 0)
		return cli_fail("busybox", "Failed to build the template from %s: %s",
				busybox ? busybox : c->node.busybox, strerror(-r));
	printf("busybox: %s, %s, sha256 %s\n", meta.file,
	       format_size(meta.size, size, sizeof(size)), meta.sha256);
	return 0;
}

static int template_list_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'}, {0}};
	_cleanup_free_ struct vps_template_meta *list = NULL;
	bool json = false;
	size_t n = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'h')
			return printf("Usage: vpsctl template list [--json]\n"), 0;
		else
			return cli_bad_option(c, argv);
	}
	r = template_list(c->paths.templates_dir, &list, &n);
	if (r < 0 && r != -ENOENT)
		return cli_fail(NULL, "Failed to list templates: %s", strerror(-r));
	printf(json ? "[" : "%-24s %-10s %-12s %10s %s\n", "NAME", "OS", "RELEASE", "SIZE", "INIT");
	for (size_t i = 0; i < n; i++) {
		char size[32];

		format_size(list[i].size, size, sizeof(size));
		if (!json) {
			printf("%-24s %-10s %-12s %10s %s\n", list[i].name, list[i].os,
			       list[i].release, size, list[i].init);
			continue;
		}
		printf("%s{\"name\":", i ? "," : "");
		json_string(stdout, list[i].name);
		printf(",\"os\":");
		json_string(stdout, list[i].os);
		printf(",\"release\":");
		json_string(stdout, list[i].release);
		printf(",\"size\":%" PRIu64 ",\"sha256\":", list[i].size);
		json_string(stdout, list[i].sha256);
		printf("}");
	}
	if (json)
		printf("]\n");
	return 0;
}

int cmd_template(struct cli *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("Usage: vpsctl template build busybox | template list [--json]\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	optind = 0;
	if (strcmp(argv[1], "build") == 0)
		return template_build(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return template_list_cmd(c, argc - 1, argv + 1);
	return cli_usage_error(c, "unknown template command '%.32s'", argv[1]);
}
