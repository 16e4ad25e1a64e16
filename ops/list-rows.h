/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rows of a node-wide list (list, stats --all) built in parallel: a row is a dozen small
 * kernel reads, each waiting on a syscall, so a thousand rows go faster on a few threads. The
 * caller owns one slot per row and prints them in its own order once all are built, so the
 * output is the same whatever the threads did.
 */
#pragma once

#include <stddef.h>

/* Fewer rows are built in the caller's thread: threads cost more than they save there. */
#define LIST_ROWS_PARALLEL_MIN 64
#define LIST_ROWS_THREADS      4

/* fn(k, userdata) once for every k in [0, n), in any order and maybe at once: fn writes only
 * what belongs to row k and reads only what no other row writes. Returns once all are done;
 * a thread that cannot be started leaves its share to the others (never fails). */
typedef void (*list_row_fn)(size_t k, void *userdata);
void list_rows_build(size_t n, list_row_fn fn, void *userdata);
