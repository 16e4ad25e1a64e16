/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "counters.h"
#include "fileio.h"
#include "netsetup.h"
#include "parse.h"

#define COUNTERS_FILE "net-counters"

enum { C_RX_BYTES, C_TX_BYTES, C_RX_PACKETS, C_TX_PACKETS, _C_MAX };
static const char *const keys[_C_MAX] = {"RX_BYTES", "TX_BYTES", "RX_PACKETS", "TX_PACKETS"};

struct counter_file {
	uint64_t period_start;
	uint64_t total[_C_MAX];
	char seen[80];         /* "BOOTID:IFINDEX" of the veth counted up to base, "" none */
	uint64_t base[_C_MAX]; /* that veth's counts when last banked (or reset) */
};

/* A veth as it is now: who it is (an ifindex is unique in one boot) and its counts. */
struct live {
	char id[80];
	uint64_t n[_C_MAX];
};

int vps_counters_boot_id(char *buf, size_t len)
{
	_cleanup_free_ char *boot = NULL;
	int r = read_file_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 64, &boot, NULL);

	if (r < 0)
		return r;
	boot[strcspn(boot, "\n")] = '\0';
	snprintf(buf, len, "%s", boot);
	return 0;
}

static void live_set(const char *boot, int ifindex, const struct netsetup_link_stats *st,
                     struct live *ret)
{
	snprintf(ret->id, sizeof(ret->id), "%s:%d", boot, ifindex);
	/* the node end counts the other way round: what it sent, the VPS received */
	ret->n[C_RX_BYTES] = st->tx_bytes;
	ret->n[C_TX_BYTES] = st->rx_bytes;
	ret->n[C_RX_PACKETS] = st->tx_packets;
	ret->n[C_TX_PACKETS] = st->rx_packets;
}

static int live_get(const char *host_if, struct live *ret)
{
	char boot[64];
	struct netsetup_link_info l;
	int r = netsetup_link_get(-1, host_if, &l);

	if (r < 0)
		return r;
	r = vps_counters_boot_id(boot, sizeof(boot));
	if (r < 0)
		return r;
	live_set(boot, l.ifindex, &l.stats, ret);
	return 0;
}

/* What the live veth counted that the file does not hold yet. */
static void unbanked(const struct counter_file *f, const struct live *l, uint64_t ret[_C_MAX])
{
	bool same = strcmp(f->seen, l->id) == 0;

	for (int i = 0; i < _C_MAX; i++)
		same = same && l->n[i] >= f->base[i];
	for (int i = 0; i < _C_MAX; i++)
		ret[i] = same ? l->n[i] - f->base[i] : l->n[i];
}

static int parse_line(struct counter_file *f, const char *key, const char *value)
{
	if (strcmp(key, "PERIOD_START") == 0)
		return parse_uint64(value, &f->period_start);
	if (strcmp(key, "SEEN") == 0) {
		snprintf(f->seen, sizeof(f->seen), "%s", value);
		return 0;
	}
	for (int i = 0; i < _C_MAX; i++) {
		if (strcmp(key, keys[i]) == 0)
			return parse_uint64(value, &f->total[i]);
		if (strncmp(key, "SEEN_", 5) == 0 && strcmp(key + 5, keys[i]) == 0)
			return parse_uint64(value, &f->base[i]);
	}
	return 0; /* a key of a newer vpsctl */
}

/* -ENOENT: no file yet. A damaged file is -EBADMSG, never zeros: a bill is not guessed. */
static int file_read_at(int dfd, const char *path, struct counter_file *ret)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r = read_file_at(dfd, path, 1 << 16, &text, NULL);

	memset(ret, 0, sizeof(*ret));
	if (r < 0)
		return r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (line[0] == '#' || !eq)
			continue;
		*eq = '\0';
		if (parse_line(ret, line, eq + 1) < 0)
			return -EBADMSG;
	}
	return 0;
}

static int file_read(int dfd, struct counter_file *ret)
{
	return file_read_at(dfd, COUNTERS_FILE, ret);
}

static int file_write(int dfd, const struct counter_file *f)
{
	char text[1024];
	size_t n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n,
	                      "# vpsctl traffic counters (from the VPS's side) since PERIOD_START\n"
	                      "PERIOD_START=%" PRIu64 "\n",
	                      f->period_start);
	for (int i = 0; i < _C_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s=%" PRIu64 "\n", keys[i],
		                      f->total[i]);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "SEEN=%s\n", f->seen);
	for (int i = 0; i < _C_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "SEEN_%s=%" PRIu64 "\n", keys[i],
		                      f->base[i]);
	return write_file_atomic_at(dfd, COUNTERS_FILE, text, n, 0644);
}

/* The VPS's directory, flocked: bank (a supervisor), read and reset (commands) never
 * interleave their read-modify-write. */
static int open_locked(const struct vps_paths *p, const char *name, int lock_op)
{
	char dir[PATH_MAX];
	int r = vps_path(p, name, NULL, dir, sizeof(dir)), fd;

	if (r < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (flock(fd, lock_op) < 0)
		if (errno != EINTR) {
			r = -errno;
			close(fd);
			return r;
		}
	return fd;
}

int vps_counters_bank(const struct vps_paths *p, const char *name, const char *host_if, bool start)
{
	_cleanup_close_ int dfd = open_locked(p, name, LOCK_EX);
	struct counter_file f;
	struct live l;
	uint64_t add[_C_MAX];
	bool fresh;
	int r;

	if (dfd < 0)
		return dfd;
	r = file_read(dfd, &f);
	fresh = r == -ENOENT;
	if (fresh)
		f.period_start = (uint64_t)time(NULL); /* the period starts with the first start */
	else if (r < 0)
		return r;
	r = live_get(host_if, &l);
	if (r == -ENODEV)
		return fresh && start ? file_write(dfd, &f) : 0;
	if (r < 0)
		return r;
	unbanked(&f, &l, add);
	for (int i = 0; i < _C_MAX; i++) {
		f.total[i] += add[i];
		f.base[i] = l.n[i];
	}
	snprintf(f.seen, sizeof(f.seen), "%s", l.id);
	return file_write(dfd, &f);
}

static void totals(const struct counter_file *f, const uint64_t add[_C_MAX],
                   struct vps_counters *ret)
{
	ret->period_start = f->period_start;
	ret->rx_bytes = f->total[C_RX_BYTES] + add[C_RX_BYTES];
	ret->tx_bytes = f->total[C_TX_BYTES] + add[C_TX_BYTES];
	ret->rx_packets = f->total[C_RX_PACKETS] + add[C_RX_PACKETS];
	ret->tx_packets = f->total[C_TX_PACKETS] + add[C_TX_PACKETS];
}

int vps_counters_read_live(int base_fd, const char *name, const char *boot_id, int ifindex,
                           const struct netsetup_link_stats *st, struct vps_counters *ret)
{
	char path[NAME_MAX + sizeof("/" COUNTERS_FILE)];
	uint64_t add[_C_MAX] = {0};
	struct counter_file f;
	struct live l;
	bool older = false;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (strchr(name, '/') ||
	    snprintf(path, sizeof(path), "%s/%s", name, COUNTERS_FILE) >= (int)sizeof(path))
		return -EINVAL;
	r = file_read_at(base_fd, path, &f);
	if (r < 0 && r != -ENOENT)
		return r;
	if (ifindex > 0) {
		live_set(boot_id, ifindex, st, &l);
		/* the same veth, banked after the dump: the file holds all the dump saw */
		for (int i = 0; i < _C_MAX; i++)
			older = older || l.n[i] < f.base[i];
		if (!(older && strcmp(f.seen, l.id) == 0))
			unbanked(&f, &l, add);
	}
	totals(&f, add, ret);
	return 0;
}

int vps_counters_read(const struct vps_paths *p, const char *name, struct vps_counters *ret)
{
	char host_if[NETSETUP_IFNAMSIZ];
	_cleanup_close_ int dfd = open_locked(p, name, LOCK_SH);
	struct counter_file f;
	struct live l;
	uint64_t add[_C_MAX] = {0};
	int r;

	memset(ret, 0, sizeof(*ret));
	if (dfd < 0)
		return dfd;
	r = file_read(dfd, &f);
	if (r < 0 && r != -ENOENT)
		return r;
	netsetup_host_ifname(name, host_if);
	if (live_get(host_if, &l) == 0)
		unbanked(&f, &l, add);
	totals(&f, add, ret);
	return 0;
}

int vps_counters_reset(const struct vps_paths *p, const char *name)
{
	char host_if[NETSETUP_IFNAMSIZ];
	_cleanup_close_ int dfd = open_locked(p, name, LOCK_EX);
	struct counter_file f = {0};
	struct live l;

	if (dfd < 0)
		return dfd;
	f.period_start = (uint64_t)time(NULL);
	netsetup_host_ifname(name, host_if);
	if (live_get(host_if, &l) == 0) {
		snprintf(f.seen, sizeof(f.seen), "%s", l.id);
		memcpy(f.base, l.n, sizeof(f.base));
	}
	return file_write(dfd, &f);
}
