/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <archive.h>
#include <errno.h>

#include "cleanup.h"
#include "log.h"
#include "template-internal.h"

void template_archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

/* Only in-process decompressors: filter_all would also run external programs (lrzip, lzop...)
 * on hostile input. */
int template_archive_open(int fd, struct archive **ret)
{
	_cleanup_(template_archive_freep) struct archive *a = archive_read_new();

	if (!a)
		return -ENOMEM;
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
	    archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK)
		return -EOPNOTSUPP;
	if (archive_read_open_fd(a, fd, TEMPLATE_ARCHIVE_BUF_SIZE) != ARCHIVE_OK) {
		log_debug("libarchive: %s", archive_error_string(a) ?: "cannot open");
		return -EBADMSG;
	}
	*ret = TAKE_PTR(a);
	return 0;
}
