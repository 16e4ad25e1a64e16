/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tokens (api-token.h): one line per token, "ID SHA256 ROLE EXPIRES VPS,VPS MAXMEM MAXCPUS". */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api-token.h"
#include "cleanup.h"
#include "fileio.h"
#include "parse.h"

#define TOKEN_BYTES    32
#define TOKEN_FILE_MAX (1 << 20)

int api_token_file(const char *root, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/etc/vpsctl/api-tokens", root);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int sha256_hex(const char *s, char out[65])
{
	unsigned char d[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, s, strlen(s), d) < 0)
		return -EIO;
	hex(d, sizeof(d), out);
	return 0;
}

/* Every byte compared whatever the earlier ones were: the time says nothing of the match. */
static bool equal_ct(const char *a, const char *b, size_t n)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static const char *role_name(enum api_role r)
{
	return r == API_ROLE_OPERATOR ? "operator" : "customer";
}

/* One line into t and its hash; -EINVAL for a line that is not ours. */
static int parse_line(const char *line, struct api_token *t, char hash[65])
{
	char role[16], vps[API_TOKEN_VPS_MAX * 34], tpl[512] = "-";
	long long expires;
	char *save = NULL, *tok;
	int n;

	memset(t, 0, sizeof(*t));
	/* the 8th field (templates) came later: a line of 7 has none */
	n = sscanf(line, "%16s %64s %15s %lld %2175s %" SCNu64 " %" SCNu64 " %511s", t->id, hash,
	           role, &expires, vps, &t->max_memory, &t->max_cpus_milli, tpl);
	if ((n != 7 && n != 8) || strlen(hash) != 64)
		return -EINVAL;
	if (strcmp(tpl, "-") != 0)
		snprintf(t->templates, sizeof(t->templates), "%s", tpl);
	if (strcmp(role, "operator") == 0)
		t->role = API_ROLE_OPERATOR;
	else if (strcmp(role, "customer") == 0)
		t->role = API_ROLE_CUSTOMER;
	else
		return -EINVAL;
	t->expires = (time_t)expires;
	if (strcmp(vps, "-") == 0)
		return 0;
	for (tok = strtok_r(vps, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (t->n_vps >= API_TOKEN_VPS_MAX || !name_is_valid(tok))
			return -EINVAL;
		snprintf(t->vps[t->n_vps++], sizeof(t->vps[0]), "%s", tok);
	}
	return 0;
}

static int read_tokens(const char *file, char **ret)
{
	size_t len;

	return read_file_at(AT_FDCWD, file, TOKEN_FILE_MAX, ret, &len);
}

enum api_auth api_token_check(const char *file, const char *presented, struct api_token *ret)
{
	_cleanup_free_ char *text = NULL;
	char want[65], hash[65];
	struct api_token t;
	bool found = false;
	char *save = NULL;

	if (!presented || !*presented)
		return API_AUTH_NONE;
	if (strlen(presented) > 256 || sha256_hex(presented, want) < 0)
		return API_AUTH_WRONG;
	if (read_tokens(file, &text) < 0)
		return API_AUTH_WRONG; /* no file: no token is valid */
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (parse_line(l, &t, hash) < 0)
			continue;
		if (equal_ct(hash, want, 64) && !found) {
			*ret = t;
			found = true;
		}
	}
	if (!found)
		return API_AUTH_WRONG;
	if (ret->expires && ret->expires <= time(NULL))
		return API_AUTH_EXPIRED;
	return API_AUTH_OK;
}

/* The line of token id, as it is now; -ENOENT once it was removed. */
static int find_id(const char *file, const char *id, struct api_token *ret)
{
	_cleanup_free_ char *text = NULL;
	char hash[65], *save = NULL;
	struct api_token t;
	int r = read_tokens(file, &text);

	if (r < 0)
		return r;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (parse_line(l, &t, hash) == 0 && strcmp(t.id, id) == 0) {
			*ret = t;
			return 0;
		}
	return -ENOENT;
}

enum api_auth api_token_recheck(const char *file, struct api_token *tok, struct api_token_watch *w)
{
	struct api_token t;
	struct stat st;

	if (tok->expires && tok->expires <= time(NULL))
		return API_AUTH_EXPIRED;
	if (stat(file, &st) < 0)
		return API_AUTH_WRONG; /* no file: no token is valid */
	if (w->seen && st.st_dev == w->dev && st.st_ino == w->ino && st.st_size == w->size &&
	    st.st_mtim.tv_sec == w->mtime.tv_sec && st.st_mtim.tv_nsec == w->mtime.tv_nsec)
		return API_AUTH_OK;
	/* stat first: a change after it is seen at the next look */
	if (find_id(file, tok->id, &t) < 0)
		return API_AUTH_WRONG;
	*w = (struct api_token_watch){.seen = true,
	                              .dev = st.st_dev,
	                              .ino = st.st_ino,
	                              .size = st.st_size,
	                              .mtime = st.st_mtim};
	*tok = t; /* its VPSes as they are now: one taken from it is no longer its */
	return tok->expires && tok->expires <= time(NULL) ? API_AUTH_EXPIRED : API_AUTH_OK;
}

const char *api_auth_reason(enum api_auth a)
{
	switch (a) {
	case API_AUTH_OK:
		return "";
	case API_AUTH_EXPIRED:
		return "token expired";
	default:
		return "token removed";
	}
}

/* The token file's lock (FILE.lock, 0600), held exclusively across a read-modify-write:
 * two `token remove` (or an add and a remove) at once each read the file, and the last rename
 * put back what the other took out. Readers need none: the file is only ever renamed over. */
static int lock_tokens(const char *file, struct vps_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	char path[4096];

	if (snprintf(path, sizeof(path), "%s.lock", file) >= (int)sizeof(path))
		return vps_error_set(err, -ENAMETOOLONG, "%s: name too long", file);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vps_error_errno(err, -errno, "%s", path);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return vps_error_errno(err, -errno, "lock %s", path);
	return TAKE_FD(fd);
}

/* The file's text (ENOENT: none yet) with line appended, atomically, under the lock. */
static int append_line(const char *file, const char *line, struct vps_error *err)
{
	_cleanup_close_ int lock = lock_tokens(file, err);
	_cleanup_free_ char *text = NULL, *out = NULL;
	size_t len;
	int r;

	if (lock < 0)
		return lock;
	r = read_tokens(file, &text);
	if (r < 0 && r != -ENOENT)
		return vps_error_errno(err, r, "%s", file);
	len = text ? strlen(text) : 0;
	/* a file without its last newline (edited by hand) keeps its last line whole */
	if (asprintf(&out, "%s%s%s", text ? text : "", len && text[len - 1] != '\n' ? "\n" : "",
	             line) < 0)
		return vps_error_errno(err, -ENOMEM, "token");
	/* 0600 from its creation: the hashes are not secrets, but who has which VPS is */
	r = write_file_atomic_at(AT_FDCWD, file, out, strlen(out), 0600);
	return r < 0 ? vps_error_errno(err, r, "%s", file) : 0;
}

int api_token_add(const char *file, const struct api_token *t, struct vps_error *err)
{
	unsigned char raw[TOKEN_BYTES];
	char token[2 * TOKEN_BYTES + 1], hash[65], vps[API_TOKEN_VPS_MAX * 34] = "-";
	_cleanup_free_ char *line = NULL;
	size_t off = 0;
	int r;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return vps_error_errno(err, -errno, "getrandom");
	hex(raw, sizeof(raw), token);
	if (sha256_hex(token, hash) < 0)
		return vps_error_set(err, -EIO, "cannot hash the token");
	for (unsigned i = 0; i < t->n_vps; i++)
		off += (size_t)snprintf(vps + off, sizeof(vps) - off, "%s%s", i ? "," : "",
		                        t->vps[i]);
	if (asprintf(&line, "%.16s %s %s %lld %s %" PRIu64 " %" PRIu64 " %s\n", hash, hash,
	             role_name(t->role), (long long)t->expires, vps, t->max_memory,
	             t->max_cpus_milli, t->templates[0] ? t->templates : "-") < 0)
		return vps_error_errno(err, -ENOMEM, "token");
	r = append_line(file, line, err);
	if (r < 0)
		return r;
	printf("%s\n", token);
	fprintf(stderr, "token %.16s added; it is shown only this once\n", hash);
	return 0;
}

int api_token_list(const char *file, struct vps_error *err)
{
	_cleanup_free_ char *text = NULL;
	struct api_token t;
	char hash[65], *save = NULL;
	int r = read_tokens(file, &text);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return vps_error_errno(err, r, "%s", file);
	printf("ID\tROLE\tEXPIRES\tVPS\tMAX_MEMORY\tMAX_CPUS_MILLI\tTEMPLATES\n");
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (parse_line(l, &t, hash) < 0)
			continue;
		printf("%s\t%s\t%lld\t", t.id, role_name(t.role), (long long)t.expires);
		for (unsigned i = 0; i < t.n_vps; i++)
			printf("%s%s", i ? "," : "", t.vps[i]);
		printf("%s\t%" PRIu64 "\t%" PRIu64 "\t%s\n", t.n_vps ? "" : "-", t.max_memory,
		       t.max_cpus_milli, t.templates[0] ? t.templates : "-");
	}
	return 0;
}

int api_token_remove(const char *file, const char *id, struct vps_error *err)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	_cleanup_close_ int lock = -EBADF;
	char *save = NULL;
	size_t len = 0;
	bool gone = false;
	int r;

	lock = lock_tokens(file, err);
	if (lock < 0)
		return lock;
	r = read_tokens(file, &text);
	if (r < 0)
		return vps_error_errno(err, r, "%s", file);
	/* each line comes back with its newline: one more byte than a file without its last */
	out = calloc(1, strlen(text) + 2);
	if (!out)
		return vps_error_errno(err, -ENOMEM, "token");
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strlen(id) == 16 && strncmp(l, id, 16) == 0 && l[16] == ' ') {
			gone = true;
			continue;
		}
		len += (size_t)sprintf(out + len, "%s\n", l);
	}
	if (!gone)
		return vps_error_set(err, -ENOENT, "no token '%.32s'", id);
	r = write_file_atomic_at(AT_FDCWD, file, out, len, 0600);
	return r < 0 ? vps_error_errno(err, r, "%s", file) : 0;
}

bool api_template_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 64 && name[0] != '.' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	               n;
}

bool api_token_has_template(const struct api_token *t, const char *name)
{
	size_t n = strlen(name);

	if (t->role == API_ROLE_OPERATOR)
		return true;
	for (const char *p = t->templates; *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

bool api_token_has_vps(const struct api_token *t, const char *name)
{
	if (t->role == API_ROLE_OPERATOR)
		return true;
	for (unsigned i = 0; i < t->n_vps; i++)
		if (strcmp(t->vps[i], name) == 0)
			return true;
	return false;
}

int api_parse_date(const char *s, time_t *ret)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (!end || *end)
			return -EINVAL;
	}
	*ret = timegm(&tm);
	return *ret == (time_t)-1 ? -EINVAL : 0;
}

/* Failed logins: a small table of peers, each with its failures in the current minute. */
#define RL_PEERS  1024
#define RL_WINDOW 60

static struct {
	char peer[64];
	time_t start;
	unsigned fails;
} rl[RL_PEERS];
static unsigned rl_limit = 10;
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;

void api_ratelimit_set(unsigned per_minute)
{
	rl_limit = per_minute;
}

/* The peer's slot; a new peer takes the slot whose minute is oldest. */
static int rl_slot(const char *peer, bool create)
{
	int oldest = 0;

	for (int i = 0; i < RL_PEERS; i++) {
		if (strcmp(rl[i].peer, peer) == 0)
			return i;
		if (rl[i].start < rl[oldest].start)
			oldest = i;
	}
	if (!create)
		return -1;
	memset(&rl[oldest], 0, sizeof(rl[oldest]));
	snprintf(rl[oldest].peer, sizeof(rl[oldest].peer), "%s", peer);
	return oldest;
}

bool api_ratelimit_blocked(const char *peer)
{
	bool blocked;
	int i;

	pthread_mutex_lock(&rl_lock);
	i = rl_slot(peer, false);
	blocked = i >= 0 && time(NULL) - rl[i].start < RL_WINDOW && rl[i].fails >= rl_limit;
	pthread_mutex_unlock(&rl_lock);
	return blocked;
}

void api_ratelimit_fail(const char *peer)
{
	time_t now = time(NULL);
	int i;

	pthread_mutex_lock(&rl_lock);
	i = rl_slot(peer, true);
	if (now - rl[i].start >= RL_WINDOW) {
		rl[i].start = now;
		rl[i].fails = 0;
	}
	rl[i].fails++;
	pthread_mutex_unlock(&rl_lock);
}
