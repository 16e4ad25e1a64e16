/* SPDX-License-Identifier: GPL-2.0-or-later */
/* api-console.h: tickets, the WebSocket handshake and framing (RFC 6455), and the bridge to
 * `vpsctl console`, which keeps the CLI's checks (not running, frozen, already attached). */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api-console.h"
#include "cleanup.h"

/* --- tickets --- */

#define TICKETS 64

struct ticket {
	char hex[65];
	char name[33];
	struct api_token tok;
	time_t expires; /* 0: free */
};

static struct ticket tickets[TICKETS];
static pthread_mutex_t ticket_lock = PTHREAD_MUTEX_INITIALIZER;

static time_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int api_ticket_new(const struct api_token *tok, const char *name, char out[65])
{
	unsigned char r[32];
	struct ticket *slot = NULL;
	time_t now = mono_s();
	unsigned mine = 0;

	if (gnutls_rnd(GNUTLS_RND_KEY, r, sizeof(r)) < 0)
		return -EIO;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	pthread_mutex_lock(&ticket_lock);
	/* a free or stale slot; a live ticket is never taken from anyone */
	for (size_t i = 0; i < TICKETS; i++) {
		if (tickets[i].expires <= now)
			slot = slot ? slot : &tickets[i];
		else if (strcmp(tickets[i].tok.id, tok->id) == 0)
			mine++;
	}
	if (mine < API_TICKETS_PER_TOKEN && slot) {
		snprintf(slot->hex, sizeof(slot->hex), "%s", out);
		snprintf(slot->name, sizeof(slot->name), "%s", name);
		slot->tok = *tok;
		slot->expires = now + API_TICKET_TTL_S;
	}
	pthread_mutex_unlock(&ticket_lock);
	if (mine >= API_TICKETS_PER_TOKEN)
		return -EDQUOT;
	return slot ? 0 : -EBUSY;
}

/* The "ticket.HEX" among the offered subprotocols, copied into out. */
static bool offered(struct MHD_Connection *conn, char out[65])
{
	const char *h =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Protocol");
	const char *p = h ? strstr(h, "ticket.") : NULL;
	size_t n;

	if (!p || (p != h && p[-1] != ' ' && p[-1] != ','))
		return false;
	p += 7;
	n = strspn(p, "0123456789abcdef");
	if (n != 64 || (p[n] && p[n] != ',' && p[n] != ' '))
		return out[0] = '\0', true; /* offered, but not one of ours */
	memcpy(out, p, 64);
	out[64] = '\0';
	return true;
}

bool api_ticket_offered(struct MHD_Connection *conn)
{
	char t[65];

	return offered(conn, t);
}

bool api_ticket_take(struct MHD_Connection *conn, const char *name, struct api_token *tok)
{
	char t[65];
	bool ok = false;
	time_t now = mono_s();

	if (!offered(conn, t) || !t[0])
		return false;
	pthread_mutex_lock(&ticket_lock);
	for (size_t i = 0; i < TICKETS; i++) {
		struct ticket *k = &tickets[i];
		unsigned char d = 0;

		for (size_t j = 0; j < 64; j++) /* every slot, every digit: no timing to learn */
			d |= (unsigned char)(k->hex[j] ^ t[j]);
		if (d || !k->expires)
			continue;
		/* used up whatever follows: single use */
		ok = k->expires > now && strcmp(k->name, name) == 0;
		if (ok)
			*tok = k->tok;
		k->expires = 0;
		memset(k->hex, 0, sizeof(k->hex));
	}
	pthread_mutex_unlock(&ticket_lock);
	return ok;
}

/* --- the handshake --- */

static bool header_has(struct MHD_Connection *conn, const char *name, const char *word)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
	size_t n = strlen(word);

	for (const char *p = h; p && *p; p++)
		if (strncasecmp(p, word, n) == 0 && (p == h || p[-1] == ' ' || p[-1] == ',') &&
		    (!p[n] || p[n] == ',' || p[n] == ' '))
			return true;
	return false;
}

/* base64(SHA-1(key + the RFC's GUID)) */
static int accept_key(const char *key, char *out, size_t len)
{
	char buf[128];
	unsigned char d[20];
	gnutls_datum_t in = {d, sizeof(d)}, b64 = {NULL, 0};
	int n = snprintf(buf, sizeof(buf), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);

	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, (size_t)n, d) < 0 ||
	    gnutls_base64_encode2(&in, &b64) < 0)
		return -EINVAL;
	snprintf(out, len, "%.*s", (int)b64.size, (const char *)b64.data);
	gnutls_free(b64.data);
	return 0;
}

/* --- the bridge --- */

#define FRAME_MAX   (64 * 1024) /* the most a client's frame may carry */
#define PING_IDLE_S 5           /* seconds of quiet before the bridge pings */

enum { OP_CONT = 0, OP_TEXT = 1, OP_BIN = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

struct bridge {
	struct api_ctx *ctx;
	struct api_token tok; /* who opened it: seen again each second */
	struct api_token_watch watch;
	char name[33];
	char *extra;
	size_t extra_len;
	int sock;
	struct MHD_UpgradeResponseHandle *urh;
	int in_w, out_r; /* the console's stdin and its stdout+stderr */
	pid_t pid;
	unsigned char buf[FRAME_MAX + 16];
	size_t len;
	bool in_message;     /* a fragmented message is under way */
	unsigned close_code; /* the client's close, to be answered; 0: none */
};

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n) {
		ssize_t w = fd == -1 ? -1 : send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One unmasked, unfragmented server frame. */
static int send_frame(int sock, int op, const void *p, size_t n)
{
	unsigned char h[10];
	size_t hl = 2;

	h[0] = (unsigned char)(0x80 | op);
	if (n < 126) {
		h[1] = (unsigned char)n;
	} else if (n <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (write_all(sock, h, hl) < 0)
		return -EIO;
	return write_all(sock, p, n);
}

static void send_close(int sock, unsigned code, const char *reason)
{
	unsigned char b[125];
	size_t n = strlen(reason); /* our own short reasons */

	if (n > sizeof(b) - 2)
		n = sizeof(b) - 2;
	b[0] = (unsigned char)(code >> 8);
	b[1] = (unsigned char)code;
	memcpy(b + 2, reason, n);
	(void)send_frame(sock, OP_CLOSE, b, n + 2);
}

/* One frame out of the buffer: 0 when incomplete, the bytes used, or -code to close with. */
static long parse_frame(struct bridge *b)
{
	unsigned char *p = b->buf;
	size_t need = 2, hl;
	uint64_t n;
	int op;

	if (b->len < need)
		return 0;
	op = p[0] & 0x0f;
	if (p[0] & 0x70)
		return -1002; /* no extension was agreed */
	if (!(p[1] & 0x80))
		return -1002; /* a client's frames are masked */
	n = p[1] & 0x7f;
	hl = 2 + (n == 126 ? 2 : n == 127 ? 8 : 0) + 4;
	if (b->len < hl)
		return 0;
	if (n == 126)
		n = (uint64_t)p[2] << 8 | p[3];
	else if (n == 127)
		for (int i = (int)(n = 0); i < 8; i++)
			n = n << 8 | p[2 + i];
	if (n > FRAME_MAX)
		return -1009;
	if (op >= 8 && (n > 125 || !(p[0] & 0x80)))
		return -1002; /* control frames are short and whole */
	if (b->len < hl + n)
		return 0;
	unsigned char *mask = p + hl - 4, *d = p + hl;

	for (uint64_t i = 0; i < n; i++)
		d[i] ^= mask[i % 4];
	switch (op) {
	case OP_CONT:
		if (!b->in_message)
			return -1002;
		b->in_message = !(p[0] & 0x80);
		break;
	case OP_TEXT:
	case OP_BIN:
		if (b->in_message)
			return -1002;
		b->in_message = !(p[0] & 0x80);
		break;
	case OP_PING:
		if (send_frame(b->sock, OP_PONG, d, n) < 0)
			return -1011;
		return (long)(hl + n);
	case OP_PONG:
		return (long)(hl + n);
	case OP_CLOSE:
		/* answered once the console is let go (bridge_run): a client that saw the
		 * answer may attach again at once */
		b->close_code = n >= 2 ? (unsigned)d[0] << 8 | d[1] : 1000;
		return -1;
	default:
		return -1002;
	}
	if (n && write_all(b->in_w, d, n) < 0)
		return -1011;
	return (long)(hl + n);
}

/* What the client sent: its frames to the console; false: the bridge ends. */
static bool from_client(struct bridge *b)
{
	ssize_t r = read(b->sock, b->buf + b->len, sizeof(b->buf) - b->len);
	long used;

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (r <= 0)
		return false;
	b->len += (size_t)r;
	while ((used = parse_frame(b)) > 0) {
		memmove(b->buf, b->buf + used, b->len - (size_t)used);
		b->len -= (size_t)used;
	}
	if (used < -1) {
		send_close(b->sock, (unsigned)-used,
		           used == -1009 ? "frame too large" : "protocol error");
		return false;
	}
	return used == 0;
}

static int spawn_console(struct bridge *b)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL};
	const char *argv[] = {b->ctx->vpsctl, "--root", b->ctx->root, "console", b->name, NULL};
	int pi[2], po[2], r;
	posix_spawn_file_actions_t fa;

	if (!b->ctx->root || !*b->ctx->root) {
		argv[1] = "console";
		argv[2] = b->name;
		argv[3] = NULL;
	}
	if (pipe2(pi, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(po, O_CLOEXEC) < 0) {
		r = -errno;
		close(pi[0]);
		close(pi[1]);
		return r;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pi[0], 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, po[1], 2);
	/* only the three: libmicrohttpd makes an HTTPS WebSocket's socketpair without
	 * O_CLOEXEC, and a console holding its end kept the bridge from seeing the browser go */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	r = posix_spawn(&b->pid, b->ctx->vpsctl, &fa, NULL, (char *const *)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(pi[0]);
	close(po[1]);
	if (r != 0) {
		close(pi[1]);
		close(po[0]);
		return -r;
	}
	b->in_w = pi[1];
	b->out_r = po[0];
	return 0;
}

/* Ends the console: its stdin closed (the relay ends), killed if it lingers. */
static void reap(struct bridge *b)
{
	int st;

	if (b->in_w >= 0)
		close(b->in_w);
	b->in_w = -1;
	for (int i = 0; i < 20; i++) {
		if (waitpid(b->pid, &st, WNOHANG) == b->pid)
			return;
		usleep(50 * 1000);
	}
	kill(b->pid, SIGKILL);
	while (waitpid(b->pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* A console lives no longer than its token, nor its token's hold on the VPS: false after
 * closing with 1008 and the reason. */
static bool bridge_allowed(struct bridge *b)
{
	enum api_auth a = api_token_recheck(b->ctx->token_file, &b->tok, &b->watch);

	if (a != API_AUTH_OK) {
		send_close(b->sock, 1008, api_auth_reason(a));
		return false;
	}
	if (!api_token_has_vps(&b->tok, b->name)) {
		send_close(b->sock, 1008, "the VPS is no longer the token's");
		return false;
	}
	return true;
}

static void *bridge_run(void *arg)
{
	struct bridge *b = arg;
	unsigned char out[16384];
	unsigned idle_s = 0;
	bool done = false;
	int fl = fcntl(b->sock, F_GETFL);

	if (fl >= 0)
		(void)fcntl(b->sock, F_SETFL, fl & ~O_NONBLOCK);
	if (spawn_console(b) < 0) {
		send_close(b->sock, 1011, "cannot run vpsctl console");
		goto end;
	}
	/* what came with the handshake is the first of the client's bytes */
	if (b->extra_len) {
		memcpy(b->buf, b->extra, b->extra_len);
		b->len = b->extra_len;
		long used;

		while ((used = parse_frame(b)) > 0) {
			memmove(b->buf, b->buf + used, b->len - (size_t)used);
			b->len -= (size_t)used;
		}
		done = used < 0;
	}
	while (!done && !b->ctx->stopping) {
		struct pollfd p[2] = {{.fd = b->sock, .events = POLLIN},
		                      {.fd = b->out_r, .events = POLLIN}};
		int n = poll(p, 2, 1000);

		if ((n < 0 && errno != EINTR) || !bridge_allowed(b))
			break;
		/* a ping when idle: over HTTPS a browser that left without a close is seen
		 * only when libmicrohttpd fails to send it something */
		if (n == 0 && ++idle_s >= PING_IDLE_S) {
			idle_s = 0;
			if (send_frame(b->sock, OP_PING, "", 0) < 0)
				break;
		}
		if (n <= 0)
			continue;
		idle_s = 0;
		if (p[1].revents) {
			ssize_t r = read(b->out_r, out, sizeof(out));

			if (r > 0 && send_frame(b->sock, OP_BIN, out, (size_t)r) < 0)
				break;
			if (r == 0 || (r < 0 && errno != EINTR)) {
				send_close(b->sock, 1000, "the console closed");
				break;
			}
		}
		if (p[0].revents && !from_client(b))
			break;
	}
	reap(b);
	close(b->out_r);
	if (b->close_code)
		send_close(b->sock, b->close_code, "");
end:
	MHD_upgrade_action(b->urh, MHD_UPGRADE_ACTION_CLOSE);
	free(b->extra);
	free(b);
	return NULL;
}

static void upgraded(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra_in,
                     size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct bridge *b = cls;
	pthread_t t;

	(void)conn;
	(void)req_cls;
	b->sock = sock;
	b->urh = urh;
	b->in_w = b->out_r = -1;
	if (extra_in_size && extra_in_size <= FRAME_MAX) {
		b->extra = malloc(extra_in_size);
		if (b->extra) {
			memcpy(b->extra, extra_in, extra_in_size);
			b->extra_len = extra_in_size;
		}
	}
	/* the bridge is a thread of its own: this handler must return for MHD to go on */
	if (pthread_create(&t, NULL, bridge_run, b) != 0) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		free(b->extra);
		free(b);
		return;
	}
	pthread_detach(t);
}

struct MHD_Response *api_console_response(struct api_ctx *ctx, struct MHD_Connection *conn,
                                          const struct api_token *tok, const char *name, char *msg,
                                          size_t len)
{
	const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
	const char *ver =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Version");
	char acc[64];
	struct bridge *b;
	struct MHD_Response *r;

	if (!header_has(conn, "Upgrade", "websocket") ||
	    !header_has(conn, "Connection", "upgrade") || !key || strlen(key) != 24)
		return snprintf(msg, len, "the console is a WebSocket: send a WebSocket handshake"),
		       NULL;
	if (!ver || strcmp(ver, "13") != 0)
		return snprintf(msg, len, "WebSocket version 13 only"), NULL;
	if (accept_key(key, acc, sizeof(acc)) < 0)
		return snprintf(msg, len, "bad Sec-WebSocket-Key"), NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return snprintf(msg, len, "out of memory"), NULL;
	b->ctx = ctx;
	b->tok = *tok;
	snprintf(b->name, sizeof(b->name), "%s", name);
	r = MHD_create_response_for_upgrade(upgraded, b);
	if (!r) {
		free(b);
		return snprintf(msg, len, "cannot upgrade"), NULL;
	}
	MHD_add_response_header(r, "Upgrade", "websocket");
	MHD_add_response_header(r, "Sec-WebSocket-Accept", acc);
	if (header_has(conn, "Sec-WebSocket-Protocol", "vpsctl-console"))
		MHD_add_response_header(r, "Sec-WebSocket-Protocol", "vpsctl-console");
	return r;
}
