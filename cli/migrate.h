/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl migrate (issue 18 item 3): what the source (cmd-migrate.c) and the target
 * (cmd-migrate-target.c) share: the transport that runs `vpsctl ARGS` on the target, and the
 * marker file that records a migration's phase in the VPS's directory, so that a migrate killed
 * mid-way is finished or rolled back by `vpsctl migrate --recover NAME`.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cli.h"
#include "marker.h"

/* The target node: ssh://[user@]host[:port][/root-path], or a local root (a subprocess, in
 * the network namespace netns when set: two nodes on one machine, tests). */
struct migrate_dest {
	char url[512];
	bool local;
	char user[64], host[256], port[8];
	char root[256];       /* the target's --root ("" none) */
	char netns[256];      /* local: setns into this before running the target side */
	char ssh_config[256]; /* ssh: its -F file ("" none; vpsctl.conf MIGRATE_SSH_CONFIG) */
	char control[108];    /* ssh: the migration's master connection's socket ("" none) */
};

int migrate_dest_parse(const char *url, struct migrate_dest *d, char *why, size_t why_len);
/* url in the marker: the same for a local destination (local:ROOT[,NETNS]) */
void migrate_dest_format(const struct migrate_dest *d, char *buf, size_t len);

/* Runs `vpsctl [--root R] args...` on the target, stdin from in_fd (-1: /dev/null), stdout and
 * stderr into out (NUL-terminated, truncated). Returns its exit status, -errno if it could not
 * be run, 255 for ssh's own failure. */
int migrate_remote(const struct migrate_dest *d, const char *const *args, int in_fd, char *out,
                   size_t out_len);
/* ssh: one connection for the whole migration (ssh -M -N, a child that gets SIGTERM when this
 * process dies), which every ssh of migrate_remote then goes through (one key exchange, not
 * one per step: the frozen phase makes four). Its pid, 0 when not used (local, a path ssh
 * cannot take), -errno; the steps connect on their own while it is not up. */
pid_t migrate_ssh_master_start(struct migrate_dest *d, const char *control);
void migrate_ssh_master_stop(pid_t pid, struct migrate_dest *d);
/* Forks argv (a local program, stdout into the returned pipe's read end *ret_fd). */
pid_t migrate_spawn_reader(const char *const *argv, int *ret_fd);
/* Waits for pid; its exit status (128+sig when killed). */
int migrate_wait(pid_t pid);

/* The marker: VPSDIR/migrate (ops/marker.h). */
/* -ENOENT when there is none. */
int migrate_marker_read(const struct cli *c, const char *name, struct migrate_marker *m);
int migrate_marker_write(const struct cli *c, const char *name, const struct migrate_marker *m);
int migrate_marker_remove(const struct cli *c, const char *name);
/* For the other verbs: 0, or prints that NAME is being migrated (and how to finish it) and
 * returns EXIT_FAILURE. */
int cli_check_not_migrating(const struct cli *c, const char *name);

/* --recover's VPS lock (migrate-lock.c): while a live criu holds it (it inherited the lock from
 * a migrate killed in its frozen phase and still dumps), waits for it, however long, and says
 * so once; then waits LOCK_TIMEOUT as cli_lock() does for anyone else. The fd, or -1 (said). */
int migrate_recover_lock(const struct cli *c, const char *name);

/* After criu restored a user-namespace VPS (restore-checkpoint, migrate): says that criu 3.17
 * made its user namespace as root, so what the kernel charges to the owner is root's until
 * the VPS's next start (docs/checkpoint-notes.md). */
void cli_warn_userns_owner(const char *name);
