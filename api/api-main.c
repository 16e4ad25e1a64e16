/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl-api: serve, or manage the tokens (vpsctl-api token add|list|remove). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api-history.h"
#include "api-http.h"
#include "api-peer.h"
#include "api-token.h"
#include "cgroup.h"
#include "cleanup.h"
#include "fileio.h"
#include "parse.h"
#include "vpsctl-build.h"

#define LISTEN_FDS_START 3
#define CONN_MAX         512
/* one peer (an address, an IPv6 /64: api-peer.h) may not hold every connection (idle TLS
 * handshakes, event streams) */
#define CONN_PER_PEER_MAX 32
/* Over HTTPS, a connection that has not shown a valid token is closed after this many idle
 * seconds; a request that authenticates raises its own to API_CONN_TIMEOUT_S (api-http.h).
 * libmicrohttpd's timeout is per daemon and per connection, not per state, so the daemon's is
 * the short one and authentication lengthens it. */
#define CONN_UNAUTH_TIMEOUT_S 10u

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

_printf_(1, 2) static int die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vpsctl-api: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'vpsctl-api --help')\n");
	return 2;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: vpsctl-api [--root DIR] [--socket PATH] [--tls-cert F --tls-key F "
	           "--port N]\n"
	           "                  [--panel DIR] [--vpsctl PATH] [--action-timeout S]\n"
	           "                  [--login-limit N] [--sample-interval S]\n"
	           "       vpsctl-api [--root DIR] token add --role operator|customer [--vps A,B]\n"
	           "                  [--expires DATE] [--max-memory SIZE] [--max-cpus N]\n        "
	           "          [--templates T1,T2]\n"
	           "       vpsctl-api [--root DIR] token list | token remove ID\n"
	           "       vpsctl-api --list-routes\n");
}

/* --templates a,b: checked names into t->templates; -1 after saying why. */
static int token_templates(char *list, struct api_token *t)
{
	char *save = NULL;
	size_t off = 0;

	for (char *n = strtok_r(list, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		if (!api_template_name_ok(n))
			return die_usage("invalid template name '%.64s' in --templates", n), -1;
		if (off + strlen(n) + 2 > sizeof(t->templates))
			return die_usage("%s is too long", "--templates"), -1;
		off += (size_t)snprintf(t->templates + off, sizeof(t->templates) - off, "%s%s",
		                        off ? "," : "", n);
	}
	return 0;
}

static int token_add(const char *file, int argc, char **argv)
{
	static const struct option opts[] = {{"role", required_argument, NULL, 'r'},
	                                     {"vps", required_argument, NULL, 'v'},
	                                     {"expires", required_argument, NULL, 'e'},
	                                     {"max-memory", required_argument, NULL, 'm'},
	                                     {"max-cpus", required_argument, NULL, 'c'},
	                                     {"templates", required_argument, NULL, 't'},
	                                     {0}};
	struct api_token t = {.role = API_ROLE_CUSTOMER};
	struct vps_error err = VPS_ERROR_INIT;
	bool role = false;
	char *save = NULL;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			role = true;
			if (strcmp(optarg, "operator") == 0)
				t.role = API_ROLE_OPERATOR;
			else if (strcmp(optarg, "customer") != 0)
				return die_usage("unknown role '%.32s'", optarg);
			break;
		case 'v':
			for (char *n = strtok_r(optarg, ",", &save); n;
			     n = strtok_r(NULL, ",", &save)) {
				if (!name_is_valid(n))
					return die_usage("invalid VPS name '%.64s'", n);
				if (t.n_vps >= API_TOKEN_VPS_MAX)
					return die_usage("more than 64 VPSes in %s", "--vps");
				snprintf(t.vps[t.n_vps++], sizeof(t.vps[0]), "%s", n);
			}
			break;
		case 'e':
			if (api_parse_date(optarg, &t.expires) < 0)
				return die_usage(
					"invalid --expires '%.32s': use YYYY-MM-DD[THH:MM:SS]",
					optarg);
			break;
		case 'm':
			if (parse_size(optarg, &t.max_memory) < 0)
				return die_usage("invalid --max-memory '%.32s'", optarg);
			break;
		case 'c':
			if (parse_cpus(optarg, &t.max_cpus_milli) < 0)
				return die_usage("invalid --max-cpus '%.32s'", optarg);
			break;
		case 't':
			if (token_templates(optarg, &t) < 0)
				return 2;
			break;
		default:
			return die_usage("bad option '%s'", argv[optind - 1]);
		}
	}
	if (!role)
		return die_usage("token add needs %s", "--role operator|customer");
	if (optind != argc)
		return die_usage("unexpected argument '%.32s'", argv[optind]);
	if (t.role == API_ROLE_OPERATOR && t.n_vps)
		return die_usage("an operator has every VPS: %s is for customers", "--vps");
	if (t.role == API_ROLE_OPERATOR && t.templates[0])
		return die_usage("an operator has every template: %s is for customers",
		                 "--templates");
	if (t.role == API_ROLE_CUSTOMER && !t.n_vps)
		return die_usage("a customer token needs %s", "--vps NAME[,NAME...]");
	if (api_token_add(file, &t, &err) < 0)
		return fprintf(stderr, "vpsctl-api: %s\n", err.msg), 1;
	return 0;
}

static int token_cmd(const char *file, int argc, char **argv)
{
	struct vps_error err = VPS_ERROR_INIT;
	int r;

	if (argc < 2)
		return die_usage("token needs %s", "add, list or remove");
	if (strcmp(argv[1], "add") == 0)
		return token_add(file, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0 && argc == 2)
		r = api_token_list(file, &err);
	else if (strcmp(argv[1], "remove") == 0 && argc == 3)
		r = api_token_remove(file, argv[2], &err);
	else
		return die_usage("unknown token command '%.32s'", argv[1]);
	if (r < 0)
		return fprintf(stderr, "vpsctl-api: %s\n", err.msg), 1;
	return 0;
}

/* systemd's socket activation: the first passed fd when LISTEN_PID is ours. */
static int activated_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (!pid || !fds || atol(pid) != (long)getpid() || atoi(fds) < 1)
		return -1;
	if (fcntl(LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	return LISTEN_FDS_START;
}

/* A root-only unix socket at path (a stale one is replaced). */
static int unix_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -EBADF;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	old = umask(0177); /* 0600 from the bind on: no window where others may connect */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 128) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static char *read_pem(const char *path)
{
	char *s = NULL;
	size_t len;

	return read_file_at(AT_FDCWD, path, 1 << 20, &s, &len) < 0 ? NULL : s;
}

static struct MHD_Daemon *start_daemon(struct api_ctx *ctx, unsigned flags, int fd, unsigned port,
                                       const char *cert, const char *key, struct api_conns *conns)
{
	unsigned base = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE | flags;

	if (cert) {
		struct MHD_Daemon *d = NULL;

		/* both IPv6 and IPv4; IPv4 alone where the node has no IPv6 */
		for (unsigned v6 = MHD_USE_DUAL_STACK;; v6 = 0) {
			d = MHD_start_daemon(
				base | MHD_USE_TLS | v6, (uint16_t)port, api_conns_accept, conns,
				api_handle, ctx, MHD_OPTION_HTTPS_MEM_CERT, cert,
				MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_CONNECTION_LIMIT,
				CONN_MAX, MHD_OPTION_NOTIFY_CONNECTION, api_conns_notify, conns,
				MHD_OPTION_CONNECTION_TIMEOUT, CONN_UNAUTH_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, api_request_done, ctx, MHD_OPTION_END);
			if (d || !v6)
				return d;
		}
	}
	/* the unix socket is root's alone: no peer to keep from the others */
	return MHD_start_daemon(base, 0, NULL, NULL, api_handle, ctx, MHD_OPTION_LISTEN_SOCKET, fd,
	                        MHD_OPTION_CONNECTION_LIMIT, CONN_MAX,
	                        MHD_OPTION_CONNECTION_TIMEOUT, API_CONN_TIMEOUT_S,
	                        MHD_OPTION_NOTIFY_COMPLETED, api_request_done, ctx, MHD_OPTION_END);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"socket", required_argument, NULL, 's'},
		{"tls-cert", required_argument, NULL, 'C'},
		{"tls-key", required_argument, NULL, 'K'},
		{"port", required_argument, NULL, 'p'},
		{"panel", required_argument, NULL, 'P'},
		{"vpsctl", required_argument, NULL, 'x'},
		{"action-timeout", required_argument, NULL, 't'},
		{"list-routes", no_argument, NULL, 'L'},
		{"login-limit", required_argument, NULL, 'l'},
		{"sample-interval", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	static struct api_ctx ctx = {
		.vpsctl = SBIN_DIR "/vpsctl",
		.panel_dir = PANEL_DIR,
		.action_timeout_s = 120,
		.list = {.lock = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER}};
	const char *root = getenv("VPSCTL_ROOT"), *sock = NULL, *cert_f = NULL, *key_f = NULL;
	_cleanup_free_ char *cert = NULL, *key = NULL;
	struct MHD_Daemon *unix_d = NULL, *tls_d = NULL;
	struct api_conns *conns = NULL;
	char sock_buf[4096];
	int opt, port = 8443, fd, r, sample_s = 10;

	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			root = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'C':
			cert_f = optarg;
			break;
		case 'K':
			key_f = optarg;
			break;
		case 'p':
			if (parse_int_range(optarg, 1, 65535, &port) < 0)
				return die_usage("invalid --port '%.32s'", optarg);
			break;
		case 'P':
			ctx.panel_dir = optarg;
			break;
		case 'x':
			ctx.vpsctl = optarg;
			break;
		case 't':
			/* above a stop's longest wait (60 s, api-http.c) and its kill */
			if (parse_int_range(optarg, 90, 3600, &r) < 0)
				return die_usage("invalid --action-timeout '%.32s'", optarg);
			ctx.action_timeout_s = (unsigned)r;
			break;
		case 'l':
			if (parse_int_range(optarg, 1, 1000000, &r) < 0)
				return die_usage("invalid --login-limit '%.32s'", optarg);
			api_ratelimit_set((unsigned)r);
			break;
		case 'S':
			if (parse_int_range(optarg, 1, 300, &sample_s) < 0)
				return die_usage("invalid --sample-interval '%.32s': 1-300 seconds",
				                 optarg);
			break;
		case 'L':
			api_routes_print(stdout);
			return 0;
		case 'V':
			printf("vpsctl-api %s\n", VPSCTL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	ctx.root = root ? root : "";
	if (vps_paths_init(root, &ctx.paths) < 0)
		return die_usage("invalid --root '%s'", ctx.root);
	if (api_token_file(ctx.root, ctx.token_file, sizeof(ctx.token_file)) < 0)
		return die_usage("--root '%.64s' is too long", ctx.root);
	if (optind < argc && strcmp(argv[optind], "token") == 0)
		return token_cmd(ctx.token_file, argc - optind, argv + optind);
	if (optind < argc)
		return die_usage("unexpected argument '%.32s'", argv[optind]);
	if (!!cert_f != !!key_f)
		return die_usage("%s: give both or neither", "--tls-cert and --tls-key");

	vps_cgroup_init_on_demand(); /* the state of a VPS may ask its cgroup */
	/* probed here, before any thread: the host's cgroups are written once, then only read */
	(void)vps_cgroup_init();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	fd = activated_fd();
	if (fd < 0) {
		if (!sock) {
			snprintf(sock_buf, sizeof(sock_buf), "%s/api.sock", ctx.paths.run_base);
			sock = sock_buf;
		}
		r = mkdir_p(ctx.paths.run_base, 0755);
		fd = r < 0 ? r : unix_listen(sock);
		if (fd < 0) {
			fprintf(stderr, "vpsctl-api: cannot listen on %s: %s\n", sock,
			        strerror(-fd));
			return 1;
		}
	}
	r = api_history_start(&ctx, (unsigned)sample_s);
	if (r < 0) {
		fprintf(stderr, "vpsctl-api: cannot start the usage sampler: %s\n", strerror(-r));
		return 1;
	}
	unix_d = start_daemon(&ctx, 0, fd, 0, NULL, NULL, NULL);
	if (!unix_d) {
		fprintf(stderr, "vpsctl-api: cannot start serving the unix socket\n");
		return 1;
	}
	if (cert_f) {
		cert = read_pem(cert_f);
		key = read_pem(key_f);
		if (!cert || !key) {
			fprintf(stderr, "vpsctl-api: cannot read %s\n", cert ? key_f : cert_f);
			MHD_stop_daemon(unix_d);
			return 1;
		}
		conns = api_conns_new(CONN_MAX, CONN_PER_PEER_MAX);
		tls_d = conns ? start_daemon(&ctx, 0, -1, (unsigned)port, cert, key, conns) : NULL;
		if (!tls_d) {
			fprintf(stderr, "vpsctl-api: cannot serve HTTPS on port %d\n", port);
			api_conns_free(conns);
			MHD_stop_daemon(unix_d);
			return 1;
		}
	}
	fprintf(stderr, "vpsctl-api: serving%s%s\n", sock ? " on " : " (socket activation)",
	        sock ? sock : "");
	while (!got_signal)
		pause();
	ctx.stopping = true;
	if (tls_d)
		MHD_stop_daemon(tls_d);
	api_conns_free(conns);
	MHD_stop_daemon(unix_d);
	if (sock)
		unlink(sock);
	return 0;
}
