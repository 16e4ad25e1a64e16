/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl backup NAME FILE|- : one zstd tar of the VPS (storage/backup.h), consistent: a running
 * VPS is frozen (its cgroup freezer, as suspend does) for the copy and thawed after it. A
 * guard process (forked before the freeze, holding nothing but a pipe) thaws it if the backup
 * dies on the way, kill -9 included; if the guard dies too, the freeze is recorded as a
 * suspend, so status shows "suspended" and `vpsctl resume` thaws it. A VPS that was suspended
 * stays so. The VPS lock is held throughout: no destroy, reinstall, resize or start meets it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "cgroup.h"
#include "cleanup.h"
#include "cli.h"
#include "fileio.h"
#include "frozen.h"
#include "state.h"
#include "suspend.h"
#include "template.h"

#define BACKUP_FREEZE_TIMEOUT_MS 10000

struct backup_args {
	const char *name, *file;
	bool json, freeze_copy; /* --mode freeze: archive while frozen, no staging copy */
};

/* What a backup of a running VPS did to it. */
struct backup_freeze {
	struct vps_cgroup *cg;
	const char *parent;
	pid_t guard;
	int guard_fd;
	bool frozen_by_us, was_suspended, staged;
	uint64_t freeze_ms;
	uint64_t started; /* the backup's, for the time it took in all */
};

static const char *const backup_help[] = {
	"Write one archive of the VPS (zstd-compressed tar): a manifest with sizes and SHA-256",
	"of every member, its vps.conf, and its storage (copy: the root filesystem; overlay:",
	"the upper layer and the template's name and checksum; a disk quota's files read from",
	"its image, never the image). A running VPS is frozen for the copy and thawed after it",
	"(the time is reported); a suspended one stays suspended. FILE '-' streams the archive",
	"to stdout (not a terminal); the report then goes to stderr.",
	"",
	"  --mode snapshot|freeze  snapshot (default): copied beside itself while it runs, then",
	"                       frozen while what changed since is copied again (disk space",
	"                       for one copy), archived after the thaw; freeze: frozen while",
	"                       the archive is written (no extra space, a longer freeze)",
	"  --json               print the result as JSON",
	NULL,
};

static int parse_backup(struct cli *c, int argc, char **argv, struct backup_args *a)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"mode", required_argument, NULL, 'm'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	int opt;

	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (opt == 'j')
			a->json = true;
		else if (opt == 'm' &&
		         (strcmp(optarg, "snapshot") == 0 || strcmp(optarg, "freeze") == 0))
			a->freeze_copy = strcmp(optarg, "freeze") == 0;
		else if (opt == 'm')
			return cli_usage_error(c, "invalid --mode '%.32s': snapshot or freeze",
			                       optarg),
			       -1;
		else if (opt == 'h')
			return cli_print_help(
				       "backup NAME FILE|- [--mode snapshot|freeze] [--json]",
				       backup_help),
			       -2;
		else
			return cli_bad_option(c, argv), -1;
	}
	if (optind + 2 != argc)
		return cli_usage_error(c, "expected a VPS name and a FILE (or - for stdout)"), -1;
	a->name = argv[optind];
	a->file = argv[optind + 1];
	if (cli_check_name(c, a->name) != 0)
		return -1;
	if (strcmp(a->file, "-") == 0 && isatty(STDOUT_FILENO))
		return cli_usage_error(c, "refusing to write the archive to a terminal; redirect "
		                          "stdout or give a FILE"),
		       -1;
	return 0;
}

/* The guard: waits for the backup to say it is done; EOF first means the backup died with
 * the VPS frozen, which it then thaws. It keeps no fd of ours (the VPS lock goes free with
 * the backup) and ignores the terminal's signals, which are the backup's to take. */
static _noreturn_ void guard_run(int fd, struct cli *c, const struct backup_freeze *f,
                                 const char *name)
{
	int keep[] = {fd};
	char msg = 0;
	ssize_t n;

	(void)setsid();
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)close_all_but(keep, 1);
	do
		n = read(fd, &msg, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && msg == 'D')
		_exit(0);
	(void)vps_thaw(f->parent, name);
	(void)vps_suspend_forget(&c->paths, name);
	_exit(0);
}

static int guard_start(struct cli *c, struct backup_freeze *f, const char *name)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	f->guard = fork();
	if (f->guard < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (f->guard == 0) {
		close(p[1]);
		guard_run(p[0], c, f, name);
	}
	close(p[0]);
	f->guard_fd = p[1];
	return 0;
}

static void guard_stop(struct backup_freeze *f)
{
	if (f->guard <= 0)
		return;
	(void)write_all(f->guard_fd, "D", 1);
	close(f->guard_fd);
	(void)waitpid(f->guard, NULL, 0);
	f->guard = 0;
}

static int freeze_running(struct cli *c, const char *name, const struct vps_state *st,
                          struct backup_freeze *f)
{
	bool frozen = false;
	uint64_t t0;
	int r;

	f->parent = st->cgroup_parent[0] ? st->cgroup_parent : c->node.cgroup_parent;
	if (vps_cgroup_new(f->parent, name, &f->cg) < 0)
		return cli_fail(name, "failed to open its cgroup");
	(void)vps_frozen(f->parent, name, &frozen);
	if (frozen) { /* suspended (or frozen by someone else): still already, left so */
		f->was_suspended = true;
		return 0;
	}
	r = guard_start(c, f, name);
	if (r < 0)
		return cli_fail(name, "failed to start the thaw guard: %s", strerror(-r));
	t0 = cli_now_ms();
	f->frozen_by_us = true;
	(void)vps_suspend_record(&c->paths, name, st->init_start);
	r = vps_cgroup_freeze(f->cg, BACKUP_FREEZE_TIMEOUT_MS);
	if (r < 0) {
		(void)vps_cgroup_thaw(f->cg);
		(void)vps_suspend_forget(&c->paths, name);
		f->frozen_by_us = false;
		guard_stop(f);
		return cli_fail(
			name, "failed to freeze it for a consistent copy: %s; not backed up",
			r == -ETIMEDOUT ? "not every process stopped in time" : strerror(-r));
	}
	f->freeze_ms = t0;
	return 0;
}

static void thaw(struct cli *c, const char *name, struct backup_freeze *f)
{
	if (f->frozen_by_us) {
		(void)vps_cgroup_thaw(f->cg);
		(void)vps_suspend_forget(&c->paths, name);
		f->freeze_ms = cli_now_ms() - f->freeze_ms;
		f->frozen_by_us = false;
	}
	guard_stop(f);
	vps_cgroup_free(f->cg);
	f->cg = NULL;
}

/* The backup's head: what restore must find before it unpacks anything. */
static int fill_head(struct cli *c, const struct vps_config *cfg, struct vps_backup_head *h)
{
	struct vps_template_meta t;

	*h = (struct vps_backup_head){
		.storage = cfg->storage, .disk = cfg->disk, .created = (uint64_t)time(NULL)};
	snprintf(h->name, sizeof(h->name), "%s", cfg->name);
	snprintf(h->template_name, sizeof(h->template_name), "%s", cfg->template_name);
	if (template_lookup(c->paths.templates_dir, cfg->template_name, &t) == 0)
		snprintf(h->template_sha256, sizeof(h->template_sha256), "%s", t.sha256);
	else if (cfg->storage == VPS_STORAGE_OVERLAY)
		return cli_fail(
			cfg->name,
			"its template '%s' is gone: an overlay backup names the template it "
			"needs by checksum",
			cfg->template_name);
	return 0;
}

/* FILE is written under a temporary name beside it and renamed when complete. */
static int open_out(const struct backup_args *a, char *tmp, size_t len)
{
	int fd;

	if (strcmp(a->file, "-") == 0)
		return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	snprintf(tmp, len, "%s.partial-%d", a->file, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	return fd;
}

static void report(const struct backup_args *a, const struct vps_config *cfg,
                   const struct vps_backup_stats *s, uint64_t ms, const struct backup_freeze *f,
                   bool running)
{
	FILE *o = strcmp(a->file, "-") == 0 ? stderr : stdout;
	const char *how = !running           ? "stopped"
	                  : f->was_suspended ? "suspended"
	                  : f->staged        ? "snapshot"
	                                     : "frozen";

	if (!a->json) {
		fprintf(o,
		        "%s: backed up to %s: %" PRIu64 " members, %" PRIu64
		        " bytes of data, %" PRIu64 " bytes archived in %" PRIu64
		        " ms (%s; frozen %" PRIu64 " ms)\n",
		        cfg->name, a->file, s->members, s->data_bytes, s->archive_bytes, ms, how,
		        f->freeze_ms);
		return;
	}
	fprintf(o, "{\"name\":");
	json_string(o, cfg->name);
	fprintf(o, ",\"file\":");
	json_string(o, a->file);
	fprintf(o,
	        ",\"storage\":\"%s\",\"disk\":%" PRIu64 ",\"members\":%" PRIu64
	        ",\"data_bytes\":%" PRIu64 ",\"archive_bytes\":%" PRIu64 ",\"ms\":%" PRIu64
	        ",\"state\":\"%s\",\"freeze_ms\":%" PRIu64 "}\n",
	        vps_storage_names[cfg->storage], cfg->disk, s->members, s->data_bytes,
	        s->archive_bytes, ms, how, f->freeze_ms);
}

static int write_out(struct cli *c, const struct backup_args *a, const struct vps_config *cfg,
                     int srcfd, const char *srcname, struct backup_freeze *f, bool running)
{
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_backup_head head;
	struct vps_backup_stats s = {0};
	char tmp[PATH_MAX] = "";
	_cleanup_close_ int out = -EBADF;
	int r;

	if (fill_head(c, cfg, &head) != 0)
		return EXIT_FAILURE;
	out = open_out(a, tmp, sizeof(tmp));
	if (out < 0)
		return cli_fail(cfg->name, "failed to open %s: %s", tmp[0] ? tmp : "stdout",
		                strerror(-out));
	r = vps_backup_write(srcfd, srcname, cfg, &head, out, &s, &err);
	thaw(c, cfg->name, f);
	if (r == 0 && tmp[0] && (fsync(out) < 0 || rename(tmp, a->file) < 0))
		r = vps_error_errno(&err, -errno, "failed to put %s in place", a->file);
	if (r < 0) {
		if (tmp[0])
			(void)unlink(tmp);
		return cli_fail_error(cfg->name, &err, r);
	}
	report(a, cfg, &s, cli_now_ms() - f->started, f, running);
	return 0;
}

/* The VPS's files read where they are, or (snapshot mode, running) from their copy: a first
 * pass while it runs, then it is frozen for the second, which copies only what changed. */
static int backup_files(struct cli *c, const struct backup_args *a, const struct vps_config *cfg,
                        int vpsdir, const char *dir, const struct vps_state *st, bool running,
                        struct backup_freeze *f)
{
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_backup_source src;
	struct vps_backup_stage stg = {.fd = -EBADF};
	int r = vps_backup_source_open(vpsdir, dir, cfg, &src, &err);

	if (r == 0 && running && !a->freeze_copy)
		r = vps_backup_stage_begin(vpsdir, &src, cfg, &stg, &err);
	if (r < 0) {
		r = cli_fail_error(cfg->name, &err, r);
		goto out;
	}
	if (running && freeze_running(c, cfg->name, st, f) != 0) {
		r = EXIT_FAILURE;
		goto out;
	}
	if (stg.fd >= 0) {
		r = vps_backup_stage_finish(&src, &stg, &err);
		thaw(c, cfg->name, f);
		if (r < 0) {
			r = cli_fail_error(cfg->name, &err, r);
			goto out;
		}
		f->staged = true;
	}
	r = write_out(c, a, cfg, stg.fd >= 0 ? stg.fd : src.fd, stg.fd >= 0 ? stg.top : src.name, f,
	              running);
out:
	thaw(c, cfg->name, f); /* the failures before the copy */
	if (stg.sync)
		vps_backup_unstage(vpsdir);
	vps_backup_stage_free(&stg);
	vps_backup_source_close(&src);
	return r;
}

static int backup_locked(struct cli *c, const struct backup_args *a)
{
	struct backup_freeze f = {.guard_fd = -EBADF, .started = cli_now_ms()};
	_cleanup_close_ int vpsdir = -EBADF;
	struct vps_config cfg;
	struct vps_state st;
	enum vps_run_state rs;
	char dir[PATH_MAX];

	if (cli_load_vps(c, a->name, &cfg) < 0)
		return EXIT_FAILURE;
	if (vps_path(&c->paths, a->name, NULL, dir, sizeof(dir)) < 0 ||
	    (vpsdir = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return cli_fail(a->name, "failed to open its directory: %m");
	rs = vps_run_state_get(&c->paths, a->name, &st);
	if (rs == VPS_UNKNOWN)
		return cli_fail(a->name, "state unreadable: %s; refusing", st.error_text);
	if (rs == VPS_TRANSITION)
		return cli_fail(a->name, "is %s; try again later", vps_run_state_to_string(rs));
	if (rs == VPS_RUNNING && st.init_pid == 0)
		return cli_fail(a->name, "its init is gone (the VPS runs unsupervised); stop it "
		                         "first");
	return backup_files(c, a, &cfg, vpsdir, dir, &st, rs == VPS_RUNNING, &f);
}

int cmd_backup(struct cli *c, int argc, char **argv)
{
	struct backup_args a = {0};
	_cleanup_close_ int lock = -EBADF;
	int r = parse_backup(c, argc, argv, &a);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (cli_load_node(c))
		return EXIT_FAILURE;
	/* the lock of start, stop, destroy, reinstall and resize: none runs during the copy */
	lock = cli_lock(c, a.name);
	if (lock < 0)
		return EXIT_FAILURE;
	return backup_locked(c, &a);
}
