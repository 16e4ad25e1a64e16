/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the daemon's modules share: its settings. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api-run.h"
#include "paths.h"

/* The list every GET /v1/vps of the same second shares (api-listcache.h), under lock. */
struct api_listcache {
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct api_run cached;
	uint64_t cached_at, generation;
	bool running;
};

struct api_ctx {
	struct vps_paths paths;
	const char *root; /* --root as given ("" for the real node) */
	const char *vpsctl;
	const char *panel_dir; /* static files served under /panel/; NULL: none */
	char token_file[4096];
	unsigned action_timeout_s;
	struct api_listcache list;
	volatile bool stopping;
};
