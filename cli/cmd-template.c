/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl template build|import|list|remove|verify */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fileio.h"
#include "parse.h"
#include "template.h"

/* Who uses a template: every VPS whose TEMPLATE it is, and of those the overlay ones, which
 * read its shared tree (copy VPSes have their own root and do not care). */
struct usage {
	size_t users, overlay;
	char overlay_names[256];
};

static void usage_add(struct usage *u, const struct vps_config *cfg)
{
	u->users++;
	if (cfg->storage != VPS_STORAGE_OVERLAY)
		return;
	u->overlay++;
	if (strlen(u->overlay_names) + strlen(cfg->name) + 2 < sizeof(u->overlay_names))
		snprintf(u->overlay_names + strlen(u->overlay_names),
		         sizeof(u->overlay_names) - strlen(u->overlay_names), "%s%s",
		         u->overlay_names[0] ? ", " : "", cfg->name);
}

/* Scans every VPS's config; one that cannot be read counts as using nothing. */
static int template_usage(struct cli *c, const char *tmpl, struct usage *ret)
{
	_cleanup_closedir_ DIR *d = opendir(c->paths.vps_base);
	struct dirent *de;

	*ret = (struct usage){0};
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((errno = 0, de = readdir(d))) {
		struct vps_config cfg;

		if (!name_is_valid(de->d_name) ||
		    vps_config_load(&c->paths, de->d_name, &c->node, &cfg, NULL) < 0)
			continue;
		if (strcmp(cfg.template_name, tmpl) == 0)
			usage_add(ret, &cfg);
	}
	return errno ? -errno : 0;
}

/* A shared tree nobody reads any more goes before NAME is made anew; one in use stops it. */
static int drop_stale_tree(struct cli *c, const char *name)
{
	struct usage u;
	int r = template_shared_tree_exists(c->paths.templates_dir, name);

	if (r <= 0)
		return r < 0 ? cli_fail(name, "cannot look at its shared tree: %s", strerror(-r))
		             : 0;
	r = template_usage(c, name, &u);
	if (r < 0)
		return cli_fail(name, "cannot list the VPSes: %s", strerror(-r));
	if (u.overlay > 0)
		return cli_fail(name, "overlay VPSes use its shared tree (%s); destroy them first",
		                u.overlay_names);
	r = template_shared_tree_remove(c->paths.templates_dir, name);
	return r < 0 ? cli_fail(name, "cannot remove its old shared tree: %s", strerror(-r)) : 0;
}

/* 68149190 -> "65.0M": a size to read at a glance (JSON has the bytes). */
static const char *human_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	double d = (double)v;
	int u = -1;

	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%.1f%c", d, units[u]);
	return buf;
}

static void print_meta_json(const struct vps_template_meta *m, const struct usage *u)
{
	char sig[32];

	printf("{\"name\":");
	json_string(stdout, m->name);
	printf(",\"os\":");
	json_string(stdout, m->os);
	printf(",\"release\":");
	json_string(stdout, m->release);
	printf(",\"arch\":");
	json_string(stdout, m->arch);
	printf(",\"init\":");
	json_string(stdout, m->init);
	printf(",\"poweroff_signal\":");
	json_string(stdout, format_signal(m->poweroff_signal, sig, sizeof(sig)));
	printf(",\"size\":%" PRIu64 ",\"created\":%" PRIu64 ",\"sha256\":", m->size, m->created);
	json_string(stdout, m->sha256);
	if (u)
		printf(",\"in_use\":%zu,\"overlay_users\":%zu", u->users, u->overlay);
	printf("}");
}

static int report_stored(const struct vps_template_meta *m, bool json)
{
	char size[32];

	if (json) {
		print_meta_json(m, NULL);
		printf("\n");
		return 0;
	}
	printf("%s: %s %s, %s, sha256 %s\n", m->name, m->os, m->release,
	       human_size(m->size, size, sizeof(size)), m->sha256);
	return 0;
}

/* ---- build ---------------------------------------------------------------------------------- */

enum {
	OPT_JSON = 1,
	OPT_BUSYBOX,
	OPT_RELEASE,
	OPT_VARIANT,
	OPT_INCLUDE,
	OPT_NAME,
	OPT_SHA256,
	OPT_INIT,
	OPT_POWEROFF,
	OPT_HELP
};

static const char *const build_help[] = {
	"Build a template into the store.",
	"",
	"  busybox              from the host's static busybox (needs nothing downloaded)",
	"    --busybox PATH     the static busybox to pack (default: vpsctl.conf BUSYBOX)",
	"  debian               with mmdebstrap from the host's apt sources: systemd as init,",
	"                       iproute2, openssh-server; SSH host keys made on first boot",
	"    --release NAME     Debian code name (default: the host's, e.g. bookworm)",
	"    --variant V        minbase (default) or standard",
	"    --include P,...    more packages",
	"  --name N             the template's name (default: busybox, debian-12 for bookworm)",
	"  --json               print the stored template as JSON (and no progress)",
	NULL,
};

struct build_args {
	const char *kind, *busybox, *name;
	struct template_debian_opts deb;
	bool json;
};

static int parse_build(struct cli *c, int argc, char **argv, struct build_args *a)
{
	static const struct option opts[] = {
		{"busybox", required_argument, NULL, OPT_BUSYBOX},
		{"release", required_argument, NULL, OPT_RELEASE},
		{"variant", required_argument, NULL, OPT_VARIANT},
		{"include", required_argument, NULL, OPT_INCLUDE},
		{"name", required_argument, NULL, OPT_NAME},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_BUSYBOX:
			a->busybox = optarg;
			break;
		case OPT_RELEASE:
			a->deb.release = optarg;
			break;
		case OPT_VARIANT:
			a->deb.variant = optarg;
			break;
		case OPT_INCLUDE:
			a->deb.include = optarg;
			break;
		case OPT_NAME:
			a->name = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case 'h':
		case OPT_HELP:
			cli_print_help("template build busybox|debian [options]", build_help);
			return -2;
		default:
			return cli_bad_option(c, argv), -1;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected what to build: busybox or debian"), -1;
	a->kind = argv[optind];
	if (a->name && !name_is_valid(a->name))
		return cli_usage_error(c, "invalid --name '%.64s'", a->name), -1;
	return 0;
}

static int build_busybox(struct cli *c, const struct build_args *a)
{
	const char *bb = a->busybox ? a->busybox : c->node.busybox;
	const char *name = a->name ? a->name : "busybox";
	struct vps_template_meta meta;
	int r;

	if (drop_stale_tree(c, name))
		return EXIT_FAILURE;
	r = template_build_busybox(c->paths.templates_dir, name, bb, &meta);
	if (r < 0)
		return cli_fail(name, "failed to build the template from %s: %s", bb, strerror(-r));
	return report_stored(&meta, a->json);
}

/* debian-12 for bookworm, like the images Debian publishes; debian-RELEASE otherwise. */
static void debian_default_name(const char *release, char *buf, size_t len)
{
	static const char *const numbered[][2] = {
		{"buster", "10"}, {"bullseye", "11"}, {"bookworm", "12"},
		{"trixie", "13"}, {"forky", "14"},
	};

	for (size_t i = 0; i < ELEMENTSOF(numbered); i++)
		if (strcmp(release, numbered[i][0]) == 0) {
			snprintf(buf, len, "debian-%s", numbered[i][1]);
			return;
		}
	snprintf(buf, len, "debian-%.24s", release);
}

static int build_debian(struct cli *c, struct build_args *a)
{
	struct vps_template_meta meta;
	char host[32], name[33], reason[256];
	int r;

	if (!a->deb.release) {
		if (template_host_release(host, sizeof(host)) < 0)
			return cli_usage_error(c, "--release is needed (the host's is unknown)");
		a->deb.release = host;
	}
	debian_default_name(a->deb.release, name, sizeof(name));
	a->deb.name = a->name ? a->name : name;
	/* mmdebstrap's progress bars only where someone watches them. */
	a->deb.progress = !a->json && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
	if (drop_stale_tree(c, a->deb.name))
		return EXIT_FAILURE;
	r = template_build_debian(c->paths.templates_dir, &a->deb, &meta, reason);
	if (r < 0)
		return cli_fail(a->deb.name, "failed to build the template: %s",
		                reason[0] ? reason : strerror(-r));
	return report_stored(&meta, a->json);
}

static int template_build(struct cli *c, int argc, char **argv)
{
	struct build_args a = {0};
	int r = parse_build(c, argc, argv, &a);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (cli_load_node(c))
		return EXIT_FAILURE;
	r = mkdir_p(c->paths.templates_dir, 0755);
	if (r < 0)
		return cli_fail(NULL, "failed to create %s: %s", c->paths.templates_dir,
		                strerror(-r));
	if (strcmp(a.kind, "busybox") == 0)
		return build_busybox(c, &a);
	if (strcmp(a.kind, "debian") == 0)
		return build_debian(c, &a);
	return cli_usage_error(c, "unknown template kind '%.32s': busybox or debian", a.kind);
}

/* ---- import --------------------------------------------------------------------------------- */

static const char *const import_help[] = {
	"Put a tarball (NAME.tar.zst|xz|gz of an OS root) into the store, checked first.",
	"",
	"  --name N             the template's name (default: FILE's name without .tar.*)",
	"  --sha256 HEX         refuse the file unless it has this SHA-256",
	"  --init PATH          the VPS init (default: detected: systemd or busybox)",
	"  --poweroff-signal S  what makes that init power off (default: the detected init's)",
	"  --json               print the stored template as JSON",
	NULL,
};

/* "/x/debian-12.tar.zst" -> "debian-12" */
static int name_from_file(const char *file, char *buf, size_t len)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	const char *dot = strstr(base, ".tar");
	size_t n = dot ? (size_t)(dot - base) : strlen(base);

	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(buf, base, n);
	buf[n] = '\0';
	return name_is_valid(buf) ? 0 : -EINVAL;
}

static int parse_import(struct cli *c, int argc, char **argv, struct template_import_opts *o,
                        bool *json)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, OPT_NAME},
		{"sha256", required_argument, NULL, OPT_SHA256},
		{"init", required_argument, NULL, OPT_INIT},
		{"poweroff-signal", required_argument, NULL, OPT_POWEROFF},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_SHA256:
			o->sha256 = optarg;
			break;
		case OPT_INIT:
			o->init = optarg;
			break;
		case OPT_POWEROFF:
			if (parse_signal(optarg, &o->poweroff_signal) < 0)
				return cli_usage_error(c, "invalid --poweroff-signal '%.32s'",
				                       optarg),
				       -1;
			break;
		case OPT_JSON:
			*json = true;
			break;
		case 'h':
		case OPT_HELP:
			cli_print_help("template import FILE [options]", import_help);
			return -2;
		default:
			return cli_bad_option(c, argv), -1;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one FILE"), -1;
	if (o->init && o->init[0] != '/')
		return cli_usage_error(c, "--init wants an absolute path"), -1;
	return optind;
}

static int template_import_cmd(struct cli *c, int argc, char **argv)
{
	struct template_import_opts o = {0};
	struct template_devices dev = {0};
	struct vps_template_meta meta;
	char name[33], reason[256];
	bool json = false;
	int r, i = parse_import(c, argc, argv, &o, &json);

	if (i < 0)
		return i == -2 ? 0 : EXIT_USAGE;
	if (!o.name && name_from_file(argv[i], name, sizeof(name)) < 0)
		return cli_usage_error(c, "cannot make a template name of '%.64s': use --name",
		                       argv[i]);
	o.name = o.name ? o.name : name;
	if (!name_is_valid(o.name))
		return cli_usage_error(c, "invalid --name '%.64s'", o.name);
	if (cli_load_node(c))
		return EXIT_FAILURE;
	r = mkdir_p(c->paths.templates_dir, 0755);
	if (r == 0 && drop_stale_tree(c, o.name))
		return EXIT_FAILURE;
	o.ret_devices = &dev;
	r = r < 0 ? r : template_import(c->paths.templates_dir, argv[i], &o, &meta, reason);
	if (r < 0)
		return cli_fail(o.name, "failed to import '%.200s': %s", argv[i],
		                reason[0] ? reason : strerror(-r));
	if (dev.n > 0)
		fprintf(stderr,
		        "vpsctl: %s: warning: %" PRIu64 " device node%s or other special file%s "
		        "(e.g. '%s') will not be unpacked: a VPS gets its /dev from vpsctl\n",
		        o.name, dev.n, dev.n == 1 ? "" : "s", dev.n == 1 ? "" : "s", dev.example);
	return report_stored(&meta, json);
}

/* ---- list ----------------------------------------------------------------------------------- */

static int template_list_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	_cleanup_free_ struct vps_template_meta *list = NULL;
	bool json = false;
	size_t n = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'h')
			return printf("Usage: vpsctl template list [--json]\n"
			              "The templates in the store and how many VPSes use each.\n"),
			       0;
		else
			return cli_bad_option(c, argv);
	}
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument '%.32s'", argv[optind]);
	if (cli_load_node(c))
		return EXIT_FAILURE;
	r = template_list(c->paths.templates_dir, &list, &n);
	if (r < 0 && r != -ENOENT)
		return cli_fail(NULL, "failed to list templates: %s", strerror(-r));
	if (!json)
		printf("%-20s %-10s %-12s %-7s %10s %6s\n", "NAME", "OS", "RELEASE", "ARCH", "SIZE",
		       "IN-USE");
	else
		printf("[");
	for (size_t i = 0; i < n; i++) {
		struct usage u;
		char size[32];

		(void)template_usage(c, list[i].name, &u);
		if (json) {
			printf(i ? "," : "");
			print_meta_json(&list[i], &u);
			continue;
		}
		printf("%-20s %-10s %-12s %-7s %10s %6zu\n", list[i].name, list[i].os,
		       list[i].release, list[i].arch, human_size(list[i].size, size, sizeof(size)),
		       u.users);
	}
	if (json)
		printf("]\n");
	return 0;
}

/* ---- remove and verify ---------------------------------------------------------------------- */

static int one_name(struct cli *c, int argc, char **argv, const char *usage, const char *what)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt != 'h')
			return cli_bad_option(c, argv), -1;
		printf("Usage: vpsctl %s\n%s\n", usage, what);
		return -2;
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one template name"), -1;
	if (!name_is_valid(argv[optind]))
		return cli_usage_error(c, "invalid template name '%.64s'", argv[optind]), -1;
	return optind;
}

static int template_remove_cmd(struct cli *c, int argc, char **argv)
{
	_cleanup_close_ int lock = -EBADF;
	struct usage u;
	const char *name;
	int r, i = one_name(
		       c, argc, argv, "template remove NAME",
		       "Remove a template; refused while an overlay VPS uses its shared tree.");

	if (i < 0)
		return i == -2 ? 0 : EXIT_USAGE;
	name = argv[i];
	if (cli_load_node(c))
		return EXIT_FAILURE;
	/* Exclusive: no overlay create is between its lookup and its vps.conf while we look. */
	lock = template_store_lock(c->paths.templates_dir, true);
	if (lock < 0)
		return cli_fail(name,
		                lock == -ENOENT ? "no such template" : "cannot lock the store: %s",
		                strerror(-lock));
	r = template_usage(c, name, &u);
	if (r < 0)
		return cli_fail(name, "cannot list the VPSes: %s", strerror(-r));
	if (u.overlay > 0)
		return cli_fail(name, "in use by overlay VPS(es) %s; destroy them first",
		                u.overlay_names);
	r = template_remove(c->paths.templates_dir, name);
	if (r < 0)
		return cli_fail(name, r == -ENOENT ? "no such template" : "failed to remove it: %s",
		                strerror(-r));
	return 0;
}

static int template_verify_cmd(struct cli *c, int argc, char **argv)
{
	struct vps_template_meta m;
	const char *name;
	int r, i = one_name(c, argc, argv, "template verify NAME",
	                    "Recompute a template's SHA-256 and compare it with the stored one.");

	if (i < 0)
		return i == -2 ? 0 : EXIT_USAGE;
	name = argv[i];
	if (cli_load_node(c))
		return EXIT_FAILURE;
	r = template_lookup(c->paths.templates_dir, name, &m);
	if (r < 0)
		return cli_fail(name, r == -ENOENT ? "no such template" : "cannot read it: %s",
		                strerror(-r));
	r = template_verify(&m);
	if (r == -EBADMSG)
		return cli_fail(name, "checksum mismatch: %s is not what was stored", m.file);
	if (r < 0)
		return cli_fail(name, "cannot verify it: %s", strerror(-r));
	printf("%s: OK, sha256 %s\n", name, m.sha256);
	return 0;
}

int cmd_template(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *c, int argc, char **argv);
	} subs[] = {
		{"build", template_build},       {"import", template_import_cmd},
		{"list", template_list_cmd},     {"remove", template_remove_cmd},
		{"verify", template_verify_cmd},
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("Usage: vpsctl template build busybox|debian [options]\n"
		       "       vpsctl template import FILE [--name N] [--sha256 HEX]\n"
		       "       vpsctl template list [--json]\n"
		       "       vpsctl template remove NAME\n"
		       "       vpsctl template verify NAME\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	optind = 0;
	for (size_t i = 0; i < ELEMENTSOF(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(c, argc - 1, argv + 1);
	return cli_usage_error(c, "unknown template command '%.32s'", argv[1]);
}
