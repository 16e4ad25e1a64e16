/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl autostart: start every VPS with ONBOOT="yes" in boot order, BOOT_PARALLEL at a time
 * (lxc-autostart, OpenVZ's VE_PARALLEL). For nodes without systemd and for measuring a boot
 * storm; on systemd nodes vpsctl-generator gives vpsctl.target the same order and bound.
 * Each start is `vpsctl start NAME` in a child of ours, so each takes its own lock and prints
 * its own one-line error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "onboot.h"
#include "parse.h"
#include "state.h"

static const char *const autostart_help[] = {
	"Start every VPS with ONBOOT=\"yes\" in boot order (BOOT_ORDER, then name), with at most",
	"BOOT_PARALLEL (vpsctl.conf) starting at once. VPSes that run already are left alone.",
	"",
	"  --parallel N         start at most N at once (default: BOOT_PARALLEL)",
	"  --dry-run            print the order and start nothing",
	"  --json               print the result as JSON",
	NULL,
};

enum outcome { AS_PENDING, AS_STARTED, AS_RUNNING, AS_FAILED };

struct autostart {
	struct cli *c;
	char **global; /* main's argv up to the verb: the global options a child repeats */
	size_t n_global;
	struct vps_onboot *v;
	enum outcome *out;
	pid_t *pids;
	size_t n;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child: `vpsctl [GLOBAL OPTIONS] start NAME`, run by this same program. */
static _Noreturn void child_start(struct autostart *a, size_t i)
{
	char *argv[64];
	size_t k = 0;

	signal(SIGINT, SIG_DFL);
	for (; k < a->n_global && k < ELEMENTSOF(argv) - 3; k++)
		argv[k] = a->global[k];
	argv[k] = (char *)"start";
	argv[k + 1] = a->v[i].name;
	argv[k + 2] = NULL;
	a->c->argv0 = argv; /* for a hand-over to vpsctl-template (an overlay's missing tree) */
	a->c->verb = "start";
	optind = 0;
	fflush(NULL);
	_exit(cmd_start(a->c, 2, argv + k));
}

static int spawn(struct autostart *a, size_t i)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		child_start(a, i);
	a->pids[i] = pid;
	return 0;
}

/* Waits for one child; marks its VPS started or failed. */
static int reap_one(struct autostart *a)
{
	int status;
	pid_t pid;

	do
		pid = waitpid(-1, &status, 0);
	while (pid < 0 && errno == EINTR);
	if (pid < 0)
		return -errno;
	for (size_t i = 0; i < a->n; i++)
		if (a->pids[i] == pid) {
			a->pids[i] = 0;
			a->out[i] = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? AS_STARTED
			                                                          : AS_FAILED;
		}
	return 0;
}

static bool is_stopped(struct cli *c, const char *name)
{
	struct vps_state st;

	return vps_run_state_get(&c->paths, name, &st) == VPS_STOPPED;
}

static int run_all(struct autostart *a, uint64_t parallel)
{
	size_t in_flight = 0;
	int r;

	for (size_t i = 0; i < a->n; i++) {
		if (!is_stopped(a->c, a->v[i].name)) {
			a->out[i] = AS_RUNNING;
			continue;
		}
		for (; in_flight >= parallel; in_flight--)
			if ((r = reap_one(a)) < 0)
				return r;
		r = spawn(a, i);
		if (r < 0) {
			a->out[i] = AS_FAILED;
			fprintf(stderr, "vpsctl: %s: cannot fork its start: %s\n", a->v[i].name,
			        strerror(-r));
			continue;
		}
		in_flight++;
	}
	for (; in_flight > 0; in_flight--)
		if ((r = reap_one(a)) < 0)
			return r;
	return 0;
}

static size_t count(const struct autostart *a, enum outcome o)
{
	size_t k = 0;

	for (size_t i = 0; i < a->n; i++)
		k += a->out[i] == o;
	return k;
}

static void print_names(const struct autostart *a, enum outcome o)
{
	bool first = true;

	putchar('[');
	for (size_t i = 0; i < a->n; i++) {
		if (a->out[i] != o)
			continue;
		if (!first)
			putchar(',');
		json_string(stdout, a->v[i].name);
		first = false;
	}
	putchar(']');
}

static void report(const struct autostart *a, uint64_t parallel, double secs, bool json)
{
	if (json) {
		printf("{\"parallel\":%llu,\"seconds\":%.3f,\"started\":",
		       (unsigned long long)parallel, secs);
		print_names(a, AS_STARTED);
		printf(",\"already_running\":");
		print_names(a, AS_RUNNING);
		printf(",\"failed\":");
		print_names(a, AS_FAILED);
		printf("}\n");
		return;
	}
	printf("started %zu of %zu VPSes in %.2f s (%llu at a time)", count(a, AS_STARTED), a->n,
	       secs, (unsigned long long)parallel);
	if (count(a, AS_RUNNING))
		printf(", %zu already running", count(a, AS_RUNNING));
	if (count(a, AS_FAILED)) {
		printf(", failed:");
		for (size_t i = 0; i < a->n; i++)
			if (a->out[i] == AS_FAILED)
				printf(" %s", a->v[i].name);
	}
	putchar('\n');
}

static int parse_autostart(struct cli *c, int argc, char **argv, uint64_t *parallel, bool *dry,
                           bool *json)
{
	static const struct option opts[] = {{"parallel", required_argument, NULL, 'p'},
	                                     {"dry-run", no_argument, NULL, 'n'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	int opt, p;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'p') {
			if (parse_int_range(optarg, 1, 1024, &p) < 0)
				return cli_usage_error(c, "invalid --parallel '%.32s' (1 to 1024)",
				                       optarg);
			*parallel = (uint64_t)p;
		} else if (opt == 'n') {
			*dry = true;
		} else if (opt == 'j') {
			*json = true;
		} else if (opt == 'h') {
			cli_print_help("autostart [--parallel N] [--dry-run] [--json]",
			               autostart_help);
			return -2;
		} else {
			return cli_bad_option(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument '%.64s'", argv[optind]);
	return 0;
}

static void skipped(const char *name, const char *why)
{
	fprintf(stderr, "vpsctl: %s: %s; not started\n", name, why);
}

int cmd_autostart(struct cli *c, int argc, char **argv)
{
	_cleanup_free_ struct vps_onboot *v = NULL;
	_cleanup_free_ enum outcome *out = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	uint64_t parallel = 0;
	bool dry = false, json = false;
	double t0;
	size_t n = 0;
	int r;

	r = parse_autostart(c, argc, argv, &parallel, &dry, &json);
	if (r != 0)
		return r == -2 ? 0 : r;
	if (cli_load_node(c))
		return EXIT_FAILURE;
	if (!parallel)
		parallel = c->node.boot_parallel;
	r = vps_onboot_list(&c->paths, &c->node, skipped, &v, &n);
	if (r < 0)
		return cli_fail(NULL, "cannot read the VPS list: %s", strerror(-r));
	if (dry) {
		for (size_t i = 0; i < n; i++)
			printf("%s\t%llu\n", v[i].name, (unsigned long long)v[i].order);
		return 0;
	}
	out = calloc(n ? n : 1, sizeof(*out));
	pids = calloc(n ? n : 1, sizeof(*pids));
	if (!out || !pids)
		return cli_fail(NULL, "out of memory");
	struct autostart a = {c, c->argv0, (size_t)(argv - c->argv0), v, out, pids, n};
	t0 = now_s();
	r = run_all(&a, parallel);
	if (r < 0)
		return cli_fail(NULL, "autostart: %s", strerror(-r));
	report(&a, parallel, now_s() - t0, json);
	return count(&a, AS_FAILED) ? EXIT_FAILURE : 0;
}
