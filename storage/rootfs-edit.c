/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "rootfs-edit.h"

/* dir under the root, itself never a symlink (intermediate ones resolve inside the root). */
static int open_dir(int rootfd, const char *dir)
{
	int fd = open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, 0);

	return fd == -ELOOP ? -ENOTDIR : fd;
}

/* All of fd, at most max bytes (more is -EFBIG), NUL-terminated. */
static int read_fd(int fd, size_t max, char **ret)
{
	_cleanup_free_ char *buf = malloc(max + 1);
	size_t len = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

static int read_regular(int dfd, const char *name, size_t max, char **ret,
                        struct rootfs_owner *ret_owner)
{
	/* O_NONBLOCK: a fifo planted at the name must not hang us before fstat refuses it */
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	if (ret_owner)
		*ret_owner = (struct rootfs_owner){st.st_uid, st.st_gid, st.st_mode & 07777};
	return read_fd(fd, max, ret);
}

int rootfs_read(int rootfd, const char *dir, const char *name, size_t max, char **ret,
                struct rootfs_owner *ret_owner)
{
	_cleanup_close_ int dfd = open_dir(rootfd, dir);

	if (dfd < 0)
		return dfd;
	return read_regular(dfd, name, max, ret, ret_owner);
}

/* A temp name nobody guesses: the tenant may have planted the obvious ones. */
static int temp_name(const char *name, char *buf, size_t len)
{
	uint64_t rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	if (snprintf(buf, len, ".%s.vpsctl-%016llx", name, (unsigned long long)rnd) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* The owner and mode the replacement takes: those of a regular file at the name, else def. */
static int replacement_owner(int dfd, const char *name, const struct rootfs_owner *def,
                             struct rootfs_owner *ret)
{
	struct stat st;

	*ret = *def;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode))
		*ret = (struct rootfs_owner){st.st_uid, st.st_gid, st.st_mode & 0777};
	return 0;
}

static int write_temp(int dfd, const char *tmp, const char *text, const struct rootfs_owner *o)
{
	_cleanup_close_ int fd =
		openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r;

	if (fd < 0)
		return -errno;
	/* owner first, then mode: chown clears setuid bits, and the text is never readable to
	 * anyone it is not meant for on the way */
	if (fchown(fd, o->uid, o->gid) < 0 || fchmod(fd, o->mode) < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}

int rootfs_replace(int rootfd, const char *dir, const char *name, const char *text,
                   const struct rootfs_owner *def)
{
	_cleanup_close_ int dfd = open_dir(rootfd, dir);
	struct rootfs_owner o;
	char tmp[300];
	int r;

	if (dfd < 0)
		return dfd;
	r = replacement_owner(dfd, name, def, &o);
	if (r == 0)
		r = temp_name(name, tmp, sizeof(tmp));
	if (r < 0)
		return r;
	r = write_temp(dfd, tmp, text, &o);
	/* rename replaces the entry itself: a symlink is not followed, a fifo never opened */
	if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dfd, tmp, 0);
		return r;
	}
	(void)fsync(dfd);
	return 0;
}

int rootfs_make_dir(int rootfd, const char *dir, const char *name, const struct rootfs_owner *def)
{
	_cleanup_close_ int dfd = open_dir(rootfd, dir), fd = -EBADF;

	if (dfd < 0)
		return dfd;
	if (mkdirat(dfd, name, def->mode) == 0) {
		if (fchownat(dfd, name, def->uid, def->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dfd, name, def->mode, 0) < 0)
			return -errno;
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	return 0;
}

/* ---- the texts ------------------------------------------------------------------------------ */

bool rootfs_crypt_hash_valid(const char *s)
{
	static const char *const prefixes[] = {"$1$",  "$5$",  "$6$",  "$y$",    "$gy$", "$7$",
	                                       "$2a$", "$2b$", "$2y$", "$sha1$", "$md5"};
	const char *alphabet =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./$=,";
	size_t len = strlen(s);

	if (len < 8 || len > 512 || strspn(s, alphabet) != len)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			/* a hash has a salt and a result after its prefix */
			return strchr(s + strlen(prefixes[i]), '$') != NULL ||
			       strcmp(prefixes[i], "$2a$") == 0 ||
			       strcmp(prefixes[i], "$2b$") == 0 || strcmp(prefixes[i], "$2y$") == 0;
	return false;
}

/* Root's line with the new password and day, its other fields kept (or the usual ones). */
static void root_line(FILE *f, const char *old, size_t n, const char *hash, long day)
{
	const char *rest = "0:99999:7:::";
	const char *p = old;

	/* skip "root:", the old password and the old day: what follows are the aging fields */
	for (int field = 0; old && field < 3; field++) {
		const char *colon = memchr(p, ':', n - (size_t)(p - old));

		if (!colon) {
			p = NULL;
			break;
		}
		p = colon + 1;
	}
	fprintf(f, "root:%s:%ld:", hash, day);
	if (old && p)
		fprintf(f, "%.*s\n", (int)(n - (size_t)(p - old)), p);
	else
		fprintf(f, "%s\n", rest);
}

int rootfs_shadow_set_root(const char *shadow, const char *hash, long day, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	bool done = false;
	FILE *f;

	if (!rootfs_crypt_hash_valid(hash))
		return -EINVAL;
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	for (const char *l = shadow; l && *l;) {
		size_t n = strcspn(l, "\n");

		if (!done && n >= 5 && strncmp(l, "root:", 5) == 0) {
			root_line(f, l, n, hash, day);
			done = true;
		} else {
			fprintf(f, "%.*s\n", (int)n, l);
		}
		l += n;
		l += *l == '\n';
	}
	if (!done)
		root_line(f, NULL, 0, hash, day);
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* old's nameserver lines into f. */
static void keep_servers(FILE *f, const char *old)
{
	for (const char *l = old; l && *l;) {
		size_t n = strcspn(l, "\n");

		if (n > 11 && strncmp(l, "nameserver", 10) == 0 && (l[10] == ' ' || l[10] == '\t'))
			fprintf(f, "%.*s\n", (int)n, l);
		l += n;
		l += *l == '\n';
	}
}

int rootfs_resolv_conf_build(const char *servers, const char *search, const char *old, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	fputs("# Written by vpsctl set (NAMESERVER and SEARCHDOMAIN of vps.conf).\n", f);
	if (search && *search)
		fprintf(f, "search %s\n", search);
	if (servers && *servers) {
		for (const char *s = servers; *s;) {
			size_t n = strcspn(s, " ");

			if (n)
				fprintf(f, "nameserver %.*s\n", (int)n, s);
			s += n;
			s += *s == ' ';
		}
	} else {
		keep_servers(f, old);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}
