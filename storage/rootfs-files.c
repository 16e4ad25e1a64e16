/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "rootfs-files.h"

/* ---- checking an --ssh-key file ------------------------------------------------------------ */

static bool key_type_known(const char *t, size_t n)
{
	static const char *const types[] = {
		"ssh-ed25519",
		"ssh-rsa",
		"ssh-dss",
		"ecdsa-sha2-nistp256",
		"ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521",
		"sk-ssh-ed25519@openssh.com",
		"sk-ecdsa-sha2-nistp256@openssh.com",
	};

	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		if (strlen(types[i]) == n && strncmp(t, types[i], n) == 0)
			return true;
	return false;
}

static bool base64_ok(const char *s, size_t n)
{
	size_t pad = 0;

	if (n < 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || !(isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/'))
			return false;
	}
	return pad <= 2;
}

/* One line without its newline: 0 = a key, 1 = blank or comment, -EINVAL = neither. */
static int check_line(const char *l, size_t len)
{
	size_t i = strspn(l, " \t"), t, b;

	if (i >= len || l[i] == '#')
		return 1;
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)l[k] < 0x20 && l[k] != '\t')
			return -EINVAL;
	t = strcspn(l + i, " \t");
	if (t > len - i || !key_type_known(l + i, t))
		return -EINVAL;
	i += t + strspn(l + i + t, " \t");
	b = strcspn(l + i, " \t\n");
	if (i >= len || b > len - i || !base64_ok(l + i, b))
		return -EINVAL;
	return 0;
}

int rootfs_ssh_keys_check(const char *text, struct vps_error *err)
{
	unsigned lineno = 0, keys = 0;

	if (strstr(text, "PRIVATE KEY-----"))
		return vps_error_set(err, -EINVAL,
		                     "this is a private key: give the public one (.pub)");
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");
		int r = check_line(l, n);

		lineno++;
		if (r < 0)
			return vps_error_set(err, r, "line %u is not an SSH public key", lineno);
		keys += r == 0;
		l += n;
		l += *l == '\n';
	}
	if (keys == 0)
		return vps_error_set(err, -EINVAL, "no SSH public key in it");
	return 0;
}

/* ---- writing under the root ----------------------------------------------------------------- */

/* Symlinks on the way resolve inside the root; the last component is never one. */
static int open_nofollow(int rootfd, const char *path, int flags, mode_t mode)
{
	return open_in_root(rootfd, path, flags | O_NOFOLLOW, mode, 0);
}

/* The directory rootfd/path, made with mode when missing (its parent must exist). */
static int open_dir(int rootfd, const char *parent, const char *name, mode_t mode)
{
	_cleanup_close_ int pfd = open_nofollow(rootfd, parent, O_RDONLY | O_DIRECTORY, 0);

	if (pfd < 0)
		return pfd;
	if (mkdirat(pfd, name, mode) < 0 && errno != EEXIST)
		return -errno;
	/* O_NOFOLLOW: a template's /root/.ssh symlink is refused, not followed. */
	return open_nofollow(pfd, name, O_RDONLY | O_DIRECTORY, 0);
}

/* The last byte of fd, or '\n' for an empty file. */
static int last_byte(int fd, char *ret)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*ret = '\n';
	if (st.st_size > 0 && pread(fd, ret, 1, st.st_size - 1) != 1)
		return -EIO;
	return 0;
}

static int append_text(int fd, const char *text)
{
	size_t len = strlen(text);
	bool ends_in_newline = len > 0 && text[len - 1] == '\n';
	char last;
	int r;

	r = last_byte(fd, &last);
	if (r == 0 && last != '\n' && write(fd, "\n", 1) != 1)
		r = -EIO;
	while (r == 0 && len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	if (r == 0 && !ends_in_newline && write(fd, "\n", 1) != 1)
		r = -EIO;
	return r;
}

int rootfs_add_authorized_keys(int rootfd, const char *keys, uid_t uid, gid_t gid)
{
	_cleanup_close_ int rootdir = -EBADF, sshdir = -EBADF, fd = -EBADF;
	int r;

	if (!keys || !keys[0])
		return -EINVAL;
	rootdir = open_dir(rootfd, "/", "root", 0700);
	if (rootdir < 0)
		return rootdir;
	sshdir = open_dir(rootdir, ".", ".ssh", 0700);
	if (sshdir < 0)
		return sshdir;
	if (fchown(sshdir, uid, gid) < 0 || fchmod(sshdir, 0700) < 0)
		return -errno;
	fd = openat(sshdir, "authorized_keys", O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	            0600);
	if (fd < 0)
		return -errno;
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, 0600) < 0)
		return -errno;
	r = append_text(fd, keys);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}

/* ---- the resolver ---------------------------------------------------------------------------- */

static bool loopback_server(const char *addr, size_t n)
{
	return (n >= 4 && strncmp(addr, "127.", 4) == 0) ||
	       (n == 3 && strncmp(addr, "::1", 3) == 0);
}

/* 1 when the line is worth keeping, 2 when it is a usable name server, 0 otherwise. */
static int classify(const char *l, size_t n)
{
	static const char *const keep[] = {"search", "domain", "options"};
	size_t w = strcspn(l, " \t");
	const char *arg;

	if (w > n)
		return 0;
	arg = l + w + strspn(l + w, " \t");
	if (w == 10 && strncmp(l, "nameserver", 10) == 0 && arg < l + n)
		return loopback_server(arg, (size_t)(l + n - arg)) ? 0 : 2;
	for (size_t i = 0; i < ELEMENTSOF(keep); i++)
		if (w == strlen(keep[i]) && strncmp(l, keep[i], w) == 0)
			return 1;
	return 0;
}

int rootfs_resolv_conf_filter(const char *host_text, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	bool server = false;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	fputs("# From the node's resolver configuration, written by vpsctl create.\n", f);
	for (const char *l = host_text; *l;) {
		size_t n = strcspn(l, "\n");
		int c = classify(l, n);

		if (c > 0)
			fprintf(f, "%.*s\n", (int)n, l);
		server = server || c == 2;
		l += n;
		l += *l == '\n';
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret = server ? TAKE_PTR(buf) : NULL;
	return 0;
}

int rootfs_write_resolv_conf(int rootfd, const char *text, uid_t uid, gid_t gid)
{
	_cleanup_close_ int etc = open_nofollow(rootfd, "/etc", O_PATH | O_DIRECTORY, 0),
			    fd = -EBADF;
	struct stat st;

	if (etc < 0)
		return etc;
	if (fstatat(etc, "resolv.conf", &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0; /* the template knows better (a file, or a link to its resolver's) */
	if (errno != ENOENT)
		return -errno;
	fd = openat(etc, "resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* the VPS's root's, like everything in its tree (never the host's root's) */
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, 0644) < 0)
		return -errno;
	return append_text(fd, text);
}
