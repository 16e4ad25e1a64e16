/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The busybox template: a tiny OS root made of one static busybox, its applet symlinks and a few
 * files in /etc. The tarball is streamed straight from memory into the store (no staging tree on
 * disk, so no host file ownership or umask leaks into it), hashed while it is written, and the
 * three files of the template are swapped in with back-to-back renames.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sha2.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"
#include "template-internal.h"

#define APPLET_OUTPUT_MAX (1024 * 1024)

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_write_free(*a);
}

static void archive_entry_freep(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}

/* ---- running busybox ------------------------------------------------------------------------ */

static int read_capped(int fd, size_t max, char **ret)
{
	_cleanup_free_ char *buf = malloc(max + 1);
	size_t len = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, max - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == max)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

static int spawn_piped(char *const argv[], int out_fd, pid_t *ret_pid)
{
	static char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	posix_spawn_file_actions_t fa;
	int r;

	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		return -r;
	/* Every other fd of ours is O_CLOEXEC; the child gets only these three. */
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (r == 0)
		r = posix_spawn(ret_pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

/* Runs argv (no shell) and returns its standard output, at most max bytes. */
static int run_capture(char *const argv[], size_t max, char **ret)
{
	_cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
	int fds[2], r, k;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	rfd = fds[0];
	wfd = fds[1];
	r = spawn_piped(argv, wfd, &pid);
	if (r < 0)
		return r;
	close(TAKE_FD(wfd));
	r = read_capped(rfd, max, ret);
	if (r < 0)
		(void)kill(pid, SIGKILL); /* our own child, which may still be writing */
	k = wait_child(pid);
	if (r == 0 && k < 0) {
		free(*ret);
		*ret = NULL;
		r = k;
	}
	return r;
}

/* "BusyBox v1.35.0 (Debian 1:1.35.0-4) multi-call binary." -> "1.35.0" */
static int busybox_version(const char *busybox, char *ret, size_t len)
{
	char *argv[] = {(char *)busybox, "--help", NULL};
	_cleanup_free_ char *out = NULL;
	const char *p;
	size_t n;
	int r;

	r = run_capture(argv, APPLET_OUTPUT_MAX, &out);
	if (r < 0)
		return r;
	p = strstr(out, "BusyBox v");
	if (!p)
		return -EBADMSG;
	p += strlen("BusyBox v");
	n = strspn(p, "0123456789.");
	if (n == 0 || n >= len)
		return -EBADMSG;
	memcpy(ret, p, n);
	ret[n] = '\0';
	return 0;
}

/* ---- checking the binary -------------------------------------------------------------------- */

static int phdrs_have_interp(int fd, uint64_t off, unsigned n, unsigned entsize)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t type;

		if (pread(fd, &type, sizeof(type), (off_t)(off + (uint64_t)i * entsize)) !=
		    (ssize_t)sizeof(type))
			return -ENOEXEC;
		if (type == PT_INTERP)
			return 1;
	}
	return 0;
}

/* A VPS root has no libc: a dynamically linked busybox would build a template that cannot boot. */
static int check_static_elf(int fd)
{
	Elf64_Ehdr h64;
	Elf32_Ehdr h32;
	int r;

	if (pread(fd, &h64, sizeof(h64), 0) != (ssize_t)sizeof(h64) ||
	    memcmp(h64.e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (h64.e_ident[EI_CLASS] == ELFCLASS64)
		r = phdrs_have_interp(fd, h64.e_phoff, h64.e_phnum, h64.e_phentsize);
	else {
		memcpy(&h32, &h64, sizeof(h32));
		r = phdrs_have_interp(fd, h32.e_phoff, h32.e_phnum, h32.e_phentsize);
	}
	if (r < 0)
		return r;
	return r > 0 ? -ENOEXEC : 0;
}

/* ---- writing the tarball -------------------------------------------------------------------- */

struct tar_sink {
	int fd;
	SHA2_CTX sha;
	uint64_t size;
};

static la_ssize_t sink_write(struct archive *a, void *userdata, const void *buf, size_t len)
{
	struct tar_sink *s = userdata;
	int r = write_all(s->fd, buf, len);

	if (r < 0) {
		archive_set_error(a, -r, "Cannot write the template tarball");
		return -1;
	}
	SHA256Update(&s->sha, buf, len);
	s->size += len;
	return (la_ssize_t)len;
}

/* Errors from libarchive come with errno set in the archive (0 for format errors). */
static int archive_errno_r(struct archive *a)
{
	int e = archive_errno(a);

	log_debug("libarchive: %s", archive_error_string(a) ?: "unknown error");
	return e > 0 ? -e : -EIO;
}

static struct archive_entry *entry_new(const char *path, mode_t mode, time_t now)
{
	struct archive_entry *e = archive_entry_new();

	if (!e)
		return NULL;
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, mode);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, now, 0);
	return e;
}

static int add_dir(struct archive *a, const char *path, mode_t perm, time_t now)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e =
		entry_new(path, S_IFDIR | perm, now);

	if (!e)
		return -ENOMEM;
	return archive_write_header(a, e) == ARCHIVE_OK ? 0 : archive_errno_r(a);
}

static int add_symlink(struct archive *a, const char *path, const char *target, time_t now)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e =
		entry_new(path, S_IFLNK | 0777, now);

	if (!e)
		return -ENOMEM;
	archive_entry_set_symlink(e, target);
	return archive_write_header(a, e) == ARCHIVE_OK ? 0 : archive_errno_r(a);
}

static int add_file(struct archive *a, const char *path, mode_t perm, const char *content,
                    time_t now)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e =
		entry_new(path, S_IFREG | perm, now);
	size_t len = strlen(content);

	if (!e)
		return -ENOMEM;
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return archive_errno_r(a);
	if (archive_write_data(a, content, len) != (la_ssize_t)len)
		return archive_errno_r(a);
	return 0;
}

static int add_busybox(struct archive *a, int bb_fd, time_t now)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e =
		entry_new("bin/busybox", S_IFREG | 0755, now);
	_cleanup_free_ char *buf = malloc(64 * 1024);
	struct stat st;
	off_t off = 0;

	if (!e || !buf)
		return -ENOMEM;
	if (fstat(bb_fd, &st) < 0)
		return -errno;
	archive_entry_set_size(e, st.st_size);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return archive_errno_r(a);
	while (off < st.st_size) {
		ssize_t n = pread(bb_fd, buf, 64 * 1024, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* shrank under us */
		if (archive_write_data(a, buf, (size_t)n) != n)
			return archive_errno_r(a);
		off += n;
	}
	return 0;
}

struct dir_spec {
	const char *path;
	mode_t perm;
};

static const struct dir_spec root_dirs[] = {
	{"bin", 0755},  {"sbin", 0755},       {"usr", 0755}, {"usr/bin", 0755}, {"usr/sbin", 0755},
	{"etc", 0755},  {"etc/init.d", 0755}, {"dev", 0755}, {"proc", 0555},    {"sys", 0555},
	{"tmp", 01777}, {"root", 0700},       {"run", 0755}, {"var", 0755},     {"var/log", 0755},
	{"home", 0755}, {"mnt", 0755},
};

static int add_dirs(struct archive *a, time_t now)
{
	int r;

	for (size_t i = 0; i < ELEMENTSOF(root_dirs); i++) {
		r = add_dir(a, root_dirs[i].path, root_dirs[i].perm, now);
		if (r < 0)
			return r;
	}
	return add_symlink(a, "var/run", "../run", now);
}

/* busybox init: reboot sends it SIGTERM, halt SIGUSR1, poweroff SIGUSR2; it runs the shutdown
 * actions and calls reboot(2), which in a PID namespace ends init with SIGHUP or SIGINT. */
static const char inittab[] =
	"# /etc/inittab of the vpsctl busybox template (busybox init syntax).\n"
	"::sysinit:/etc/init.d/rcS\n"
	"# A shell on the console, started when someone attaches and presses Enter.\n"
	"console::askfirst:-/bin/sh\n"
	"::ctrlaltdel:/sbin/reboot\n"
	"::shutdown:/bin/sync\n";

/* The runtime has mounted /proc, /sys, /dev and /dev/pts and set the hostname already. */
static const char rcs[] =
	"#!/bin/sh\n"
	"# Boot script of the vpsctl busybox template; the runtime mounted /proc, /sys and /dev.\n"
	"PATH=/sbin:/usr/sbin:/bin:/usr/bin\n"
	"export PATH\n"
	"# No hostname call: the runtime set it from HOSTNAME (and wrote /etc/hostname), and\n"
	"# root here lacks CAP_SYS_ADMIN, which sethostname needs.\n"
	"ip link set lo up 2>/dev/null || true\n"
	"mkdir -p /run /var/log /tmp\n"
	"exit 0\n";

struct etc_file {
	const char *path;
	mode_t perm;
	const char *content;
};

static const struct etc_file etc_files[] = {
	{"etc/inittab", 0644, inittab},
	{"etc/init.d/rcS", 0755, rcs},
	{"etc/passwd", 0644,
         "root:x:0:0:root:/root:/bin/sh\n"
         "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
	{"etc/group", 0644, "root:x:0:\nnogroup:x:65534:\n"},
	/* Locked passwords: the console shell needs none, and nobody can log in over a network. */
	{"etc/shadow", 0600, "root:!::0:99999:7:::\nnobody:!::0:99999:7:::\n"},
	{"etc/hostname", 0644, "localhost\n"},
	{"etc/hosts", 0644,
         "127.0.0.1\tlocalhost\n"
         "::1\tlocalhost ip6-localhost ip6-loopback\n"},
	{"etc/shells", 0644, "/bin/sh\n/bin/ash\n"},
	{"etc/profile", 0644,
         "export PATH=/sbin:/usr/sbin:/bin:/usr/bin\n"
         "export PS1='\\u@\\h:\\w\\$ '\n"},
};

static int add_etc(struct archive *a, const char *release, time_t now)
{
	char os_release[256];
	int r;

	for (size_t i = 0; i < ELEMENTSOF(etc_files); i++) {
		r = add_file(a, etc_files[i].path, etc_files[i].perm, etc_files[i].content, now);
		if (r < 0)
			return r;
	}
	snprintf(os_release, sizeof(os_release),
	         "NAME=\"BusyBox\"\nID=busybox\nVERSION_ID=%s\n"
	         "PRETTY_NAME=\"BusyBox %s (vpsctl template)\"\n",
	         release, release);
	return add_file(a, "etc/os-release", 0644, os_release, now);
}

/* An applet path from --list-full: relative, plain components, in a directory we create. */
static bool applet_path_ok(const char *p)
{
	static const char *const dirs[] = {"bin/", "sbin/", "usr/bin/", "usr/sbin/"};
	const char *base = strrchr(p, '/');

	base = base ? base + 1 : p;
	if (base[0] == '\0' || base[0] == '.' || strlen(p) > 64 ||
	    strspn(base, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.[") !=
	            strlen(base))
		return false;
	if (base == p)
		return true; /* e.g. linuxrc at the top */
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if ((size_t)(base - p) == strlen(dirs[i]) &&
		    strncmp(p, dirs[i], strlen(dirs[i])) == 0)
			return true;
	return false;
}

/* Relative, so the link works whatever the VPS root is mounted as: usr/bin/x -> ../../bin/busybox
 */
static void applet_target(const char *path, char *buf, size_t len)
{
	size_t depth = 0;

	if (strncmp(path, "bin/", 4) == 0 && !strchr(path + 4, '/')) {
		snprintf(buf, len, "busybox");
		return;
	}
	for (const char *p = path; *p; p++)
		depth += *p == '/';
	buf[0] = '\0';
	for (size_t i = 0; i < depth; i++)
		strncat(buf, "../", len - strlen(buf) - 1);
	strncat(buf, "bin/busybox", len - strlen(buf) - 1);
}

/* Without init the VPS cannot boot, without these three it cannot shut itself down. */
static const char *const required_applets[] = {"sbin/init", "sbin/reboot", "sbin/halt",
                                               "sbin/poweroff"};

static unsigned required_bit(const char *path)
{
	for (size_t i = 0; i < ELEMENTSOF(required_applets); i++)
		if (strcmp(path, required_applets[i]) == 0)
			return 1u << i;
	return 0;
}

static int add_applets(struct archive *a, const char *busybox, time_t now)
{
	char *argv[] = {(char *)busybox, "--list-full", NULL};
	_cleanup_free_ char *out = NULL;
	char *save = NULL;
	unsigned found = 0;
	unsigned n = 0;
	int r;

	r = run_capture(argv, APPLET_OUTPUT_MAX, &out);
	if (r < 0)
		return r;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char target[64];

		if (strcmp(l, "bin/busybox") == 0)
			continue;
		if (!applet_path_ok(l)) {
			log_debug("Skipping busybox applet path '%s'", l);
			continue;
		}
		applet_target(l, target, sizeof(target));
		r = add_symlink(a, l, target, now);
		if (r < 0)
			return r;
		found |= required_bit(l);
		n++;
	}
	log_debug("Busybox template: %u applet links", n);
	return found == (1u << ELEMENTSOF(required_applets)) - 1 ? 0 : -ENOEXEC;
}

static int write_tree(struct archive *a, int bb_fd, const char *busybox, const char *release,
                      time_t now)
{
	int r;

	r = add_dirs(a, now);
	if (r == 0)
		r = add_busybox(a, bb_fd, now);
	if (r == 0)
		r = add_applets(a, busybox, now);
	if (r == 0)
		r = add_etc(a, release, now);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = archive_errno_r(a);
	return r;
}

/* zstd when this libarchive can do it in-process, gzip otherwise. */
static struct archive *archive_for_store(const char **ret_suffix)
{
	struct archive *a = archive_write_new();

	if (!a)
		return NULL;
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK)
		goto fail;
	if (archive_write_add_filter_zstd(a) == ARCHIVE_OK) {
		*ret_suffix = ".tar.zst";
		return a;
	}
	archive_write_free(a);
	a = archive_write_new();
	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK)
		goto fail;
	*ret_suffix = ".tar.gz";
	return a;
fail:
	if (a)
		archive_write_free(a);
	return NULL;
}

/* ---- committing the three files ------------------------------------------------------------- */

static int build_tarball(int dfd, struct template_staged *s, const char *name, int bb_fd,
                         const char *busybox, struct vps_template_meta *m)
{
	_cleanup_(archive_freep) struct archive *a = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct tar_sink sink = {.fd = -EBADF};
	uint8_t digest[SHA256_DIGEST_LENGTH];
	const char *suffix = NULL;
	int r;

	a = archive_for_store(&suffix);
	if (!a)
		return -ENOMEM;
	snprintf(s->final, sizeof(s->final), "%s%s", name, suffix);
	fd = template_stage_open(dfd, s);
	if (fd < 0)
		return fd;
	sink.fd = fd;
	SHA256Init(&sink.sha);
	/* No zero padding after the compressed stream: zstd would read it as a broken frame. */
	if (archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
		return archive_errno_r(a);
	if (archive_write_open2(a, &sink, NULL, sink_write, NULL, NULL) != ARCHIVE_OK)
		return archive_errno_r(a);
	r = write_tree(a, bb_fd, busybox, m->release, (time_t)m->created);
	if (r < 0)
		return r;
	if (fsync(fd) < 0)
		return -errno;
	SHA256Final(digest, &sink.sha);
	template_hex(digest, sizeof(digest), m->sha256);
	m->size = sink.size;
	return 0;
}

static int fill_meta(const char *name, const char *busybox, struct vps_template_meta *m)
{
	int r;

	*m = (struct vps_template_meta){.poweroff_signal = SIGUSR2};
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->os, sizeof(m->os), "busybox");
	snprintf(m->init, sizeof(m->init), "/sbin/init");
	template_arch_name(m->arch, sizeof(m->arch));
	m->created = (uint64_t)time(NULL);
	r = busybox_version(busybox, m->release, sizeof(m->release));
	if (r < 0)
		return log_debug_errno(r, "Cannot tell the version of '%s'", busybox);
	return 0;
}

static int build_locked(int dfd, const char *abs_dir, const char *name, const char *busybox,
                        int bb_fd, struct vps_template_meta *m)
{
	struct template_staged files[3] = {0};
	int r;

	r = fill_meta(name, busybox, m);
	if (r == 0)
		r = build_tarball(dfd, &files[0], name, bb_fd, busybox, m);
	if (r == 0)
		r = template_stage_sidecars(dfd, &files[1], &files[2], files[0].final, m);
	if (r == 0)
		r = template_commit(dfd, files, ELEMENTSOF(files), name, files[0].final);
	if (r < 0) {
		template_unstage(dfd, files, ELEMENTSOF(files));
		return r;
	}
	snprintf(m->file, sizeof(m->file), "%s/%s", abs_dir, files[0].final);
	return 0;
}

int template_build_busybox(const char *templates_dir, const char *name, const char *busybox_path,
                           struct vps_template_meta *ret)
{
	_cleanup_close_ int dfd = -EBADF, bb_fd = -EBADF;
	_cleanup_free_ char *abs = NULL;
	struct vps_template_meta m;
	int r;

	if (!name || !name_is_valid(name) || !busybox_path)
		return -EINVAL;
	dfd = open(templates_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	abs = realpath(templates_dir, NULL);
	if (!abs)
		return -errno;
	bb_fd = open(busybox_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (bb_fd < 0)
		return -errno;
	r = check_static_elf(bb_fd);
	if (r < 0)
		return log_debug_errno(r, "'%s' is not a static ELF binary", busybox_path);
	/* Two builders of one store would mix each other's tarball and metadata. */
	if (flock(dfd, LOCK_EX) < 0)
		return -errno;
	r = build_locked(dfd, abs, name, busybox_path, bb_fd, &m);
	if (r < 0)
		return r;
	if (ret)
		*ret = m;
	return 0;
}
