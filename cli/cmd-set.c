/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl set: the settings of a VPS an operator changes after create (host name, resolvers,
 * root's password and SSH keys, description, onboot), saved in vps.conf and applied at once: a
 * running VPS's files are written as it sees them (spawn/rootfs-live.h), a stopped one's into
 * its storage mounted here (storage/rootfs-access.h). Every file is replaced whole by a rename
 * in its directory (storage/rootfs-edit.h): what the tenant planted at a name is replaced,
 * never followed, and a /etc or /root/.ssh that is a symlink is refused with the reason.
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fileio.h"
#include "parse.h"
#include "rootfs-edit.h"
#include "rootfs-files.h"
#include "rootfs-live.h"
#include "state.h"

enum {
	OPT_HOSTNAME = 1,
	OPT_NAMESERVER,
	OPT_SEARCHDOMAIN,
	OPT_PW_FILE,
	OPT_PW_HASH,
	OPT_SSH_KEY,
	OPT_DESCRIPTION,
	OPT_ONBOOT,
	OPT_JSON,
	OPT_HELP,
};

struct set_args {
	const char *name;
	const char *hostname, *description, *onboot, *pw_file, *pw_hash, *ssh_key;
	char nameserver[256], searchdomain[256];
	bool ns_given, search_given, json;
};

/* What goes into the root; NULL/false: left as it is. */
struct set_files {
	const char *hostname; /* /etc/hostname (a running VPS; start writes it otherwise) */
	bool resolv;          /* /etc/resolv.conf from these two */
	const char *servers, *search;
	char *hash; /* root's entry of /etc/shadow (owned) */
	char *keys; /* /root/.ssh/authorized_keys, replaced (owned) */
};

static const char *const set_help[] = {
	"Change settings of a VPS: saved in vps.conf and applied at once (a running VPS's",
	"files are written as it sees them, its host name set; a stopped one's files are",
	"written into its storage). Files are replaced whole; a planted symlink at /etc,",
	"/root/.ssh or the file is replaced or refused, never followed.",
	"",
	"  --hostname H              host name (set live in a running VPS, and /etc/hostname)",
	"  --nameserver IP           a name server for /etc/resolv.conf (repeatable)",
	"  --searchdomain D          a search domain for /etc/resolv.conf (repeatable)",
	"  --root-password-file F    root's password: the first line of F, hashed (yescrypt)",
	"  --root-password-hash H    root's password as a crypt(3) hash ($6$..., $y$...);",
	"                            a plain password is refused here (it would be in ps)",
	"  --ssh-key FILE            root's authorized_keys become the public keys in FILE",
	"  --description TEXT        a note for the operator, kept in vps.conf",
	"  --onboot yes|no           start the VPS when the node boots",
	"  --json                    print the result as JSON",
	NULL,
};

static int append_word(struct cli *c, char *buf, size_t len, const char *w, const char *flag)
{
	if (strlen(buf) + strlen(w) + 2 > len)
		return cli_usage_error(c, "too many %s values", flag), -1;
	if (buf[0])
		strcat(buf, " ");
	strcat(buf, w);
	return 0;
}

static int check_server(struct cli *c, const char *ip)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
		return cli_usage_error(c, "invalid --nameserver '%.64s': an IPv4 or IPv6 address",
		                       ip),
		       -1;
	return 0;
}

static int parse_opt(struct cli *c, int opt, struct set_args *a)
{
	switch (opt) {
	case OPT_HOSTNAME:
		a->hostname = optarg;
		return 0;
	case OPT_NAMESERVER:
		a->ns_given = true;
		if (check_server(c, optarg) < 0)
			return -1;
		return append_word(c, a->nameserver, sizeof(a->nameserver), optarg, "--nameserver");
	case OPT_SEARCHDOMAIN:
		a->search_given = true;
		if (!hostname_is_valid(optarg))
			return cli_usage_error(c, "invalid --searchdomain '%.64s': a domain name",
			                       optarg),
			       -1;
		return append_word(c, a->searchdomain, sizeof(a->searchdomain), optarg,
		                   "--searchdomain");
	case OPT_PW_FILE:
		a->pw_file = optarg;
		return 0;
	case OPT_PW_HASH:
		a->pw_hash = optarg;
		return 0;
	case OPT_SSH_KEY:
		a->ssh_key = optarg;
		return 0;
	case OPT_DESCRIPTION:
		a->description = optarg;
		return 0;
	case OPT_ONBOOT:
		a->onboot = optarg;
		return 0;
	case OPT_JSON:
		a->json = true;
		return 0;
	}
	return -1;
}

static int parse_set(struct cli *c, int argc, char **argv, struct set_args *a)
{
	static const struct option opts[] = {
		{"hostname", required_argument, NULL, OPT_HOSTNAME},
		{"nameserver", required_argument, NULL, OPT_NAMESERVER},
		{"searchdomain", required_argument, NULL, OPT_SEARCHDOMAIN},
		{"root-password-file", required_argument, NULL, OPT_PW_FILE},
		{"root-password-hash", required_argument, NULL, OPT_PW_HASH},
		{"ssh-key", required_argument, NULL, OPT_SSH_KEY},
		{"description", required_argument, NULL, OPT_DESCRIPTION},
		{"onboot", required_argument, NULL, OPT_ONBOOT},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	int opt, r;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP)
			return cli_print_help("set NAME [options]", set_help), -2;
		if (opt == '?')
			return cli_bad_option(c, argv), -1;
		if (parse_opt(c, opt, a) < 0)
			return -1;
	}
	r = cli_one_vps(c, argc, argv);
	if (r != 0)
		return -1;
	a->name = argv[optind];
	if (a->pw_file && a->pw_hash)
		return cli_usage_error(c, "--root-password-file and --root-password-hash exclude "
		                          "each other"),
		       -1;
	if (!a->hostname && !a->ns_given && !a->search_given && !a->pw_file && !a->pw_hash &&
	    !a->ssh_key && !a->description && !a->onboot)
		return cli_usage_error(c, "nothing to set"), -1;
	return 0;
}

/* The first line of the file, hashed with yescrypt and a random salt. */
static int hash_password_file(const char *name, const char *path, char **ret)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	char *salt;
	void *data = NULL;
	int size = 0, r;
	const char *h;

	r = read_file_at(AT_FDCWD, path, 4096, &text, NULL);
	if (r < 0)
		return cli_fail(name, "cannot read --root-password-file '%.200s': %s", path,
		                r == -EFBIG ? "longer than 4096 bytes" : strerror(-r)),
		       -1;
	text[strcspn(text, "\r\n")] = '\0';
	if (!text[0])
		return cli_fail(name, "--root-password-file '%.200s': the first line is empty",
		                path),
		       -1;
	salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (!salt)
		return cli_fail(name, "failed to make a password salt: %m"), -1;
	h = crypt_ra(text, salt, &data, &size);
	free(salt);
	if (h && rootfs_crypt_hash_valid(h))
		out = strdup(h);
	explicit_bzero(text, strlen(text));
	if (data)
		explicit_bzero(data, (size_t)size);
	free(data);
	if (!out)
		return cli_fail(name, "failed to hash the password"), -1;
	*ret = TAKE_PTR(out);
	return 0;
}

/* The files' contents, checked before anything is locked or written. */
static int prepare_files(const struct set_args *a, struct set_files *f)
{
	struct vps_error err = VPS_ERROR_INIT;
	int r;

	if (a->pw_hash) {
		if (!rootfs_crypt_hash_valid(a->pw_hash))
			return cli_fail(a->name,
			                "--root-password-hash is not a crypt(3) hash ($6$..., "
			                "$y$...): a plain password is given only in a file "
			                "(--root-password-file), never on the command line");
		f->hash = strdup(a->pw_hash);
		if (!f->hash)
			return cli_fail(a->name, "out of memory");
	}
	if (a->pw_file && hash_password_file(a->name, a->pw_file, &f->hash) < 0)
		return EXIT_FAILURE;
	if (a->ssh_key) {
		r = read_file_at(AT_FDCWD, a->ssh_key, ROOTFS_SSH_KEYS_MAX, &f->keys, NULL);
		if (r < 0)
			return cli_fail(a->name, "cannot read --ssh-key '%.200s': %s", a->ssh_key,
			                r == -EFBIG ? "too large for a public key file"
			                            : strerror(-r));
		r = rootfs_ssh_keys_check(f->keys, &err);
		if (r < 0)
			return cli_fail(a->name, "--ssh-key '%.200s': %s", a->ssh_key,
			                vps_error_message(&err, r));
	}
	return 0;
}

/* The new config; what is wrong in it, refused before anything is written. */
static int apply_config(const struct set_args *a, struct vps_config *cfg)
{
	if (a->hostname &&
	    conf_set(vps_config_keys, vps_config_keys_n, cfg, "HOSTNAME", a->hostname) < 0)
		return cli_fail(a->name, "invalid --hostname '%.64s': a host name (RFC 1123)",
		                a->hostname);
	if (a->ns_given)
		snprintf(cfg->nameserver, sizeof(cfg->nameserver), "%s", a->nameserver);
	if (a->search_given)
		snprintf(cfg->searchdomain, sizeof(cfg->searchdomain), "%s", a->searchdomain);
	if (a->description &&
	    conf_set(vps_config_keys, vps_config_keys_n, cfg, "DESCRIPTION", a->description) < 0)
		return cli_fail(a->name, "invalid --description: at most 255 characters, without "
		                         "quotes, backslashes, '$', '`' or control characters");
	if (a->onboot && conf_set(vps_config_keys, vps_config_keys_n, cfg, "ONBOOT", a->onboot) < 0)
		return cli_fail(a->name, "invalid --onboot '%.16s': yes or no", a->onboot);
	return 0;
}

/* The reason a file could not be written, as the operator needs it. */
static int file_failed(int r, const char *dir, const char *file, struct vps_error *err)
{
	const char *why = r == -ELOOP    ? "is a symlink in the VPS; refused"
	                  : r == -EINVAL ? "is not a regular file in the VPS; refused"
	                  : r == -EISDIR ? "is a directory in the VPS; refused"
	                                 : NULL;

	if (r == -ENOTDIR)
		return vps_error_set(err, r,
		                     "%s is not a directory in the VPS (a symlink?); refused",
		                     dir[0] ? dir : "/");
	if (why)
		return vps_error_set(err, r, "%s/%s %s", dir, file, why);
	return vps_error_errno(err, r, "failed to write %s/%s", dir, file);
}

static int write_resolv(int rootfd, uid_t uid, gid_t gid, const struct set_files *f,
                        struct vps_error *err)
{
	const struct rootfs_owner def = {uid, gid, 0644};
	_cleanup_free_ char *old = NULL, *text = NULL;
	int r;

	/* only the old name servers are kept, when none is set; an unreadable old file is none */
	(void)rootfs_read(rootfd, "/etc", "resolv.conf", 65536, &old, NULL);
	r = rootfs_resolv_conf_build(f->servers, f->search, old, &text);
	if (r == 0)
		r = rootfs_replace(rootfd, "/etc", "resolv.conf", text, &def);
	return r < 0 ? file_failed(r, "/etc", "resolv.conf", err) : 0;
}

static int write_shadow(int rootfd, uid_t uid, gid_t gid, const char *hash, struct vps_error *err)
{
	const struct rootfs_owner def = {uid, gid, 0640};
	_cleanup_free_ char *old = NULL, *text = NULL;
	int r = rootfs_read(rootfd, "/etc", "shadow", 1 << 20, &old, NULL);

	if (r < 0 && r != -ENOENT)
		return file_failed(r, "/etc", "shadow", err);
	r = rootfs_shadow_set_root(old, hash, (long)(time(NULL) / 86400), &text);
	if (r == 0)
		r = rootfs_replace(rootfd, "/etc", "shadow", text, &def);
	return r < 0 ? file_failed(r, "/etc", "shadow", err) : 0;
}

static int write_keys(int rootfd, uid_t uid, gid_t gid, const char *keys, struct vps_error *err)
{
	const struct rootfs_owner dir = {uid, gid, 0700}, file = {uid, gid, 0600};
	int r = rootfs_make_dir(rootfd, "/", "root", &dir);

	if (r < 0)
		return file_failed(r == -ENOTDIR ? -ELOOP : r, "", "root", err);
	r = rootfs_make_dir(rootfd, "/root", ".ssh", &dir);
	if (r < 0)
		return file_failed(r == -ENOTDIR ? -ELOOP : r, "/root", ".ssh", err);
	r = rootfs_replace(rootfd, "/root/.ssh", "authorized_keys", keys, &file);
	return r < 0 ? file_failed(r, "/root/.ssh", "authorized_keys", err) : 0;
}

/* vps_root_fn: every file of f, in the child that has the VPS's root. */
static int write_files(int rootfd, uid_t uid, gid_t gid, void *data, struct vps_error *err)
{
	const struct set_files *f = data;
	const struct rootfs_owner def = {uid, gid, 0644};
	_cleanup_free_ char *line = NULL;
	int r = 0;

	if (f->resolv)
		r = write_resolv(rootfd, uid, gid, f, err);
	if (r == 0 && f->hash)
		r = write_shadow(rootfd, uid, gid, f->hash, err);
	if (r == 0 && f->keys)
		r = write_keys(rootfd, uid, gid, f->keys, err);
	if (r == 0 && f->hostname) {
		if (asprintf(&line, "%s\n", f->hostname) < 0)
			return -ENOMEM;
		r = rootfs_replace(rootfd, "/etc", "hostname", line, &def);
		if (r < 0)
			return file_failed(r, "/etc", "hostname", err);
	}
	return r;
}

static bool has_files(const struct set_files *f)
{
	return f->resolv || f->hash || f->keys || f->hostname;
}

/* Writes the files and sets the host name: live in a running VPS, else in its storage. */
static int apply_root(struct cli *c, const struct vps_config *cfg, struct set_files *f,
                      bool running, const char *hostname)
{
	struct vps_error err = VPS_ERROR_INIT;
	char dir[PATH_MAX];
	int r;

	if (running) {
		f->hostname = hostname;
		r = vps_live_run(&c->paths, cfg, hostname, write_files, f, &err);
	} else if (has_files(f)) {
		r = vps_path(&c->paths, cfg->name, NULL, dir, sizeof(dir));
		if (r == 0)
			r = vps_storage_run_offline(dir, cfg, write_files, f, &err);
	} else {
		return 0;
	}
	if (r < 0)
		return cli_fail(cfg->name, "%s; nothing saved", vps_error_message(&err, r));
	return 0;
}

static void print_result(const struct set_args *a, const struct vps_config *cfg, bool running)
{
	if (!a->json) {
		printf("%s: saved in vps.conf%s\n", cfg->name,
		       running ? "; applied to the running VPS"
		               : "; written into its root filesystem (the rest applies at start)");
		return;
	}
	printf("{\"name\":");
	json_string(stdout, cfg->name);
	printf(",\"running\":%s,\"applied\":\"%s\",\"hostname\":", running ? "true" : "false",
	       running ? "live" : "storage");
	json_string(stdout, cfg->hostname);
	printf(",\"nameserver\":");
	json_string(stdout, cfg->nameserver);
	printf(",\"searchdomain\":");
	json_string(stdout, cfg->searchdomain);
	printf(",\"description\":");
	json_string(stdout, cfg->description);
	printf(",\"onboot\":%s,\"root_password\":%s,\"ssh_keys\":%s}\n",
	       cfg->onboot ? "true" : "false", a->pw_file || a->pw_hash ? "true" : "false",
	       a->ssh_key ? "true" : "false");
}

static int set_locked(struct cli *c, const struct set_args *a, struct set_files *f)
{
	_cleanup_close_ int dir = -EBADF;
	struct vps_config cfg;
	struct vps_state st;
	enum vps_run_state rs;
	char path[PATH_MAX];
	int r;

	if (cli_load_vps(c, a->name, &cfg) < 0 || apply_config(a, &cfg) != 0)
		return EXIT_FAILURE;
	rs = vps_run_state_get(&c->paths, a->name, &st);
	if (rs == VPS_UNKNOWN)
		return cli_fail(a->name, "state unreadable: %s", st.error_text);
	if (rs == VPS_TRANSITION || (rs == VPS_RUNNING && st.init_pid == 0))
		return cli_fail(a->name, "is starting, rebooting or stopping; try again later");
	f->resolv = a->ns_given || a->search_given;
	f->servers = cfg.nameserver;
	f->search = cfg.searchdomain;
	if (apply_root(c, &cfg, f, rs == VPS_RUNNING, a->hostname ? cfg.hostname : NULL) != 0)
		return EXIT_FAILURE;
	r = vps_path(&c->paths, cfg.name, NULL, path, sizeof(path));
	if (r == 0) {
		dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = dir < 0 ? -errno : vps_config_save_at(dir, &cfg);
	}
	if (r < 0)
		return cli_fail(cfg.name, "failed to save vps.conf: %s", strerror(-r));
	if (a->onboot)
		cli_systemd_reload(c);
	print_result(a, &cfg, rs == VPS_RUNNING);
	return 0;
}

int cmd_set(struct cli *c, int argc, char **argv)
{
	struct set_args a = {0};
	struct set_files f = {0};
	_cleanup_close_ int lock = -EBADF;
	int r = parse_set(c, argc, argv, &a);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (prepare_files(&a, &f) == 0) {
		lock = cli_lock(c, a.name);
		r = lock < 0 ? EXIT_FAILURE : set_locked(c, &a, &f);
	} else {
		r = EXIT_FAILURE;
	}
	if (f.hash)
		explicit_bzero(f.hash, strlen(f.hash));
	free(f.hash);
	free(f.keys);
	return r;
}
