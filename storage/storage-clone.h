/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The storage of a new VPS copied from a stopped one (vpsctl clone), its files moved from the
 * source's id range onto the new VPS's: copy storage, the root filesystem; overlay, the upper
 * layer (the lower stays the template's shared tree); a disk image, the image (a reflink where
 * the file system can, else a sparse copy), its files moved inside it. Nothing of the source is
 * followed (tree_copy_at).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

/* Fills the new VPS directory ddir (still under its hidden name, at path ddir_path) from the
 * directory sdir of the stopped VPS src; dst is the new VPS's config (its UID_BASE already
 * allocated). err says which step failed. */
int vps_storage_clone(int sdir, int ddir, const char *ddir_path, const struct vps_config *src,
                      const struct vps_config *dst, struct vps_error *err);

/* Copies the disk image sdir/sname to ddir/dname (which must not exist), 0600 and owned like
 * it: a reflink where the file system can (*ret_reflinked), else only its data (holes stay
 * holes), by copy_file_range where the kernel can. */
int vps_image_copy(int sdir, const char *sname, int ddir, const char *dname, bool *ret_reflinked);
