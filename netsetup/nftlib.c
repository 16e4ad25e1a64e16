/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "nftlib.h"

/* The soname Debian's libnftables1 ships; the -dev package's headers match it. */
#define NFTLIB_SONAME "libnftables.so.1"

static int load(struct nftlib *l, char *err, size_t errlen)
{
	/* Loaded by the first call and found again by the next (dlopen counts references);
	 * RTLD_NODELETE keeps the entry points valid, as the handle is never closed. */
	void *h = dlopen(NFTLIB_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	struct {
		void **slot;
		const char *name;
	} syms[] = {
		{(void **)&l->ctx_new, "nft_ctx_new"},
		{(void **)&l->ctx_free, "nft_ctx_free"},
		{(void **)&l->ctx_buffer_output, "nft_ctx_buffer_output"},
		{(void **)&l->ctx_buffer_error, "nft_ctx_buffer_error"},
		{(void **)&l->ctx_get_output_buffer, "nft_ctx_get_output_buffer"},
		{(void **)&l->ctx_get_error_buffer, "nft_ctx_get_error_buffer"},
		{(void **)&l->run_cmd_from_buffer, "nft_run_cmd_from_buffer"},
	};

	if (!h) {
		snprintf(err, errlen, "cannot load %s (package libnftables1): %s", NFTLIB_SONAME,
			 dlerror());
		return -ELIBACC;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(err, errlen, "%s has no %s", NFTLIB_SONAME, syms[i].name);
			return -ELIBACC;
		}
	}
	return 0;
}

int nftlib_open(struct nftlib *ret, char *err, size_t errlen)
{
	char why[256] = "";
	int r = load(ret, why, sizeof(why));

	if (r < 0 && err && errlen)
		snprintf(err, errlen, "%s", why);
	return r;
}
