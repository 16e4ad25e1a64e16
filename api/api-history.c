/* SPDX-License-Identifier: GPL-2.0-or-later */
/* api-history.h: one ring a VPS, kept under one lock; the sampler reads the same list as
 * GET /v1/vps (api-listcache.h), so sampling adds no list of its own at load. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api-history.h"
#include "api-listcache.h"
#include "cleanup.h"
#include "fileio.h"

#define VPS_MAX 4096

struct sample {
	time_t t;
	char state[12];
	double cpu_pct;
	int64_t memory_used, memory_limit, rx, tx; /* -1: not known */
};

struct ring {
	char name[33];
	struct sample *s;
	unsigned head, n; /* the next slot, how many are kept */
	bool seen;        /* in the last list */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ring rings[VPS_MAX];
static unsigned n_rings, cap, interval;
static unsigned last_total, last_running;

static struct ring *ring_of(const char *name, bool create)
{
	for (unsigned i = 0; i < n_rings; i++)
		if (strcmp(rings[i].name, name) == 0)
			return &rings[i];
	if (!create || n_rings >= VPS_MAX)
		return NULL;
	struct ring *r = &rings[n_rings];

	r->s = calloc(cap, sizeof(*r->s));
	if (!r->s)
		return NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->head = r->n = 0;
	n_rings++;
	return r;
}

static int64_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (int64_t)json_number_value(v) : -1;
}

static void record(json_t *v, time_t now)
{
	const char *name = json_string_value(json_object_get(v, "name"));
	const char *state = json_string_value(json_object_get(v, "state"));
	json_t *cpu = json_object_get(v, "cpu_pct");
	struct ring *r;
	struct sample *s;

	if (!name || !(r = ring_of(name, true)))
		return;
	r->seen = true;
	s = &r->s[r->head];
	s->t = now;
	snprintf(s->state, sizeof(s->state), "%s", state ? state : "unknown");
	s->cpu_pct = json_is_number(cpu) ? json_number_value(cpu) : -1;
	s->memory_used = num(v, "memory_used");
	s->memory_limit = num(v, "memory_limit");
	s->rx = num(v, "net_rx_bytes");
	s->tx = num(v, "net_tx_bytes");
	r->head = (r->head + 1) % cap;
	if (r->n < cap)
		r->n++;
	if (state && strcmp(state, "running") == 0)
		last_running++;
}

/* One sample of every VPS; a VPS gone from the list loses its ring. */
static void sample_all(struct api_ctx *ctx)
{
	struct api_run run;
	time_t now = time(NULL);
	json_t *all;
	size_t i;

	if (api_list_get(ctx, &run) < 0)
		return;
	all = run.status == 0 ? json_loads(run.out, 0, NULL) : NULL;
	api_run_done(&run);
	if (!json_is_array(all)) {
		json_decref(all);
		return;
	}
	pthread_mutex_lock(&lock);
	for (unsigned k = 0; k < n_rings; k++)
		rings[k].seen = false;
	last_running = 0;
	for (i = 0; i < json_array_size(all); i++)
		record(json_array_get(all, i), now);
	last_total = (unsigned)json_array_size(all);
	for (unsigned k = 0; k < n_rings;) {
		if (rings[k].seen) {
			k++;
			continue;
		}
		free(rings[k].s);
		rings[k] = rings[--n_rings];
	}
	pthread_mutex_unlock(&lock);
	json_decref(all);
}

static void *sampler(void *arg)
{
	struct api_ctx *ctx = arg;

	while (!ctx->stopping) {
		sample_all(ctx);
		for (unsigned s = 0; s < interval && !ctx->stopping; s++)
			sleep(1);
	}
	return NULL;
}

int api_history_start(struct api_ctx *ctx, unsigned interval_s)
{
	pthread_t t;
	int r;

	interval = interval_s;
	cap = API_HISTORY_S / interval_s + 1;
	r = pthread_create(&t, NULL, sampler, ctx);
	if (r != 0)
		return -r;
	pthread_detach(t);
	return 0;
}

static json_t *num_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

json_t *api_history_get(const char *name)
{
	json_t *out = json_array();
	struct ring *r;

	pthread_mutex_lock(&lock);
	r = ring_of(name, false);
	for (unsigned k = 0; r && k < r->n; k++) {
		const struct sample *s = &r->s[(r->head + cap - r->n + k) % cap];

		json_array_append_new(
			out, json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o}", "time", (json_int_t)s->t,
		                       "state", s->state, "cpu_pct",
		                       s->cpu_pct < 0 ? json_null() : json_real(s->cpu_pct),
		                       "memory_used", num_or_null(s->memory_used), "memory_limit",
		                       num_or_null(s->memory_limit), "net_rx_bytes",
		                       num_or_null(s->rx), "net_tx_bytes", num_or_null(s->tx)));
	}
	pthread_mutex_unlock(&lock);
	return json_pack("{s:s,s:i,s:o}", "name", name, "interval", (int)interval, "samples", out);
}

/* MemTotal and MemAvailable of /proc/meminfo, in bytes */
static void meminfo(int64_t *total, int64_t *avail)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	const char *p;
	long long kb;

	*total = *avail = -1;
	if (read_file_at(AT_FDCWD, "/proc/meminfo", 1 << 16, &text, &len) < 0)
		return;
	if ((p = strstr(text, "MemTotal:")) && sscanf(p + 9, "%lld", &kb) == 1)
		*total = kb * 1024;
	if ((p = strstr(text, "MemAvailable:")) && sscanf(p + 13, "%lld", &kb) == 1)
		*avail = kb * 1024;
}

json_t *api_node_get(void)
{
	int64_t total, avail;
	double load[1] = {-1};
	unsigned vps_total, vps_running;

	meminfo(&total, &avail);
	if (getloadavg(load, 1) != 1)
		load[0] = -1;
	pthread_mutex_lock(&lock);
	vps_total = last_total;
	vps_running = last_running;
	pthread_mutex_unlock(&lock);
	return json_pack(
		"{s:I,s:o,s:o,s:o,s:i,s:i,s:i}", "cpus", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
		"memory_total", num_or_null(total), "memory_available", num_or_null(avail), "load1",
		load[0] < 0 ? json_null() : json_real(load[0]), "vps_total", (int)vps_total,
		"vps_running", (int)vps_running, "sample_interval", (int)interval);
}
