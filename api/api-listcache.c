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

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int copy(const struct api_listcache *l, struct api_run *ret)
{
	*ret = l->cached;
	ret->out = strdup(l->cached.out);
	return ret->out ? 0 : -ENOMEM;
}

int api_list_get(struct api_ctx *ctx, struct api_run *ret)
{
	struct api_listcache *l = &ctx->list;
	struct api_run fresh;
	uint64_t gen;
	int r;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		if (l->cached.out && l->cached.status == 0 &&
		    now_ms() - l->cached_at < API_LIST_TTL_MS) {
			r = copy(l, ret);
			pthread_mutex_unlock(&l->lock);
			return r;
		}
		if (!l->running)
			break;
		pthread_cond_wait(&l->done, &l->lock);
	}
	l->running = true;
	gen = l->generation;
	pthread_mutex_unlock(&l->lock);

	r = api_ops_run(ctx, api_ops_list, NULL, NULL, &fresh);

	pthread_mutex_lock(&l->lock);
	l->running = false;
	/* an action since the start may be missing from it: answer it, keep it not */
	if (r == 0 && fresh.status == 0 && gen == l->generation) {
		api_run_done(&l->cached);
		l->cached = fresh;
		l->cached_at = now_ms();
		r = copy(l, ret);
	} else if (r == 0) {
		*ret = fresh;
	}
	pthread_cond_broadcast(&l->done);
	pthread_mutex_unlock(&l->lock);
	return r;
}

void api_list_invalidate(struct api_ctx *ctx)
{
	struct api_listcache *l = &ctx->list;

	pthread_mutex_lock(&l->lock);
	l->generation++;
	l->cached_at = 0;
	pthread_mutex_unlock(&l->lock);
}
