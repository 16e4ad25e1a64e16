/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>

#include "nftlib.h"

/* The soname Debian's libnftables1 ships; the -dev package's headers match it. */
#define NFTLIB_SONAME "libnftables.so.1"

int nftlib_open(struct nftlib *l, struct vps_error *err)
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
		return vps_error_set(err, -ELIBACC, "cannot load %s (package libnftables1): %s",
		                     NFTLIB_SONAME, dlerror());
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot)
			return vps_error_set(err, -ELIBACC, "%s has no %s", NFTLIB_SONAME,
			                     syms[i].name);
	}
	return 0;
}
