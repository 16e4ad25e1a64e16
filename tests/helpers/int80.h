/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A syscall through the i386 entry point (int 0x80), which a 64-bit program can use too when
 * the kernel has IA32 emulation. x86_64 only; returns -errno like the kernel. */
#pragma once

#if defined(__x86_64__)
static inline long int80(long nr, long a, long b, long c, long d)
{
	long ret;

	__asm__ volatile("int $0x80"
	                 : "=a"(ret)
	                 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
	                 : "memory");
	return ret;
}
#endif
