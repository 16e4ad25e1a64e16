/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl's side of the two builds (meson.build): the verbs that unpack tarballs live in
 * vpsctl-template, so that this binary does not load libarchive and its libraries on every
 * command. Here they hand the whole command line over to it.
 */
#include "cli.h"

int cmd_create(struct cli *c, int argc, char **argv)
{
	return cli_exec_archive_build(c);
}

int cmd_reinstall(struct cli *c, int argc, char **argv)
{
	return cli_exec_archive_build(c);
}

int cmd_template(struct cli *c, int argc, char **argv)
{
	return cli_exec_archive_build(c);
}

int cmd_backup(struct cli *c, int argc, char **argv)
{
	return cli_exec_archive_build(c);
}

int cmd_restore(struct cli *c, int argc, char **argv)
{
	return cli_exec_archive_build(c);
}

/* No unpacking here: start hands itself over when an overlay's shared tree is missing. */
const vps_tree_unpack_fn cli_tree_unpack = NULL;
