/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libnftables, loaded when a node-services rule is first needed rather than linked: it pulls
 * five libraries (libnftnl, libxtables, libjansson, libgmp, libmnl) whose loading every
 * vpsctl command paid, `status` and `list` included, though only a start, a stop and a
 * resize of a VPS with an address use it.
 */
#pragma once

#include <nftables/libnftables.h>

#include "error.h"

struct nftlib {
	struct nft_ctx *(*ctx_new)(uint32_t flags);
	void (*ctx_free)(struct nft_ctx *ctx);
	int (*ctx_buffer_output)(struct nft_ctx *ctx);
	int (*ctx_buffer_error)(struct nft_ctx *ctx);
	const char *(*ctx_get_output_buffer)(struct nft_ctx *ctx);
	const char *(*ctx_get_error_buffer)(struct nft_ctx *ctx);
	int (*run_cmd_from_buffer)(struct nft_ctx *ctx, const char *buf);
};

/* Fills ret with the library's entry points, loading it on the first call; -ELIBACC with err
 * saying why when it cannot be loaded (then nothing that needs it may go ahead: fail closed). */
int nftlib_open(struct nftlib *ret, struct vps_error *err);
