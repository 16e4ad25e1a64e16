/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli.h"

int cmd_clone(struct cli *c, int argc, char **argv)
{
	return cli_fail(NULL, "clone: not yet");
}
