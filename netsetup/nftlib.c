/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "msg.h"

#include "nftlib.h"

/* The soname Debian's libnftables1 ships; the -dev package's headers match it. */
#define NFTLIB_SONAME "libnftables.so.1"
#define LOCK_WAIT_MS  10000

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

void nftlib_ctx_close(struct nftctx *n)
{
	int saved = errno;

	if (n->ctx)
		n->lib.ctx_free(n->ctx);
	n->ctx = NULL;
	errno = saved;
}

int nftlib_ctx_open(struct nftctx *n, struct vps_error *err)
{
	int r = nftlib_open(&n->lib, err);

	n->ctx = NULL;
	if (r < 0)
		return r;
	n->ctx = n->lib.ctx_new(NFT_CTX_DEFAULT);
	if (!n->ctx)
		return -ENOMEM;
	if (n->lib.ctx_buffer_output(n->ctx) < 0 || n->lib.ctx_buffer_error(n->ctx) < 0)
		return -ENOMEM;
	return 0;
}

/* The first line of libnftables's error text, which names what failed. */
static void copy_error(const char *text, struct vps_error *err, int code)
{
	vps_error_set(err, code, "%.*s", (int)strcspn(text ? text : "", "\n"), text ? text : "");
}

int nftlib_run(struct nftctx *n, const char *cmd, char **ret_out, struct vps_error *err)
{
	if (n->lib.run_cmd_from_buffer(n->ctx, cmd) != 0) {
		const char *e = n->lib.ctx_get_error_buffer(n->ctx);

		log_debug("nft failed: %s", e ? e : "");
		copy_error(e, err, -EPROTO);
		return -EPROTO;
	}
	if (ret_out) {
		*ret_out = strdup(n->lib.ctx_get_output_buffer(n->ctx) ?: "");
		if (!*ret_out)
			return -ENOMEM;
	}
	return 0;
}

/*
 * A file in a root-only directory, not a name in the network namespace (an abstract socket,
 * the nsfs inode), which any user of the node could hold to stop every start.
 */
int nftlib_lock_take(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	for (int waited = 0;; waited += 2) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return TAKE_FD(fd);
		if (errno != EWOULDBLOCK)
			return -errno;
		if (waited >= LOCK_WAIT_MS)
			return -ETIMEDOUT;
		(void)nanosleep(&(struct timespec){0, 2 * 1000 * 1000}, NULL);
	}
}

int nftlib_name_plain(const char *s)
{
	if (netsetup_ifname_check(s) < 0)
		return -EINVAL;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
		            *s))
			return -EINVAL;
	return 0;
}
