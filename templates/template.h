/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The OS template store: a template is NAME.tar.{zst,xz,gz} plus NAME.sha256 and NAME.meta
 * (KEY=value) in the templates directory. Unpacking treats the tarball as hostile input.
 * Functions return 0 or -errno and log only at debug level.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct vps_template_meta {
	char name[33];
	char os[32];
	char release[32];
	char arch[16];
	char init[256];      /* the VPS init to exec, e.g. /sbin/init */
	int poweroff_signal; /* what makes that init power off: SIGUSR2 busybox, SIGRTMIN+4 systemd */
	uint64_t created;    /* unix time */
	uint64_t size;       /* bytes of the tarball */
	char sha256[65];
	char file[PATH_MAX]; /* absolute path of the tarball */
};

struct template_unpack_opts {
	uint64_t max_bytes;   /* total unpacked size cap (0 = default) */
	uint64_t max_entries; /* entry count cap (0 = default) */
	uid_t uid_shift;      /* added to every uid (user-namespace VPSes) */
	gid_t gid_shift;
	bool allow_devices;   /* device nodes are skipped unless set */
};

/* Builds TEMPLATES_DIR/NAME.tar.* from a static busybox binary (a tiny OS root: init with an
 * inittab, /etc/passwd, /etc/hostname, a shell) and writes its checksum and metadata. */
int template_build_busybox(const char *templates_dir, const char *name, const char *busybox_path,
			   struct vps_template_meta *ret);
/* Reads NAME's metadata; -ENOENT when there is no such template. */
int template_lookup(const char *templates_dir, const char *name, struct vps_template_meta *ret);
/* Every template in the store, sorted by name; free(*ret). */
int template_list(const char *templates_dir, struct vps_template_meta **ret, size_t *ret_n);
/* Recomputes the SHA-256 and compares it with the stored one (-EBADMSG on mismatch). */
int template_verify(const struct vps_template_meta *meta);
/* Unpacks tarball into parent_fd/dest_name: a temp dir beside it, renamed into place at the end,
 * so a failure leaves nothing. dest_name must not exist. On refusal, ret_reason (if not NULL,
 * size 256) names the entry and the rule it broke. */
int template_unpack(const char *tarball, int parent_fd, const char *dest_name,
		    const struct template_unpack_opts *opts, char *ret_reason);
