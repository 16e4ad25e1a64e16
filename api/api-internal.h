/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the daemon's modules share: its settings. */
#pragma once

#include <stdbool.h>

#include "paths.h"

struct api_ctx {
	struct vps_paths paths;
	const char *root; /* --root as given ("" for the real node) */
	const char *vpsctl;
	const char *panel_dir; /* static files served under /panel/; NULL: none */
	char token_file[4096];
	unsigned action_timeout_s;
	volatile bool stopping;
};
