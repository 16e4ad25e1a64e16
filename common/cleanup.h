/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scope-bound cleanup helpers shared by every folder. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

#ifdef __CPPCHECK__
/* cppcheck 2.10 does not model the cleanup attribute and would report every such variable as
 * leaked; to it they are static (never leaked), while plain variables are still checked. */
#define _cleanup_(f) static
#else
#define _cleanup_(f) __attribute__((cleanup(f)))
#endif

static inline void freep(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}

static inline void closep(int *fd)
{
	int saved = errno;
	if (*fd >= 0)
		close(*fd);
	*fd = -EBADF;
	errno = saved;
}

static inline void fclosep(FILE **f)
{
	int saved = errno;
	if (*f)
		fclose(*f);
	errno = saved;
}

static inline void closedirp(DIR **d)
{
	int saved = errno;
	if (*d)
		closedir(*d);
	errno = saved;
}

static inline void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static inline void strv_freep(char ***v)
{
	int saved = errno;
	strv_free(*v);
	errno = saved;
}

#define _cleanup_free_      _cleanup_(freep)
#define _cleanup_close_     _cleanup_(closep)
#define _cleanup_fclose_    _cleanup_(fclosep)
#define _cleanup_closedir_  _cleanup_(closedirp)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Hand a value on and disarm the cleanup of the variable it came from. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -EBADF;                                                                     \
		_fd;                                                                               \
	})

#define ELEMENTSOF(a)  (sizeof(a) / sizeof((a)[0]))
#define _unused_       __attribute__((unused))
#define _noreturn_     __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

/* Return -errno of the last failed libc call, never 0 (a guard against lost errno). */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}
