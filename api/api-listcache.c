/* SPDX-License-Identifier: GPL-2.0-or-later */
/* api-listcache.h: a single-flight cache of one output. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-listcache.h"
#include "api-ops.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static struct api_run cached;
static uint64_t cached_at, generation;
static bool running;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int copy(struct api_run *ret)
{
	*ret = cached;
	ret->out = strdup(cached.out);
	return ret->out ? 0 : -ENOMEM;
}

int api_list_get(struct api_ctx *ctx, struct api_run *ret)
{
	struct api_run fresh;
	uint64_t gen;
	int r;

	pthread_mutex_lock(&lock);
	for (;;) {
		if (cached.out && cached.status == 0 && now_ms() - cached_at < API_LIST_TTL_MS) {
			r = copy(ret);
			pthread_mutex_unlock(&lock);
			return r;
		}
		if (!running)
			break;
		pthread_cond_wait(&done, &lock);
	}
	running = true;
	gen = generation;
	pthread_mutex_unlock(&lock);

	r = api_ops_run(ctx, api_ops_list, NULL, NULL, &fresh);

	pthread_mutex_lock(&lock);
	running = false;
	/* an action since the start may be missing from it: answer it, keep it not */
	if (r == 0 && fresh.status == 0 && gen == generation) {
		api_run_done(&cached);
		cached = fresh;
		cached_at = now_ms();
		r = copy(ret);
	} else if (r == 0) {
		*ret = fresh;
	}
	pthread_cond_broadcast(&done);
	pthread_mutex_unlock(&lock);
	return r;
}

void api_list_invalidate(void)
{
	pthread_mutex_lock(&lock);
	generation++;
	cached_at = 0;
	pthread_mutex_unlock(&lock);
}
