/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File helpers: atomic replace, bounded reads, single-value writes, careful recursive removal,
 * opening under a root that a tenant owns. */
#pragma once

#include <dirent.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes all of buf, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);
/* Replace dirfd/name with content: temp file, fsync, rename, fsync of the directory. */
int write_file_atomic_at(int dirfd, const char *name, const char *content, size_t len, mode_t mode);
/* Read at most max bytes (more is -EFBIG); the result is NUL-terminated. */
/* The same from an open fd (a pipe: until its end). */
int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len);
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);
/* A small procfs, sysfs or cgroupfs file that the kernel makes in one record (one show call:
 * a counter, /proc/PID/stat) read with one read(2) into buf, NUL-terminated: its length, or
 * -EFBIG if it may not fit in size - 1 bytes (then read it with read_file_at), or -errno. No
 * read for EOF, which doubles the reads of a node-wide list. Not for a file of many records
 * (cgroup.procs: a short read is not its end) nor for regular files. */
ssize_t read_kernel_text_at(int dirfd, const char *path, char *buf, size_t size);
/* One write(2) of s to an existing file (procfs, sysfs, cgroupfs). */
int write_string_at(int dirfd, const char *path, const char *s);
/* A DIR stream over a duplicate of fd (fd stays the caller's); NULL with errno on failure. */
DIR *opendir_dup(int fd);
/* mkdir -p, each component created with mode; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode);
/* Remove dirfd/name recursively without following symlinks or crossing mounts. */
int rm_rf_at(int dirfd, const char *name);
/* The same for directories only, deepest first (a cgroup tree: a group's files go with it);
 * any other file in the tree is left, so its directory stays (-ENOTEMPTY). Deeper than
 * RMDIR_TREE_MAX_DEPTH is -ELOOP: a tenant may build the tree. */
#define RMDIR_TREE_MAX_DEPTH 32
int rmdir_tree_at(int dirfd, const char *name);
/* Opens path under rootfd as if rootfd were "/" (openat2 RESOLVE_IN_ROOT): ".." and absolute
 * symlinks stay inside it, magic links (/proc/PID/fd/N) are refused. resolve adds RESOLVE_*
 * flags (RESOLVE_NO_SYMLINKS: -ELOOP at any symlink). O_CLOEXEC is always set; mode is for
 * O_CREAT. The fd or -errno. */
int open_in_root(int rootfd, const char *path, int flags, mode_t mode, uint64_t resolve);
/* The start time of a process (field 22 of /proc/PID/stat), which tells a pid's reuse apart. */
int proc_start_time(pid_t pid, unsigned long long *ret);
/* The start time, the state letter (R, S, Z...) and the parent of a process (NULL: not wanted). */
int proc_stat(pid_t pid, unsigned long long *ret_start, char *ret_state, pid_t *ret_ppid);
/* Closes every fd from 3 up except those in keep (negative entries are ignored). */
int close_all_but(const int *keep, size_t n);
/* Waits up to timeout_ms for fd to be readable (a pidfd: its process ended); -ETIMEDOUT. */
int fd_wait_readable(int fd, int timeout_ms);
