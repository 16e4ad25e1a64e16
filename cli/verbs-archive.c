/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl-template's side of the two builds (meson.build): with libarchive linked, create and
 * template run here (cmd-create.c, cmd-template.c), and start unpacks a missing shared tree
 * itself.
 */
#include "cli.h"
#include "storage.h"

const vps_tree_unpack_fn cli_tree_unpack = vps_storage_unpack_tree;
