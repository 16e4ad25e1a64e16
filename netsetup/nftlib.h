/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libnftables, loaded when a node-services rule is first needed rather than linked: it pulls
 * five libraries (libnftnl, libxtables, libjansson, libgmp, libmnl) whose loading every
 * vpsctl command paid, `status` and `list` included, though only a start, a stop and a
 * resize of a VPS with an address use it.
 */
#pragma once

#include <nftables/libnftables.h>

#include "cleanup.h"
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

/* A libnftables context with the library it came from; one per public call (closing its
 * netlink socket costs milliseconds after a commit). */
struct nftctx {
	struct nftlib lib;
	struct nft_ctx *ctx;
};
void nftlib_ctx_close(struct nftctx *n);
#define _cleanup_nft_ _cleanup_(nftlib_ctx_close)
/* Output and errors buffered: each get returns only the last command's. */
int nftlib_ctx_open(struct nftctx *n, struct vps_error *err);
/* Runs nft commands; ret_out (may be NULL) gets a malloc'd copy of what they print. On
 * failure -EPROTO and err gets the first line of libnftables's message. */
int nftlib_run(struct nftctx *n, const char *cmd, char **ret_out, struct vps_error *err);
/* 1 when the table (family "inet" or "ip", as nft spells them) exists, 0 when not, -errno when
 * that is not known (then go the long way: fail closed). One nfnetlink request, no
 * libnftables (nft-probe.c). */
int nftlib_table_exists(const char *family, const char *name);
/* An flock on path (a file in a root-only directory), waited for up to 10 s: the fd. */
int nftlib_lock_take(const char *path);
/* Names go into nft's command text (interface names quoted, chain names bare): an interface
 * name of plain characters only, or -EINVAL. */
int nftlib_name_plain(const char *s);
