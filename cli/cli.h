/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the CLI verbs share: the parsed global options and the one-line error convention. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "error.h"
#include "ops.h"
#include "paths.h"
#include "storage.h"

struct cli {
	struct vps_paths paths;
	struct node_config node;
	const char *verb;
	char **argv0; /* main's argv, to hand a verb to another program */
};

#define EXIT_USAGE 2

/* A library call's note: "vpsctl: NAME: text" on stderr. */
void cli_note(const char *name, const char *text);
/* How start unpacks an overlay's missing shared tree: verbs-archive.c's in vpsctl-template,
 * NULL in vpsctl (verbs-handoff.c), whose start then hands itself over. */
extern const vps_tree_unpack_fn cli_tree_unpack;

/* The node the library calls (ops.h) act on: this command's. */
static inline struct ops_ctx cli_ops(const struct cli *c)
{
	return (struct ops_ctx){.paths = &c->paths,
	                        .node = &c->node,
	                        .note = cli_note,
	                        .tree_unpack = cli_tree_unpack};
}

/* Prints "vpsctl: NAME: message" (NAME may be NULL) and returns EXIT_FAILURE. */
int cli_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The boundary for an error object: its reason in cli_fail's one line, or the text of r
 * (0: of the error's own code) when no reason was given. Returns EXIT_FAILURE. */
int cli_fail_error(const char *name, const struct vps_error *e, int r);
/* vps_idmap_allocate's failure r in one line: a lock wait that ran out says so. */
int cli_fail_idmap(const char *name, int r);
/* Prints "vpsctl: VERB: message" plus a --help hint and returns EXIT_USAGE. */
/* Runs vpsctl-template (the build with libarchive) with our own argv; returns only on failure. */
int cli_exec_archive_build(struct cli *c);
int cli_usage_error(const struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The usage error for the option getopt just refused (argv[optind - 1]). */
int cli_bad_option(const struct cli *c, char **argv);
/* Loads the node config (exits the verb with a clear line if it is corrupt). */
int cli_load_node(struct cli *c);
/* The verbs that take one VPS name: checks the operand (argv[optind]) and loads the node
 * config; 0, or the exit status after one line of error. */
int cli_one_vps(struct cli *c, int argc, char **argv);
/* Checks a VPS name before anything is touched. */
int cli_check_name(const struct cli *c, const char *name);
/* Takes the VPS lock, or prints why not; returns the fd or -1. */
int cli_lock(const struct cli *c, const char *name);
/* The names of every VPS of the node, in natural order (bb1, bb2, bb10); a strv. */
int cli_vps_names(struct cli *c, char ***ret, size_t *ret_n);
/* Loads an existing VPS's config; prints the error. */
int cli_load_vps(const struct cli *c, const char *name, struct vps_config *ret);
/* Parses the sub-command's options: returns the index of the first operand or -1 after an
 * error message; handles --help by printing usage and returning -2. */
void cli_print_help(const char *usage, const char *const *lines);

/* systemd's generator reads ONBOOT: have it run again (on a real node running systemd). */
void cli_systemd_reload(const struct cli *c);

/* JSON output helpers. */
void json_string(FILE *f, const char *s);

/* The verbs. create and template are built twice (meson.build): in vpsctl-template from
 * cmd-create.c and cmd-template.c, in vpsctl by verbs-handoff.c, which hands the command to
 * vpsctl-template. */
int cmd_create(struct cli *c, int argc, char **argv);
int cmd_destroy(struct cli *c, int argc, char **argv);
int cmd_start(struct cli *c, int argc, char **argv);
int cmd_autostart(struct cli *c, int argc, char **argv);
int cmd_stop(struct cli *c, int argc, char **argv);
int cmd_restart(struct cli *c, int argc, char **argv);
int cmd_suspend(struct cli *c, int argc, char **argv);
int cmd_checkpoint(struct cli *c, int argc, char **argv);
int cmd_restore_checkpoint(struct cli *c, int argc, char **argv);
int cmd_resume(struct cli *c, int argc, char **argv);
int cmd_migrate(struct cli *c, int argc, char **argv);
int cmd_migrate_target(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_exec(struct cli *c, int argc, char **argv);
int cmd_enter(struct cli *c, int argc, char **argv);
int cmd_template(struct cli *c, int argc, char **argv);
int cmd_resize(struct cli *c, int argc, char **argv);
int cmd_stats(struct cli *c, int argc, char **argv);
int cmd_console(struct cli *c, int argc, char **argv);
int cmd_log(struct cli *c, int argc, char **argv);
int cmd_enable(struct cli *c, int argc, char **argv);
int cmd_disable(struct cli *c, int argc, char **argv);
int cmd_net(struct cli *c, int argc, char **argv);

/* list -o's metering fields (cmd-net.c): NULL-terminated; the value of one for the VPS of cfg
 * ("-" without an interface; cfg NULL: only whether field is one), -ENOKEY if it is none. */
const char *const *cli_net_fields(void);
int cli_net_field(const struct cli *c, const struct vps_config *cfg, const char *field, char *buf,
                  size_t len);
int cmd_set(struct cli *c, int argc, char **argv);
int cmd_reinstall(struct cli *c, int argc, char **argv);
int cmd_clone(struct cli *c, int argc, char **argv);
/* 0 when NAME is stopped; else prints why not (its state, then "stop it first (why)"). */
int cli_check_stopped(struct cli *c, const char *name, const char *why);
int cmd_snapshot(struct cli *c, int argc, char **argv);
/* backup and restore (cmd-backup.c, cmd-restore.c: vpsctl-template's) */
int cmd_backup(struct cli *c, int argc, char **argv);
int cmd_restore(struct cli *c, int argc, char **argv);
/* The lock of a VPS that does not exist yet (clone's DST, restore's); prints why not. */
int cli_lock_new(struct cli *c, const char *name);
/* CLOCK_MONOTONIC in milliseconds, for the durations commands report. */
uint64_t cli_now_ms(void);
