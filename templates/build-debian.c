/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Debian template, made by mmdebstrap from the host's own apt sources: whatever mirror,
 * proxy or snapshot the operator set up for the node is what the template comes from, and no
 * address is written here. A customize hook turns the chroot into a VPS root (no host keys, no
 * build-host name or resolver, root's password locked, host keys made on first boot), and the
 * tarball mmdebstrap writes is hashed and committed like any other template.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"
#include "template-internal.h"

#define APT_DIR          "/etc/apt"
#define SOURCES_MAX      (1024 * 1024)
#define BASE_PACKAGES    "systemd,systemd-sysv,iproute2,openssh-server"
#define PACKAGES_MAX     4096
#define MAX_SOURCE_FILES 64

/* Runs on the build host with the finished chroot as $1, before mmdebstrap's cleanup. */
static const char customize_hook[] =
	"#!/bin/sh\n"
	"# Written by vpsctl: makes the chroot in $1 a VPS template.\n"
	"set -eu\n"
	"root=\"$1\"\n"
	"# The runtime gives each VPS its host name and resolver: keep none of the build host's.\n"
	"rm -f \"$root/etc/hostname\" \"$root/etc/resolv.conf\"\n"
	"# Every VPS makes its own SSH host keys, on its first boot.\n"
	"rm -f \"$root\"/etc/ssh/ssh_host_*_key \"$root\"/etc/ssh/ssh_host_*_key.pub\n"
	"if [ -d \"$root/etc/ssh\" ]; then\n"
	"\tcat >\"$root/etc/systemd/system/vpsctl-ssh-hostkeys.service\" <<'EOF'\n"
	"[Unit]\n"
	"Description=SSH host keys of this VPS, made on its first boot (vpsctl)\n"
	"Before=ssh.service\n"
	"ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"ExecStart=/usr/bin/ssh-keygen -A\n"
	"\n"
	"[Install]\n"
	"RequiredBy=ssh.service\n"
	"EOF\n"
	"\tchroot \"$root\" systemctl enable vpsctl-ssh-hostkeys.service\n"
	"fi\n"
	"# Nobody logs in as root with a password: keys only (vpsctl create --ssh-key).\n"
	"chroot \"$root\" passwd --lock root >/dev/null\n"
	"# Empty: each VPS's systemd makes its own machine id on first boot.\n"
	": >\"$root/etc/machine-id\"\n";

/* ---- checking what the operator asked for --------------------------------------------------- */

static bool package_name_valid(const char *s, size_t n)
{
	/* Debian policy 5.6.1: [a-z0-9][a-z0-9+.-]+ */
	if (n < 2 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    !strchr("+.-", s[i]))
			return false;
	return true;
}

bool template_debian_packages_valid(const char *list)
{
	if (!list || !*list || strlen(list) > PACKAGES_MAX)
		return false;
	for (const char *p = list;;) {
		size_t n = strcspn(p, ",");

		if (!package_name_valid(p, n))
			return false;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

bool template_debian_release_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]))
			return false;
	return true;
}

/* ---- the host's apt sources ----------------------------------------------------------------- */

/* A one-line-style file counts only if some line is not a comment. */
static bool has_entries(int dfd, const char *fn)
{
	_cleanup_free_ char *text = NULL;

	if (read_file_at(dfd, fn, SOURCES_MAX, &text, NULL) < 0)
		return false;
	for (const char *l = text; *l;) {
		l += strspn(l, " \t");
		if (*l && *l != '#' && *l != '\n')
			return true;
		l += strcspn(l, "\n");
		l += *l == '\n';
	}
	return false;
}

static bool source_file_name(const char *n)
{
	size_t len = strlen(n);

	if (n[0] == '.')
		return false;
	return (len > 5 && strcmp(n + len - 5, ".list") == 0) ||
	       (len > 8 && strcmp(n + len - 8, ".sources") == 0);
}

static int strv_push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (!s)
		return -ENOMEM;
	if (*n + 1 >= MAX_SOURCE_FILES) {
		free(s);
		return -E2BIG;
	}
	nv = reallocarray(*v, *n + 2, sizeof(char *));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sources.list.d/NAME.list and NAME.sources, in apt's (alphabetical) order. */
static int list_d(const char *apt_dir, char ***v, size_t *n)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_close_ int dfd = -EBADF;
	char path[PATH_MAX];
	size_t first = *n;
	struct dirent *de;
	int r;

	snprintf(path, sizeof(path), "%s/sources.list.d", apt_dir);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	dfd = dup(dirfd(d));
	if (dfd < 0)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		char *full;

		if (!source_file_name(de->d_name) || !has_entries(dirfd(d), de->d_name))
			continue;
		if (asprintf(&full, "%s/%s", path, de->d_name) < 0)
			return -ENOMEM;
		r = strv_push(v, n, full);
		if (r < 0)
			return r;
	}
	if (errno)
		return -errno;
	if (*n > first)
		qsort(*v + first, *n - first, sizeof(char *), name_cmp);
	return 0;
}

int template_host_sources(const char *apt_dir, char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	_cleanup_close_ int dfd = open(apt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n = 0;
	int r;

	if (dfd < 0)
		return -errno;
	if (has_entries(dfd, "sources.list")) {
		char *p;

		if (asprintf(&p, "%s/sources.list", apt_dir) < 0)
			return -ENOMEM;
		r = strv_push(&v, &n, p);
		if (r < 0)
			return r;
	}
	r = list_d(apt_dir, &v, &n);
	if (r < 0)
		return r;
	if (n == 0)
		return -ENOENT;
	*ret = TAKE_PTR(v);
	return 0;
}

/* "bookworm" -> to, "bookworm-updates" -> to + "-updates"; anything else stays. */
static void put_suite(FILE *f, const char *tok, size_t n, const char *from, const char *to)
{
	size_t fl = strlen(from);

	if (n >= fl && strncmp(tok, from, fl) == 0 && (n == fl || tok[fl] == '-'))
		fprintf(f, "%s%.*s", to, (int)(n - fl), tok + fl);
	else
		fprintf(f, "%.*s", (int)n, tok);
}

/* Copies line, rewriting the tokens from index `first` on (all of them when last < 0). */
static void put_tokens(FILE *f, const char *line, size_t len, int first, int last, const char *from,
                       const char *to)
{
	int idx = 0;

	for (size_t i = 0; i < len;) {
		size_t ws = strspn(line + i, " \t"), n;

		fprintf(f, "%.*s", (int)ws, line + i);
		i += ws;
		n = strcspn(line + i, " \t\n");
		if (n > len - i)
			n = len - i;
		if (n > 0 && idx >= first && (last < 0 || idx <= last))
			put_suite(f, line + i, n, from, to);
		else
			fprintf(f, "%.*s", (int)n, line + i);
		i += n;
		idx++;
	}
}

/* deb822 "Suites:" rewrites every word; one-line "deb [opts] URI SUITE comp..." only SUITE. */
static void rewrite_line(FILE *f, const char *line, size_t len, const char *from, const char *to)
{
	const char *p = line + strspn(line, " \t");
	const int suite = 2; /* "deb" is word 0, the URI word 1 */

	if (strncasecmp(p, "Suites:", 7) == 0) {
		fprintf(f, "%.*s", (int)(p - line) + 7, line);
		put_tokens(f, p + 7, len - (size_t)(p - line) - 7, 0, -1, from, to);
		return;
	}
	if (strncmp(p, "deb ", 4) != 0 && strncmp(p, "deb-src ", 8) != 0) {
		fprintf(f, "%.*s", (int)len, line);
		return;
	}
	if (strchr(p, '[') && strchr(p, ']')) {
		/* The options in brackets may hold spaces: count the words before them too. */
		const char *close = strchr(p, ']');

		fprintf(f, "%.*s", (int)(close + 1 - line), line);
		put_tokens(f, close + 1, len - (size_t)(close + 1 - line), 1, 1, from, to);
		return;
	}
	put_tokens(f, line, len, suite, suite, from, to);
}

int template_sources_rewrite(const char *text, const char *from, const char *to, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");

		rewrite_line(f, l, n, from, to);
		l += n;
		if (*l == '\n') {
			fputc('\n', f);
			l++;
		}
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

/* VERSION_CODENAME of the host (from os_release, a path for tests' sake). */
int template_host_codename(const char *os_release, char *ret, size_t len)
{
	_cleanup_free_ char *text = NULL;
	char os[32];
	int r = read_file_at(AT_FDCWD, os_release, SOURCES_MAX, &text, NULL);

	if (r < 0)
		return r;
	r = template_os_release_parse(text, os, sizeof(os), ret, len);
	if (r < 0)
		return r;
	return template_debian_release_valid(ret) ? 0 : -ENOENT;
}

/* ---- the work directory: the hook and, for another release, rewritten sources -------------- */

static int write_work_file(int wfd, const char *fn, const char *text, mode_t mode)
{
	_cleanup_close_ int fd =
		openat(wfd, fn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	return r;
}

/* The host's source files as they are, or copies naming `release` where the host's codename
 * was (a trixie template built on a bookworm node). */
static int stage_sources(int wfd, const char *work, const char *release, char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	char host[32];
	int r;

	r = template_host_sources(APT_DIR, &v);
	if (r < 0)
		return r;
	if (template_host_codename("/etc/os-release", host, sizeof(host)) < 0 ||
	    strcmp(host, release) == 0) {
		*ret = TAKE_PTR(v);
		return 0;
	}
	for (size_t i = 0; v[i]; i++) {
		_cleanup_free_ char *text = NULL, *out = NULL;
		const char *base = strrchr(v[i], '/') + 1;
		char fn[NAME_MAX + 1];

		r = read_file_at(AT_FDCWD, v[i], SOURCES_MAX, &text, NULL);
		if (r == 0)
			r = template_sources_rewrite(text, host, release, &out);
		snprintf(fn, sizeof(fn), "%02zu-%s", i, base);
		if (r == 0)
			r = write_work_file(wfd, fn, out, 0644);
		if (r < 0)
			return r;
		free(v[i]);
		if (asprintf(&v[i], "%s/%s", work, fn) < 0) {
			v[i] = NULL;
			return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static int make_workdir(char *work, size_t len, int *ret_fd)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(work, len, "%s/vpsctl-debian.XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (!mkdtemp(work))
		return -errno;
	*ret_fd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *ret_fd < 0 ? -errno : 0;
}

/* ---- running mmdebstrap --------------------------------------------------------------------- */

struct mmdeb_args {
	char variant[32], include[PACKAGES_MAX + 64], hook[PATH_MAX + 32], log[PATH_MAX + 32];
	const char *argv[16 + MAX_SOURCE_FILES];
};

static void build_argv(struct mmdeb_args *m, const struct template_debian_opts *o, const char *work,
                       const char *target, char **sources)
{
	size_t n = 0;

	snprintf(m->variant, sizeof(m->variant), "--variant=%s",
	         o->variant ? o->variant : "minbase");
	snprintf(m->include, sizeof(m->include), "--include=" BASE_PACKAGES "%s%s",
	         o->include ? "," : "", o->include ? o->include : "");
	snprintf(m->hook, sizeof(m->hook), "--customize-hook=%s/customize", work);
	snprintf(m->log, sizeof(m->log), "--logfile=%s/mmdebstrap.log", work);
	m->argv[n++] = "mmdebstrap";
	m->argv[n++] = "--mode=root";
	m->argv[n++] = "--format=tar";
	m->argv[n++] = m->variant;
	m->argv[n++] = m->include;
	m->argv[n++] = m->hook;
	if (!o->progress)
		m->argv[n++] = m->log;
	m->argv[n++] = o->release;
	m->argv[n++] = target;
	for (size_t i = 0; sources[i] && n + 1 < ELEMENTSOF(m->argv); i++)
		m->argv[n++] = sources[i];
	m->argv[n] = NULL;
}

/* The child: a private mount namespace, so that whatever mmdebstrap mounts in its chroot
 * (proc, sys, dev binds) can never be left behind on the host, whatever happens to it. */
static _noreturn_ void mmdeb_child(struct mmdeb_args *m)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		_exit(126);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(126);
	(void)setenv("LC_ALL", "C.UTF-8", 1);
	execvp(m->argv[0], (char *const *)m->argv);
	_exit(errno == ENOENT ? 127 : 126);
}

/* The last "E: " line of mmdebstrap's log: what went wrong, in its words; without one (a
 * hook or a perl error), its last line. */
static void log_error_line(const char *work, char *reason)
{
	_cleanup_free_ char *text = NULL;
	const char *last = NULL, *final = NULL;
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/mmdebstrap.log", work);
	if (!reason || read_file_at(AT_FDCWD, path, 4 * SOURCES_MAX, &text, NULL) < 0)
		return;
	for (const char *l = text; *l;) {
		if (strncmp(l, "E: ", 3) == 0)
			last = l + 3;
		if (*l != '\n')
			final = l;
		l += strcspn(l, "\n");
		l += *l == '\n';
	}
	if (!last)
		last = final;
	if (last)
		snprintf(reason, 256, "mmdebstrap failed: %.*s", (int)strcspn(last, "\n"), last);
}

static int run_mmdebstrap(struct mmdeb_args *m, const char *work, char *reason)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		mmdeb_child(m);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return template_say(reason, -ENOENT,
		                    "mmdebstrap is not installed (apt-get install mmdebstrap)");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
		return template_say(reason, -EPROTO,
		                    "could not run mmdebstrap in a mount namespace "
		                    "of its own (unshare, mount or exec failed)");
	template_say(reason, -EPROTO, "mmdebstrap failed (%s %d)",
	             WIFEXITED(status) ? "exit status" : "signal",
	             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	log_error_line(work, reason);
	return -EPROTO;
}

/* ---- committing ----------------------------------------------------------------------------- */

static int hash_target(int dfd, const char *fn, struct vps_template_meta *m)
{
	_cleanup_close_ int fd = openat(dfd, fn, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		return -errno;
	return template_sha256_copy(fd, -1, m->sha256, &m->size);
}

static int commit_locked(const char *templates_dir, int dfd, struct template_staged *files,
                         struct vps_template_meta *m, char *reason)
{
	_cleanup_close_ int lock = template_store_lock(templates_dir, true);
	char fn[64];
	int r;

	if (lock < 0)
		return lock;
	snprintf(fn, sizeof(fn), "%s.meta", m->name);
	if (faccessat(dfd, fn, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return template_say(reason, -EEXIST, "a template '%s' appeared meanwhile", m->name);
	r = template_stage_sidecars(dfd, &files[1], &files[2], files[0].final, m);
	if (r == 0)
		r = template_commit(dfd, files, 3, m->name, files[0].final);
	return r;
}

static void fill_meta(const struct template_debian_opts *o, struct vps_template_meta *m)
{
	*m = (struct vps_template_meta){.poweroff_signal = SIGRTMIN + 4};
	snprintf(m->name, sizeof(m->name), "%s", o->name);
	snprintf(m->os, sizeof(m->os), "debian");
	snprintf(m->release, sizeof(m->release), "%s", o->release);
	snprintf(m->init, sizeof(m->init), "/lib/systemd/systemd");
	template_arch_name(m->arch, sizeof(m->arch));
	m->created = (uint64_t)time(NULL);
}

static int check_opts(const char *dir, const struct template_debian_opts *o, char *reason)
{
	char fn[64];
	_cleanup_close_ int dfd = -EBADF;

	if (!o->name || !name_is_valid(o->name))
		return template_say(reason, -EINVAL, "invalid template name");
	if (!template_debian_release_valid(o->release))
		return template_say(reason, -EINVAL,
		                    "--release wants a Debian code name (bookworm)");
	if (o->variant && strcmp(o->variant, "minbase") != 0 && strcmp(o->variant, "standard") != 0)
		return template_say(reason, -EINVAL, "--variant is minbase or standard");
	if (o->include && !template_debian_packages_valid(o->include))
		return template_say(reason, -EINVAL,
		                    "--include wants package names separated by commas");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return template_say(reason, -errno, "cannot open the store: %m");
	snprintf(fn, sizeof(fn), "%s.meta", o->name);
	if (faccessat(dfd, fn, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return template_say(reason, -EEXIST, "a template '%s' exists already", o->name);
	if (template_shared_tree_exists_at(dfd, o->name) != 0)
		return template_say(reason, -EBUSY, "a shared tree '%s.rootfs' is left over",
		                    o->name);
	return 0;
}

static int build_in(const char *work, int wfd, int dfd, const char *abs, const char *dir,
                    const struct template_debian_opts *o, struct vps_template_meta *m, char *reason)
{
	_cleanup_strv_free_ char **sources = NULL;
	struct template_staged files[3] = {0};
	_cleanup_free_ struct mmdeb_args *args = calloc(1, sizeof(*args));
	char target[PATH_MAX];
	int r;

	if (!args)
		return -ENOMEM;
	r = write_work_file(wfd, "customize", customize_hook, 0755);
	if (r < 0)
		return template_say(reason, r, "cannot write the customize hook: %s", strerror(-r));
	r = stage_sources(wfd, work, o->release, &sources);
	if (r < 0)
		return template_say(reason, r,
		                    "cannot read the host's apt sources in " APT_DIR ": %s",
		                    strerror(-r));
	fill_meta(o, m);
	snprintf(files[0].final, sizeof(files[0].final), "%s.tar.zst", o->name);
	/* mmdebstrap picks the compression from the name: the temp name ends in .tar.zst too. */
	snprintf(files[0].tmp, sizeof(files[0].tmp), ".%s.build-%d.tar.zst", o->name,
	         (int)getpid());
	snprintf(target, sizeof(target), "%s/%s", abs, files[0].tmp);
	build_argv(args, o, work, target, sources);
	r = run_mmdebstrap(args, work, reason);
	if (r == 0)
		r = hash_target(dfd, files[0].tmp, m);
	if (r == 0)
		r = commit_locked(dir, dfd, files, m, reason);
	if (r < 0) {
		template_unstage(dfd, files, ELEMENTSOF(files));
		return reason && reason[0]
		               ? r
		               : template_say(reason, r, "cannot store it: %s", strerror(-r));
	}
	snprintf(m->file, sizeof(m->file), "%s/%s", abs, files[0].final);
	return 0;
}

int template_build_debian(const char *templates_dir, const struct template_debian_opts *opts,
                          struct vps_template_meta *ret, char *ret_reason)
{
	_cleanup_close_ int dfd = -EBADF, wfd = -EBADF;
	_cleanup_free_ char *abs = NULL;
	struct vps_template_meta m;
	char work[PATH_MAX];
	int r;

	if (ret_reason)
		ret_reason[0] = '\0';
	r = check_opts(templates_dir, opts, ret_reason);
	if (r < 0)
		return r;
	r = template_store_open(templates_dir, &dfd, &abs);
	if (r < 0)
		return template_say(ret_reason, r, "cannot open the store: %s", strerror(-r));
	r = make_workdir(work, sizeof(work), &wfd);
	if (r < 0)
		return template_say(ret_reason, r, "cannot make a work directory: %s",
		                    strerror(-r));
	r = build_in(work, wfd, dfd, abs, templates_dir, opts, &m, ret_reason);
	(void)rm_rf_at(AT_FDCWD, work);
	if (r < 0)
		return r;
	if (ret)
		*ret = m;
	return 0;
}

int template_host_release(char *ret, size_t len)
{
	return template_host_codename("/etc/os-release", ret, len);
}
