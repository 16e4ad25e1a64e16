/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "list-rows.h"

struct rows_job {
	size_t n;
	atomic_size_t next; /* the next row nobody has taken */
	list_row_fn fn;
	void *userdata;
};

static void *rows_worker(void *arg)
{
	struct rows_job *j = arg;

	for (size_t k; (k = atomic_fetch_add(&j->next, 1)) < j->n;)
		j->fn(k, j->userdata);
	return NULL;
}

void list_rows_build(size_t n, list_row_fn fn, void *userdata)
{
	struct rows_job j = {.n = n, .fn = fn, .userdata = userdata};
	pthread_t t[LIST_ROWS_THREADS - 1];
	bool started[LIST_ROWS_THREADS - 1] = {false};

	atomic_init(&j.next, 0);
	if (n >= LIST_ROWS_PARALLEL_MIN)
		for (size_t i = 0; i < LIST_ROWS_THREADS - 1; i++)
			started[i] = pthread_create(&t[i], NULL, rows_worker, &j) == 0;
	/* the caller is one of the workers */
	rows_worker(&j);
	for (size_t i = 0; i < LIST_ROWS_THREADS - 1; i++)
		if (started[i])
			(void)pthread_join(t[i], NULL);
}
