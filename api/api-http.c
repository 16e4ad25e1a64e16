/* SPDX-License-Identifier: GPL-2.0-or-later */
/* api-http.h: a request is authenticated, matched to a route, its VPS name checked and
 * authorized before its body is read; then the body is parsed strictly and the action run. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <linux/openat2.h>

#include "api-console.h"
#include "api-events.h"
#include "api-history.h"
#include "api-http.h"
#include "api-listcache.h"
#include "api-ops.h"
#include "api-peer.h"
#include "api-run.h"
#include "api-token.h"
#include "ops-quota.h"
#include "cleanup.h"
#include "fileio.h"
#include "parse.h"
#include "vpsctl-build.h"

#define BODY_MAX (64 * 1024)

enum route_id {
	R_LIST,
	R_CREATE,
	R_STATUS,
	R_DESTROY,
	R_START,
	R_STOP,
	R_REBOOT,
	R_SUSPEND,
	R_RESUME,
	R_RESIZE,
	R_STATS,
	R_EVENTS,
	R_CONSOLE,
	R_TICKET,
	R_REINSTALL,
	R_PASSWORD,
	R_HISTORY,
	R_NODE,
};

struct route {
	enum route_id id;
	const char *method;
	const char *path;   /* "{name}" stands for a VPS name */
	const char *suffix; /* what follows the name; NULL: no name */
	bool customer;      /* a customer may call it (on its own VPSes) */
};

static const struct route routes[] = {
	{R_LIST, "GET", "/v1/vps", NULL, true},
	{R_CREATE, "POST", "/v1/vps", NULL, false},
	{R_START, "POST", "/v1/vps/{name}/start", "/start", true},
	{R_STOP, "POST", "/v1/vps/{name}/stop", "/stop", true},
	{R_REBOOT, "POST", "/v1/vps/{name}/reboot", "/reboot", true},
	{R_SUSPEND, "POST", "/v1/vps/{name}/suspend", "/suspend", false},
	{R_RESUME, "POST", "/v1/vps/{name}/resume", "/resume", false},
	{R_RESIZE, "POST", "/v1/vps/{name}/resize", "/resize", true},
	{R_STATS, "GET", "/v1/vps/{name}/stats", "/stats", true},
	{R_HISTORY, "GET", "/v1/vps/{name}/history", "/history", true},
	{R_REINSTALL, "POST", "/v1/vps/{name}/reinstall", "/reinstall", true},
	{R_PASSWORD, "POST", "/v1/vps/{name}/password", "/password", true},
	{R_CONSOLE, "GET", "/v1/vps/{name}/console", "/console", true},
	{R_TICKET, "POST", "/v1/vps/{name}/console-ticket", "/console-ticket", true},
	{R_STATUS, "GET", "/v1/vps/{name}", "", true},
	{R_DESTROY, "DELETE", "/v1/vps/{name}", "", false},
	{R_EVENTS, "GET", "/v1/events", NULL, true},
	{R_NODE, "GET", "/v1/node", NULL, false},
};

void api_routes_print(FILE *f)
{
	for (size_t i = 0; i < ELEMENTSOF(routes); i++)
		fprintf(f, "%s %s\n", routes[i].method, routes[i].path);
}

struct req {
	const struct route *route;
	unsigned refusal; /* non-zero: the status to answer, after the body was drained */
	char refusal_msg[512];
	char name[300];
	struct api_token tok;
	char *body;
	size_t len;
	bool too_big;
	bool answered; /* a reply was queued before the body came */
};

/* --- replies --- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *json)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	/* a tenant's data: kept by no cache, never read as anything but JSON */
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, json_t *j)
{
	_cleanup_free_ char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s ? reply(conn, status, s) : MHD_NO;
}

/* A refusal decided before the body was read: answered once the client sent it all, so
 * that a client still writing its body reads the answer rather than a reset. */
_printf_(3, 4) static enum MHD_Result refuse(struct req *q, unsigned status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->refusal_msg, sizeof(q->refusal_msg), fmt, ap);
	va_end(ap);
	q->refusal = status;
	return MHD_YES;
}

_printf_(3, 4) static enum MHD_Result
	fail(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply_json(conn, status, json_pack("{s:s}", "error", msg));
}

/* --- who is asking --- */

static void peer_key(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	/* a host has a /64 to pick addresses from: the whole /64 is one peer (api-peer.h) */
	if (ci && api_peer_addr_key(ci->client_addr, buf, len))
		return;
	/* the unix socket: the peer's uid */
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred = {0};
	socklen_t cl = sizeof(cred);

	if (ci && getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
		snprintf(buf, len, "uid:%u", (unsigned)cred.uid);
	else
		snprintf(buf, len, "unknown");
}

/* true: the peer had too many failed logins, and q holds the refusal; peer gets its key */
static bool peer_blocked(struct MHD_Connection *conn, struct req *q, char *peer, size_t len)
{
	peer_key(conn, peer, len);
	if (!api_ratelimit_blocked(peer))
		return false;
	refuse(q, 429, "too many failed logins from this peer; try again in a minute");
	return true;
}

/* true: q->tok is the caller's; false: q holds the refusal */
static bool authenticate(struct api_ctx *ctx, struct MHD_Connection *conn, struct req *q)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *presented = h && strncmp(h, "Bearer ", 7) == 0 ? h + 7 : NULL;
	char peer[80];

	if (peer_blocked(conn, q, peer, sizeof(peer)))
		return false;
	switch (api_token_check(ctx->token_file, presented, &q->tok)) {
	case API_AUTH_OK:
		return true;
	case API_AUTH_NONE:
		refuse(q, MHD_HTTP_UNAUTHORIZED,
		       "missing token: send 'Authorization: Bearer TOKEN'");
		return false;
	case API_AUTH_EXPIRED:
		api_ratelimit_fail(peer);
		refuse(q, MHD_HTTP_UNAUTHORIZED, "token expired");
		return false;
	default:
		api_ratelimit_fail(peer);
		refuse(q, MHD_HTTP_UNAUTHORIZED, "invalid token");
		return false;
	}
}

/* The console's ticket (api-console.h) for the VPS in the URL: true: q->tok is its
 * token's. */
static bool console_ticket(struct api_ctx *ctx, struct MHD_Connection *conn, struct req *q)
{
	char peer[80];

	if (peer_blocked(conn, q, peer, sizeof(peer)))
		return false;
	if (name_is_valid(q->name) && api_ticket_take(conn, q->name, &q->tok)) {
		struct api_token_watch w = {0};
		enum api_auth a = api_token_recheck(ctx->token_file, &q->tok, &w);

		/* a ticket is no more than its token: removed or expired since, it is refused */
		if (a == API_AUTH_OK && api_token_has_vps(&q->tok, q->name))
			return true;
		refuse(q, MHD_HTTP_UNAUTHORIZED, "%s",
		       a == API_AUTH_OK ? "the VPS is no longer the token's" : api_auth_reason(a));
		return false;
	}
	api_ratelimit_fail(peer);
	refuse(q, MHD_HTTP_UNAUTHORIZED, "invalid, used or expired console ticket");
	return false;
}

/* --- routes --- */

/* The route for url, any method; *name gets the VPS name (not yet checked). */
static const struct route *match(const char *url, const char *method, char *name, size_t len,
                                 bool *other_method)
{
	const struct route *found = NULL;
	const char *rest;

	*other_method = false;
	for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
		const struct route *r = &routes[i];
		size_t rl, sl;

		if (!r->suffix) {
			if (strcmp(url, r->path) != 0)
				continue;
		} else {
			if (strncmp(url, "/v1/vps/", 8) != 0)
				continue;
			rest = url + 8;
			rl = strlen(rest);
			sl = strlen(r->suffix);
			if (rl <= sl || strcmp(rest + rl - sl, r->suffix) != 0)
				continue;
			/* a bare name: the first route whose suffix fits wins, so "" comes last */
			if (found && found->suffix && strcmp(found->suffix, r->suffix) != 0)
				continue;
			snprintf(name, len, "%.*s", (int)(rl - sl), rest);
		}
		if (strcmp(method, r->method) == 0)
			return r;
		*other_method = true;
		found = r;
	}
	return NULL;
}

/* the CLI's words (cli_check_name) */
#define NAME_REASON                                                                                \
	"invalid VPS name '%.64s%s': use 1-32 of a-z, 0-9 and '-', starting with a letter or "     \
	"digit"

/* --- bodies: every key known, every value of its type --- */

enum ftype { F_STR, F_SIZE, F_CPUS, F_COUNT, F_BOOL, F_SECONDS, F_SECRET };

struct field {
	const char *key;
	enum ftype type;
	const char *flag;
	bool required;
};

static const struct field f_none[] = {{NULL}};
static const struct field f_stop[] = {
	{"timeout", F_SECONDS, "--timeout", false}, {"force", F_BOOL, "--force", false}, {NULL}};
static const struct field f_reinstall[] = {
	{"template", F_STR, "--template", false}, {"force", F_BOOL, "--force", false}, {NULL}};
static const struct field f_password[] = {{"password", F_SECRET, NULL, true}, {NULL}};
static const struct field f_destroy[] = {{"force", F_BOOL, "--force", false}, {NULL}};
static const struct field f_resize[] = {
	{"memory", F_SIZE, "--memory", false}, {"swap", F_SIZE, "--swap", false},
	{"cpus", F_CPUS, "--cpus", false},     {"pids", F_COUNT, "--pids", false},
	{"force", F_BOOL, "--force", false},   {NULL}};
static const struct field f_create[] = {{"name", F_STR, NULL, true},
                                        {"template", F_STR, "--template", true},
                                        {"hostname", F_STR, "--hostname", false},
                                        {"ip", F_STR, "--ip", false},
                                        {"memory", F_SIZE, "--memory", false},
                                        {"swap", F_SIZE, "--swap", false},
                                        {"cpus", F_CPUS, "--cpus", false},
                                        {"pids", F_COUNT, "--pids", false},
                                        {NULL}};

static const struct field *route_fields(enum route_id id)
{
	switch (id) {
	case R_STOP:
	case R_REBOOT:
		return f_stop;
	case R_DESTROY:
		return f_destroy;
	case R_RESIZE:
		return f_resize;
	case R_CREATE:
		return f_create;
	case R_REINSTALL:
		return f_reinstall;
	case R_PASSWORD:
		return f_password;
	default:
		return f_none;
	}
}

#define ARGV_MAX 40

struct args {
	const char *v[ARGV_MAX];
	char store[ARGV_MAX][300];
	size_t n;
	uint64_t memory, cpus_milli; /* what a resize asks for, when has_* says it does */
	bool has_memory, has_cpus, other_quota;
	struct api_op_args op; /* timeout and force, for the library calls */
	char name[300];
	char template[300]; /* a reinstall's template; "": its own */
	char secret[300];   /* a password: stdin of vpsctl, never in argv */
};

static void arg(struct args *a, const char *s)
{
	if (a->n + 1 < ARGV_MAX) {
		snprintf(a->store[a->n], sizeof(a->store[0]), "%s", s);
		a->v[a->n] = a->store[a->n];
		a->n++;
		a->v[a->n] = NULL;
	}
}

/* A password: 8-255 bytes, no control characters (its first line is what vpsctl takes). */
static int secret_value(const struct field *f, json_t *v, struct args *a, char *msg, size_t len)
{
	const char *s = json_string_value(v);

	if (!json_is_string(v) || json_string_length(v) < 8 || json_string_length(v) > 255)
		return snprintf(msg, len, "'%s' must be a string of 8-255 characters", f->key),
		       -EINVAL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return snprintf(msg, len, "'%s' must not hold control characters", f->key),
			       -EINVAL;
	if (strlen(s) != json_string_length(v))
		return snprintf(msg, len, "'%s' must not hold NUL", f->key), -EINVAL;
	snprintf(a->secret, sizeof(a->secret), "%s\n", s);
	return 0;
}

/* A quota field (flag: its CLI option) as one of ops_resize's changes. */
static void resize_add(struct api_op_args *op, const char *flag, const char *text)
{
	for (size_t i = 0; i < quota_flags_n && op->n_resize < API_RESIZE_MAX; i++) {
		if (strcmp(flag + 2, quota_flags[i].flag) != 0)
			continue;
		snprintf(op->resize_text[op->n_resize], sizeof(op->resize_text[0]), "%s", text);
		op->resize[op->n_resize] =
			(struct ops_resize_set){(int)i, op->resize_text[op->n_resize]};
		op->n_resize++;
	}
}

/* One value: its type checked and turned into the CLI's text; msg says why not. */
static int field_value(const struct field *f, json_t *v, struct args *a, char *msg, size_t len)
{
	char text[300];
	uint64_t u;

	switch (f->type) {
	case F_SECRET:
		return secret_value(f, v, a, msg, len);
	case F_BOOL:
		if (!json_is_boolean(v))
			return snprintf(msg, len, "'%s' must be true or false", f->key), -EINVAL;
		if (json_is_true(v))
			arg(a, f->flag);
		a->op.force = json_is_true(v);
		return 0;
	case F_SECONDS:
		/* a stop's wait stays well inside the action's time (--action-timeout), so that
		 * vpsctl is never killed in the middle of a stop for waiting as asked */
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 60)
			return snprintf(msg, len, "'%s' must be an integer of 0-60", f->key),
			       -EINVAL;
		snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
		a->op.timeout = (int)json_integer_value(v);
		break;
	case F_STR:
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 255)
			return snprintf(msg, len, "'%s' must be a string of 1-255 characters",
			                f->key),
			       -EINVAL;
		snprintf(text, sizeof(text), "%s", json_string_value(v));
		break;
	default:
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
		else if (f->type == F_CPUS && json_is_real(v) && json_real_value(v) > 0 &&
		         json_real_value(v) < 1e6)
			snprintf(text, sizeof(text), "%.3f", json_real_value(v));
		else if (json_is_string(v) && json_string_length(v) <= 64)
			snprintf(text, sizeof(text), "%s", json_string_value(v));
		else
			return snprintf(msg, len, "'%s' must be %s", f->key,
			                f->type == F_CPUS ? "a number or a string like \"1.5\""
			                                  : "an integer or a string like \"512M\""),
			       -EINVAL;
		if ((f->type == F_SIZE && parse_size(text, &u) < 0) ||
		    (f->type == F_CPUS && parse_cpus(text, &u) < 0) ||
		    (f->type == F_COUNT && parse_count(text, &u) < 0))
			return snprintf(msg, len, "invalid %s '%.64s'", f->key, text), -EINVAL;
		resize_add(&a->op, f->flag, text);
		/* a value of 0 is asked for too: the plan decides, not the CLI's own minimum */
		if (strcmp(f->key, "memory") == 0)
			a->memory = u, a->has_memory = true;
		else if (strcmp(f->key, "cpus") == 0)
			a->cpus_milli = u, a->has_cpus = true;
		else
			a->other_quota = true;
	}
	if (!f->flag) {
		snprintf(a->name, sizeof(a->name), "%s", text);
		return 0;
	}
	if (strcmp(f->key, "template") == 0)
		snprintf(a->template, sizeof(a->template), "%s", text);
	arg(a, f->flag);
	arg(a, text);
	return 0;
}

/* The body into CLI options; an empty body is an empty object. */
static int parse_body(const struct req *q, struct args *a, char *msg, size_t len)
{
	const struct field *fields = route_fields(q->route->id);
	_cleanup_(json_decrefp) json_t *j = NULL;
	json_error_t je;
	const char *key;
	json_t *v;

	if (q->len == 0)
		j = json_object();
	else
		j = json_loadb(q->body, q->len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return snprintf(msg, len, "malformed JSON: %s (at character %d)", je.text,
		                je.position),
		       -EINVAL;
	if (!json_is_object(j))
		return snprintf(msg, len, "the body must be a JSON object"), -EINVAL;
	json_object_foreach(j, key, v)
	{
		const struct field *f = fields;

		while (f->key && strcmp(f->key, key) != 0)
			f++;
		if (!f->key)
			return snprintf(msg, len, "unknown field '%.64s'", key), -EINVAL;
	}
	for (const struct field *f = fields; f->key; f++) {
		v = json_object_get(j, f->key);
		if (!v) {
			if (f->required)
				return snprintf(msg, len, "missing field '%s'", f->key), -EINVAL;
			continue;
		}
		if (field_value(f, v, a, msg, len) < 0)
			return -EINVAL;
	}
	return 0;
}

/* --- actions --- */

/* The CLI's exit and its reason as an HTTP status. */
static unsigned status_of(const struct api_run *r)
{
	if (r->status == 2 || r->code == -EINVAL)
		return MHD_HTTP_BAD_REQUEST;
	if (r->code == -ENOENT)
		return MHD_HTTP_NOT_FOUND;
	if (r->code == -ESRCH || r->code == -EBUSY || r->code == -EEXIST || r->code == -EWOULDBLOCK)
		return MHD_HTTP_CONFLICT;
	if (strstr(r->err, "no such VPS") || strstr(r->err, "no such template"))
		return MHD_HTTP_NOT_FOUND;
	if (strstr(r->err, "already") || strstr(r->err, "not running") ||
	    strstr(r->err, "is running") || strstr(r->err, "exists") ||
	    strstr(r->err, "is suspended") || strstr(r->err, "not suspended"))
		return MHD_HTTP_CONFLICT;
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* What a customer sees of its VPS: its plan, addresses and usage, not the node's (host pids,
 * the id range, the operator's description, capabilities, the cgroup backend, a config error
 * naming host paths). An allow-list: a key added to status later stays hidden until added. */
static const char *const customer_keys[] = {"name",
                                            "state",
                                            "frozen",
                                            "suspended",
                                            "suspended_since",
                                            "uptime",
                                            "boots",
                                            "template",
                                            "hostname",
                                            "last_exit",
                                            "onboot",
                                            "procs",
                                            "cpu_usec",
                                            "cpu_permille",
                                            "memory_used",
                                            "memory_limit",
                                            "disk_used",
                                            "disk_size",
                                            "net_rx_bytes",
                                            "net_tx_bytes",
                                            "disk_inodes_used",
                                            "disk_inodes_limit",
                                            "proc_view",
                                            "cpus",
                                            "cpu_burst",
                                            "memory",
                                            "swap",
                                            "pids",
                                            "io_read_bps",
                                            "io_write_bps",
                                            "io_read_iops",
                                            "io_write_iops",
                                            "ip_address",
                                            "mac",
                                            "mtu",
                                            "bandwidth",
                                            "disk",
                                            "disk_inodes",
                                            "ptys",
                                            "nameserver",
                                            "searchdomain",
                                            "forwards"};

static bool customer_key(const char *key)
{
	for (size_t i = 0; i < sizeof(customer_keys) / sizeof(customer_keys[0]); i++)
		if (strcmp(key, customer_keys[i]) == 0)
			return true;
	return false;
}

/* v (a VPS's status object) cut down to what its customer may see, in place. */
static void customer_view(json_t *v)
{
	const char *key;
	json_t *val;
	void *tmp;

	json_object_foreach_safe(v, tmp, key, val)
	{
		if (!customer_key(key))
			json_object_del(v, key);
	}
}

/* A document (fn: api-ops.h; NULL: the cached list) as the answer; tok: whom for (a
 * customer's list holds its own VPSes only, and each as customer_view shows it). */
static enum MHD_Result run_reply(struct api_ctx *ctx, struct MHD_Connection *conn, api_op_fn fn,
                                 const char *name, unsigned ok_status, const struct api_token *tok)
{
	struct api_run r;
	int e = fn ? api_ops_run(ctx, fn, name, NULL, &r) : api_list_get(ctx, &r);
	enum MHD_Result ret;

	if (e < 0)
		return fail(conn, 500, "cannot read it: %s", strerror(-e));
	if (r.status != 0) {
		ret = fail(conn, status_of(&r), "%s", r.err[0] ? r.err : "vpsctl failed");
	} else if (tok && tok->role == API_ROLE_CUSTOMER && !fn) {
		/* list: only the customer's own VPSes */
		json_t *all = json_loads(r.out, 0, NULL), *mine = json_array(), *v;
		size_t i;

		json_array_foreach(all, i, v)
		{
			const char *n = json_string_value(json_object_get(v, "name"));

			if (n && api_token_has_vps(tok, n)) {
				customer_view(v);
				json_array_append(mine, v);
			}
		}
		json_decref(all);
		ret = reply_json(conn, ok_status, mine);
	} else if (tok && tok->role == API_ROLE_CUSTOMER) {
		json_t *doc = json_loads(r.out, 0, NULL);

		if (json_is_object(doc))
			customer_view(doc);
		ret = doc ? reply_json(conn, ok_status, doc)
		          : fail(conn, 500, "cannot read its status");
	} else {
		ret = reply(conn, ok_status, r.out[0] ? r.out : "{}");
	}
	api_run_done(&r);
	return ret;
}

static enum MHD_Result status_reply(struct api_ctx *ctx, struct MHD_Connection *conn,
                                    const char *name, unsigned ok_status,
                                    const struct api_token *tok)
{
	return run_reply(ctx, conn, api_ops_status, name, ok_status, tok);
}

/* A customer's resize: memory and CPUs only, within its plan. 0, or why not in msg. */
static int plan_check(const struct api_token *t, const struct args *a, char *msg, size_t len)
{
	if (a->other_quota)
		return snprintf(msg, len, "your plan lets you change memory and cpus only"), -EPERM;
	if ((a->has_memory && !t->max_memory) || (a->has_cpus && !t->max_cpus_milli))
		return snprintf(msg, len, "your token has no plan for %s",
		                a->has_memory && !t->max_memory ? "memory" : "cpus"),
		       -EPERM;
	if (a->has_memory && a->memory > t->max_memory)
		return snprintf(msg, len,
		                "memory %" PRIu64 " is above your plan's %" PRIu64 " bytes",
		                a->memory, t->max_memory),
		       -EPERM;
	if (a->has_cpus && a->cpus_milli > t->max_cpus_milli)
		return snprintf(msg, len,
		                "cpus %" PRIu64 ".%03" PRIu64 " is above your plan's %" PRIu64
		                ".%03" PRIu64,
		                a->cpus_milli / 1000, a->cpus_milli % 1000,
		                t->max_cpus_milli / 1000, t->max_cpus_milli % 1000),
		       -EPERM;
	return 0;
}

static const char *verb_of(enum route_id id)
{
	switch (id) {
	case R_START:
		return "start";
	case R_STOP:
		return "stop";
	case R_REBOOT:
		return "restart";
	case R_SUSPEND:
		return "suspend";
	case R_RESUME:
		return "resume";
	case R_RESIZE:
		return "resize";
	case R_DESTROY:
		return "destroy";
	case R_REINSTALL:
		return "reinstall";
	case R_PASSWORD:
		return "set";
	default:
		return "create";
	}
}

/* The actions that are library calls here (api-ops.h); NULL: vpsctl is run. */
static api_op_fn direct_of(enum route_id id)
{
	switch (id) {
	case R_START:
		return api_ops_start;
	case R_STOP:
		return api_ops_stop;
	case R_REBOOT:
		return api_ops_reboot;
	case R_SUSPEND:
		return api_ops_suspend;
	case R_RESUME:
		return api_ops_resume;
	case R_DESTROY:
		return api_ops_destroy;
	case R_RESIZE:
		return api_ops_resize;
	default:
		return NULL;
	}
}

static enum MHD_Result act(struct api_ctx *ctx, struct MHD_Connection *conn, struct req *q)
{
	struct args a = {.op.timeout = -1};
	char msg[512];
	struct api_run r;
	int e;

	if (parse_body(q, &a, msg, sizeof(msg)) < 0)
		return fail(conn, MHD_HTTP_BAD_REQUEST, "%s", msg);
	if (q->route->id == R_RESIZE && a.n == 0)
		return fail(conn, MHD_HTTP_BAD_REQUEST,
		            "nothing to change: give at least one field");
	if (q->route->id == R_RESIZE && q->tok.role == API_ROLE_CUSTOMER &&
	    plan_check(&q->tok, &a, msg, sizeof(msg)) < 0)
		return fail(conn, MHD_HTTP_FORBIDDEN, "%s", msg);
	if (q->route->id == R_REINSTALL && a.template[0] &&
	    (!api_template_name_ok(a.template) || !api_token_has_template(&q->tok, a.template)))
		return fail(conn, MHD_HTTP_FORBIDDEN,
		            "template '%.64s' is not one your token may reinstall from",
		            a.template);
	if (q->route->id == R_PASSWORD) {
		arg(&a, "--root-password-file");
		arg(&a, "/dev/stdin");
	}
	if (q->route->id == R_CREATE) {
		if (!name_is_valid(a.name))
			return fail(conn, MHD_HTTP_BAD_REQUEST, NAME_REASON, a.name,
			            strlen(a.name) > 64 ? "..." : "");
		snprintf(q->name, sizeof(q->name), "%s", a.name);
	}
	const char *argv[ARGV_MAX + 3] = {verb_of(q->route->id), q->name};
	size_t n = 2;

	for (size_t i = 0; i < a.n; i++)
		argv[n++] = a.v[i];
	argv[n] = NULL;
	if (direct_of(q->route->id))
		e = api_ops_run(ctx, direct_of(q->route->id), q->name, &a.op, &r);
	else
		e = api_run_vpsctl_input(ctx->vpsctl, ctx->root, argv,
		                         a.secret[0] ? a.secret : NULL, ctx->action_timeout_s, &r);
	explicit_bzero(a.secret, sizeof(a.secret));
	api_list_invalidate(ctx); /* even a failed action may have changed something */
	if (e < 0)
		return fail(conn, 500, "cannot run vpsctl: %s", strerror(-e));
	if (r.status != 0) {
		enum MHD_Result ret = fail(conn, status_of(&r), "%s", r.err[0] ? r.err : "failed");

		api_run_done(&r);
		return ret;
	}
	api_run_done(&r);
	if (q->route->id == R_DESTROY)
		return reply_json(conn, 200,
		                  json_pack("{s:s,s:b}", "name", q->name, "destroyed", 1));
	if (q->route->id == R_PASSWORD)
		return reply_json(conn, 200,
		                  json_pack("{s:s,s:b}", "name", q->name, "password_set", 1));
	return status_reply(ctx, conn, q->name, q->route->id == R_CREATE ? 201 : 200, &q->tok);
}

static enum MHD_Result dispatch(struct api_ctx *ctx, struct MHD_Connection *conn, struct req *q)
{
	switch (q->route->id) {
	case R_LIST:
		return run_reply(ctx, conn, NULL, NULL, 200, &q->tok);
	case R_STATUS:
		if (q->len)
			return fail(conn, MHD_HTTP_BAD_REQUEST, "a GET takes no body");
		return status_reply(ctx, conn, q->name, 200, &q->tok);
	case R_STATS:
		return run_reply(ctx, conn, api_ops_stats, q->name, 200, NULL);
	case R_HISTORY:
		return reply_json(conn, 200, api_history_get(q->name));
	case R_NODE:
		return reply_json(conn, 200, api_node_get());
	case R_TICKET: {
		char t[65], msg[512];
		struct args a = {0};

		if (parse_body(q, &a, msg, sizeof(msg)) < 0)
			return fail(conn, MHD_HTTP_BAD_REQUEST, "%s", msg);
		switch (api_ticket_new(&q->tok, q->name, t)) {
		case 0:
			break;
		case -EDQUOT:
			return fail(conn, MHD_HTTP_TOO_MANY_REQUESTS,
			            "this token already has %d console tickets waiting; use one or "
			            "wait %d seconds",
			            API_TICKETS_PER_TOKEN, API_TICKET_TTL_S);
		case -EBUSY:
			return fail(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
			            "every console ticket of the node is waiting to be used; try "
			            "again in %d seconds",
			            API_TICKET_TTL_S);
		default:
			return fail(conn, 500, "cannot make a ticket");
		}
		return reply_json(conn, 200,
		                  json_pack("{s:s,s:i,s:s}", "ticket", t, "expires_in",
		                            API_TICKET_TTL_S, "protocol", "vpsctl-console"));
	}
	case R_CONSOLE: {
		char msg[160];
		struct MHD_Response *resp =
			api_console_response(ctx, conn, &q->tok, q->name, msg, sizeof(msg));
		enum MHD_Result ret;

		if (!resp)
			return fail(conn, MHD_HTTP_BAD_REQUEST, "%s", msg);
		ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	case R_EVENTS: {
		struct MHD_Response *resp = api_events_response(ctx, &q->tok);
		enum MHD_Result ret;

		if (!resp && errno == EBUSY)
			return fail(conn, MHD_HTTP_TOO_MANY_REQUESTS,
			            "this token already has %d event streams open",
			            API_EVENTS_PER_TOKEN);
		if (!resp)
			return MHD_NO;
		ret = MHD_queue_response(conn, 200, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	default:
		return act(ctx, conn, q);
	}
}

/* --- static files (the panel) --- */

static const char *content_type(const char *path)
{
	static const char *const types[][2] = {
		{".html", "text/html; charset=utf-8"},
		{".css", "text/css"},
		{".js", "text/javascript"},
		{".json", "application/json"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < ELEMENTSOF(types); i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return "application/octet-stream";
}

/* The panel's pages: their own scripts and styles only, talking to this daemon only. */
#define PANEL_CSP                                                                                  \
	"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "                \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "          \
	"frame-ancestors 'none'"

static enum MHD_Result serve_static(struct api_ctx *ctx, struct MHD_Connection *conn,
                                    const char *rel)
{
	/* Debian's browser libraries, from where their packages put them */
	static const char *const vendor[][2] = {{"vendor/xterm/", XTERM_DIR},
	                                        {"vendor/term.js/", TERMJS_DIR}};
	const char *top = ctx->panel_dir;
	_cleanup_close_ int dir = -EBADF;
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct stat st;
	int fd;

	if (!*rel)
		rel = "index.html";
	/* no way up, no hidden files, no symlinks: only the files put there */
	if (strstr(rel, "..") || rel[0] == '/' || rel[0] == '.' || strstr(rel, "/."))
		return fail(conn, MHD_HTTP_NOT_FOUND, "no such file");
	for (size_t i = 0; i < ELEMENTSOF(vendor); i++)
		if (strncmp(rel, vendor[i][0], strlen(vendor[i][0])) == 0) {
			top = vendor[i][1];
			rel += strlen(vendor[i][0]);
			break;
		}
	dir = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return fail(conn, MHD_HTTP_NOT_FOUND, "no panel installed");
	fd = open_in_root(dir, rel, O_RDONLY, 0, RESOLVE_NO_SYMLINKS);
	if (fd < 0)
		return fail(conn, MHD_HTTP_NOT_FOUND, "no such file");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(conn, MHD_HTTP_NOT_FOUND, "no such file");
	}
	r = MHD_create_response_from_fd((size_t)st.st_size, fd); /* it closes fd */
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", content_type(rel));
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", PANEL_CSP);
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* --- the request, in its calls --- */

/* The first call: everything decided before a byte of the body is read; a refusal is kept
 * in q. */
static void admit(struct api_ctx *ctx, struct MHD_Connection *conn, const char *url,
                  const char *method, struct req *q)
{
	bool other_method;

	q->route = match(url, method, q->name, sizeof(q->name), &other_method);
	/* a browser's WebSocket: its one-time ticket instead of a header it cannot send */
	if (q->route && q->route->id == R_CONSOLE &&
	    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization") &&
	    api_ticket_offered(conn)) {
		if (!console_ticket(ctx, conn, q))
			return;
	} else if (!authenticate(ctx, conn, q)) {
		return;
	}
	if (!q->route)
		other_method ? refuse(q, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not allowed on %.200s",
		                      method, url)
			     : refuse(q, MHD_HTTP_NOT_FOUND, "no such route");
	else if (q->route->suffix && !name_is_valid(q->name))
		refuse(q, MHD_HTTP_BAD_REQUEST, NAME_REASON, q->name,
		       strlen(q->name) > 64 ? "..." : "");
	/* another's VPS reads as no VPS at all: names do not leak */
	else if (q->route->suffix && !api_token_has_vps(&q->tok, q->name))
		refuse(q, MHD_HTTP_NOT_FOUND, "%s: no such VPS", q->name);
	else if (q->tok.role != API_ROLE_OPERATOR && !q->route->customer)
		refuse(q, MHD_HTTP_FORBIDDEN, "operators only");
}

enum MHD_Result api_handle(void *cls, struct MHD_Connection *conn, const char *url,
                           const char *method, const char *version, const char *upload_data,
                           size_t *upload_data_size, void **con_cls)
{
	struct api_ctx *ctx = cls;
	struct req *q = *con_cls;
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

	if (!q) {
		if (ctx->panel_dir && strcmp(method, "GET") == 0 && strncmp(url, "/panel/", 7) == 0)
			return serve_static(ctx, conn, url + 7);
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*con_cls = q;
		admit(ctx, conn, url, method, q);
		/* shown a valid token: the longer timeout (api-main.c) */
		if (!q->refusal)
			MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
			                          API_CONN_TIMEOUT_S);
		/* a declared body over the cap is refused before it is sent */
		if (!q->refusal && cl && strtoull(cl, NULL, 10) > BODY_MAX) {
			q->answered = true;
			return fail(conn, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than %d bytes",
			            BODY_MAX);
		}
		return MHD_YES;
	}
	if (q->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->refusal && *upload_data_size) {
		*upload_data_size = 0; /* drained, never kept */
		return MHD_YES;
	}
	if (q->refusal)
		return fail(conn, q->refusal, "%s", q->refusal_msg);
	if (*upload_data_size) {
		if (q->len + *upload_data_size > BODY_MAX) {
			q->too_big = true;
		} else if (!q->too_big) {
			char *b = realloc(q->body, q->len + *upload_data_size + 1);

			if (!b)
				return MHD_NO;
			memcpy(b + q->len, upload_data, *upload_data_size);
			q->body = b;
			q->len += *upload_data_size;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->too_big)
		return fail(conn, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than %d bytes",
		            BODY_MAX);
	return dispatch(ctx, conn, q);
}

void api_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	if (q && q->body)
		explicit_bzero(q->body, q->len); /* it may have held a password */
	if (q)
		free(q->body);
	free(q);
	*con_cls = NULL;
}
