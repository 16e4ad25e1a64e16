/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attack: a static program run as root inside a vpsctl VPS that tries, one subcommand each, the
 * ways out a hostile customer would try. Every attempt is built so that even if it got through
 * it would change nothing on the host (a value written back unchanged, a syscall given invalid
 * arguments that the kernel only checks after the permission check), and the answer tells
 * which check stopped it: the errno the VPS's defences give (EPERM from seccomp or a missing
 * capability, EROFS from a read-only mount, EACCES from nodev).
 *
 * Output: "BLOCKED <name>" or "ESCAPED <name>: detail" per attack; exit 0 only if all were
 * blocked, 1 if one escaped, 2 on a usage error or when it refuses to run.
 *
 * It refuses to run anywhere but inside the VPS the test prepared: /etc/vpsctl-hostile-token
 * must hold the token given with --token, the pid namespace must differ from the host's
 * (--host-pidns, the test's readlink of /proc/self/ns/pid), and init must sit at the root of a
 * cgroup namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../helpers/int80.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#define PROC_SUPER_MAGIC 0x9fa0
#define TOKEN_FILE       "/etc/vpsctl-hostile-token"
#define DETAIL_MAX       512

struct opts {
	const char *token;
	const char *host_pidns;
	uint64_t capbnd; /* expected CapBnd, or UINT64_MAX to skip the comparison */
	dev_t exe_dev;   /* the host's vpsctl binary, or 0 */
	ino_t exe_ino;
	unsigned seconds; /* how long `procs` keeps scanning */
};

/* One verdict: detail stays empty when blocked. */
struct verdict {
	char detail[DETAIL_MAX];
};

static __attribute__((format(printf, 2, 3))) void escaped(struct verdict *v, const char *fmt, ...)
{
	size_t used = strlen(v->detail);
	va_list ap;

	if (used + 3 >= sizeof(v->detail))
		return;
	if (used)
		strcat(v->detail, "; ");
	va_start(ap, fmt);
	vsnprintf(v->detail + strlen(v->detail), sizeof(v->detail) - strlen(v->detail), fmt, ap);
	va_end(ap);
}

/* A call that must fail with want (or want2 when non-zero). */
static void expect_errno(struct verdict *v, const char *what, long r, int want, int want2)
{
	if (r >= 0)
		escaped(v, "%s succeeded", what);
	else if (errno != want && (want2 == 0 || errno != want2))
		escaped(v, "%s: %s (want %s)", what, strerror(errno), strerror(want));
}

static bool blocked_errno(int e)
{
	return e == EPERM || e == EACCES || e == EROFS || e == ENOENT;
}

static ssize_t read_small(const char *path, char *buf, size_t len, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	if (n >= 0)
		buf[n] = '\0';
	close(fd);
	return n;
}

/* --- masked /proc paths, /sys/firmware, the kernel log (issue tests 1, 14) --- */

static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return true;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

static void attack_masked(const struct opts *o, struct verdict *v)
{
	static const char *const files[] = {
		"/proc/kcore",         "/proc/keys",     "/proc/timer_list", "/proc/sched_debug",
		"/proc/latency_stats", "/proc/kallsyms", "/proc/kmsg",
	};
	static const char *const dirs[] = {"/proc/acpi", "/proc/scsi", "/sys/firmware"};
	char buf[4096];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		ssize_t n = read_small(files[i], buf, sizeof(buf), O_NONBLOCK);

		if (n > 0)
			escaped(v, "%s gave %zd bytes", files[i], n);
		else if (n < 0 && !blocked_errno(errno) && errno != EAGAIN)
			escaped(v, "%s: %s", files[i], strerror(errno));
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!dir_is_empty(dirs[i]))
			escaped(v, "%s is not empty", dirs[i]);
}

static void attack_dmesg(const struct opts *o, struct verdict *v)
{
	char buf[256];

	expect_errno(v, "syslog(READ_ALL)", syscall(SYS_syslog, 3, buf, (int)sizeof(buf)), EPERM,
	             0);
	if (read_small("/dev/kmsg", buf, sizeof(buf), O_NONBLOCK) > 0)
		escaped(v, "/dev/kmsg is readable");
}

/* --- host-wide knobs (issue test 2): written back with their current value, so an escape
 * changes nothing, but the write itself must be refused --- */

static void write_back(struct verdict *v, const char *path)
{
	char cur[4096];
	ssize_t n = read_small(path, cur, sizeof(cur), 0);
	int fd;

	if (n < 0)
		return; /* not there, or not even readable */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (!blocked_errno(errno))
			escaped(v, "open %s: %s", path, strerror(errno));
		return;
	}
	if (write(fd, cur, (size_t)n) >= 0)
		escaped(v, "wrote %s", path);
	else if (!blocked_errno(errno))
		escaped(v, "write %s: %s", path, strerror(errno));
	close(fd);
}

static void attack_sysctl(const struct opts *o, struct verdict *v)
{
	static const char *const knobs[] = {
		"/proc/sys/kernel/core_pattern",  "/proc/sys/kernel/modprobe",
		"/proc/sys/kernel/hostname",      "/proc/sys/kernel/panic",
		"/proc/sys/vm/overcommit_memory", "/proc/sys/fs/file-max",
		"/sys/kernel/uevent_helper",      "/sys/kernel/mm/transparent_hugepage/enabled",
	};

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		write_back(v, knobs[i]);
}

/* Never written: if it is the real trigger, being able to open it is the escape. */
static void attack_sysrq(const struct opts *o, struct verdict *v)
{
	struct statfs sf;
	struct stat st;
	int fd;

	if (stat("/proc/sysrq-trigger", &st) < 0)
		return; /* not in this kernel, or gone */
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		return; /* masked with /dev/null */
	if (statfs("/proc/sysrq-trigger", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC) {
		fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			escaped(v, "the real /proc/sysrq-trigger opens for writing");
			close(fd);
		}
	}
}

/* --- mounts (issue test 3) and the cgroup v1 release_agent escape (test 7) --- */

static void try_mount(struct verdict *v, const char *src, const char *target, const char *type,
                      unsigned long flags, const char *data)
{
	char what[128];

	snprintf(what, sizeof(what), "mount %s on %s", type ? type : "(remount)", target);
	if (mount(src, target, type, flags, data) == 0) {
		escaped(v, "%s succeeded", what);
		if (!(flags & MS_REMOUNT))
			(void)umount2(target, MNT_DETACH);
	} else if (errno != EPERM) {
		escaped(v, "%s: %s (want EPERM)", what, strerror(errno));
	}
}

static void attack_mount(const struct opts *o, struct verdict *v)
{
	const char *dir = "/tmp/.hostile-mnt";

	(void)mkdir("/tmp", 01777);
	(void)mkdir(dir, 0700);
	try_mount(v, "proc", dir, "proc", 0, NULL);
	try_mount(v, "sysfs", dir, "sysfs", 0, NULL);
	try_mount(v, "tmpfs", dir, "tmpfs", 0, NULL);
	try_mount(v, "cgroup", dir, "cgroup", 0, "memory");
	try_mount(v, "cgroup2", dir, "cgroup2", 0, NULL);
	try_mount(v, NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL);
	try_mount(v, NULL, "/sys", NULL, MS_REMOUNT | MS_BIND, NULL);
	try_mount(v, "/", dir, NULL, MS_BIND, NULL);
	if (umount2("/proc/keys", MNT_DETACH) == 0)
		escaped(v, "unmounted the /proc/keys mask");
	else if (errno != EPERM)
		escaped(v, "umount /proc/keys: %s (want EPERM)", strerror(errno));
	(void)rmdir(dir);
}

/* In a child, so a success changes nothing of ours. Returns what the child saw: 0 = unshare
 * worked, else its errno. */
static int child_unshare(int flags)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(unshare(flags) == 0 ? 0 : errno);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return EIO;
	return WEXITSTATUS(status);
}

static void attack_release_agent(const struct opts *o, struct verdict *v)
{
	int e = child_unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP);

	if (e == 0)
		escaped(v, "unshare(USER|NS|CGROUP) worked: cgroup v1 can be mounted with a "
		           "release_agent");
	else if (e != EPERM)
		escaped(v, "unshare(USER|NS|CGROUP): %s (want EPERM)", strerror(e));
	try_mount(v, "cgroup", "/tmp", "cgroup", 0, "none,name=hostile,release_agent=/x");
}

/* --- chroot escape (issue test 4) --- */

static void attack_chroot(const struct opts *o, struct verdict *v)
{
	struct stat root, after;
	int status, fd;
	pid_t pid;

	if (stat("/", &root) < 0) {
		escaped(v, "stat /: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* classic: keep a dir fd, chroot deeper, fchdir out, climb, chroot there */
		(void)mkdir("/tmp/.hostile-jail", 0700);
		fd = open("/", O_RDONLY | O_DIRECTORY);
		if (fd < 0 || chroot("/tmp/.hostile-jail") < 0 || fchdir(fd) < 0)
			_exit(3);
		for (int i = 0; i < 256; i++)
			if (chdir("..") < 0)
				break;
		if (chroot(".") < 0 || stat("/", &after) < 0)
			_exit(3);
		/* still inside: "/" is the VPS's root and the token file is there */
		_exit(after.st_dev == root.st_dev && after.st_ino == root.st_ino &&
		                      access(TOKEN_FILE, F_OK) == 0
		              ? 0
		              : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		escaped(v, "the chroot child failed");
		return;
	}
	(void)rmdir("/tmp/.hostile-jail");
	if (WEXITSTATUS(status) == 1)
		escaped(v, "climbed above the VPS's root");
	else if (WEXITSTATUS(status) != 0)
		escaped(v, "could not run the chroot steps (want chroot to work inside)");
	if (stat("/..", &after) < 0 || after.st_ino != root.st_ino || after.st_dev != root.st_dev)
		escaped(v, "/.. is not /");
}

/* --- device nodes (issue test 5) --- */

static void probe_node(struct verdict *v, const char *path, mode_t type, dev_t dev)
{
	int fd;

	(void)unlink(path);
	if (mknod(path, type | 0600, dev) < 0) {
		if (errno != EPERM)
			escaped(v, "mknod %s: %s", path, strerror(errno));
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		char c;

		if (read(fd, &c, 1) >= 0)
			escaped(v, "read %s (%u:%u)", path, major(dev), minor(dev));
		else
			escaped(v, "opened %s (%u:%u)", path, major(dev), minor(dev));
		close(fd);
	} else if (errno != EACCES && errno != EPERM) {
		escaped(v, "open %s: %s (want EACCES)", path, strerror(errno));
	}
	(void)unlink(path);
}

static void attack_mknod(const struct opts *o, struct verdict *v)
{
	static const char *const dirs[] = {"/tmp", "/dev", "/dev/shm", "/"};
	DIR *d;
	struct dirent *e;

	(void)mkdir("/tmp", 01777);
	/* /dev/zero's numbers: harmless to read, so only the mount flags stand in the way */
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[64];

		snprintf(path, sizeof(path), "%s/.hostile-zero",
		         strcmp(dirs[i], "/") ? dirs[i] : "");
		probe_node(v, path, S_IFCHR, makedev(1, 5));
	}
	/* every block device of the host, as sysfs (not namespaced) lists them */
	d = opendir("/sys/dev/block");
	while (d && (e = readdir(d))) {
		unsigned maj, min;

		if (sscanf(e->d_name, "%u:%u", &maj, &min) == 2)
			probe_node(v, "/tmp/.hostile-blk", S_IFBLK, makedev(maj, min));
	}
	if (d)
		closedir(d);
	probe_node(v, "/tmp/.hostile-blk", S_IFBLK, makedev(8, 0));
}

/* --- the blocked syscalls (issue test 6); arguments are invalid where the kernel checks
 * them after the permission check, so a missing filter shows as a different errno --- */

static void attack_syscalls(const struct opts *o, struct verdict *v)
{
	char garbage[64] = {0}, buf[64];
	struct {
		unsigned int bytes;
		int type;
		unsigned char h[8];
	} handle = {8, 1, {0}};

	expect_errno(v, "kexec_load", syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL), EPERM,
	             0);
	expect_errno(v, "kexec_file_load",
	             syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0xdead0000UL), EPERM, 0);
	expect_errno(v, "init_module", syscall(SYS_init_module, garbage, sizeof(garbage), ""),
	             EPERM, 0);
	expect_errno(v, "finit_module", syscall(SYS_finit_module, -1, "", 0), EPERM, 0);
	expect_errno(v, "delete_module",
	             syscall(SYS_delete_module, "vpsctl_hostile_none", O_NONBLOCK), EPERM, 0);
	expect_errno(v, "open_by_handle_at",
	             syscall(SYS_open_by_handle_at, AT_FDCWD, &handle, O_RDONLY), EPERM, 0);
	expect_errno(v, "keyctl",
	             syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), EPERM,
	             0);
	expect_errno(v, "add_key",
	             syscall(SYS_add_key, "user", "hostile", "x", 1, KEY_SPEC_PROCESS_KEYRING),
	             EPERM, 0);
	expect_errno(v, "request_key",
	             syscall(SYS_request_key, "user", "hostile", NULL, KEY_SPEC_PROCESS_KEYRING),
	             EPERM, 0);
	expect_errno(v, "bpf", syscall(SYS_bpf, 9999, NULL, 0), EPERM, 0);
	expect_errno(v, "perf_event_open", syscall(SYS_perf_event_open, garbage, 0, -1, -1, 0),
	             EPERM, 0);
	expect_errno(v, "userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC), EPERM, 0);
	expect_errno(v, "acct", syscall(SYS_acct, "/nonexistent/hostile"), EPERM, 0);
	expect_errno(v, "swapon", syscall(SYS_swapon, "/nonexistent/hostile", 0), EPERM, 0);
	expect_errno(v, "swapoff", syscall(SYS_swapoff, "/nonexistent/hostile"), EPERM, 0);
	expect_errno(v, "syslog", syscall(SYS_syslog, 10, buf, 0), EPERM, 0);
	expect_errno(v, "quotactl",
	             syscall(SYS_quotactl, 0x800002 /* Q_SYNC, USRQUOTA */, NULL, 0, NULL), EPERM,
	             0);
	expect_errno(v, "io_uring_setup", syscall(SYS_io_uring_setup, 1, garbage), ENOSYS, 0);
	/* ENOSYS: a kernel without CONFIG_X86_IOPL_IOPERM */
	expect_errno(v, "iopl", syscall(SYS_iopl, 3), EPERM, ENOSYS);
}

/* --- the clock and the host name (issue test 11) --- */

static void attack_time(const struct opts *o, struct verdict *v)
{
	struct timespec ts = {.tv_sec = 1,
	                      .tv_nsec = 2000000000L}; /* invalid: EINVAL if it got far */
	struct timeval tv = {.tv_sec = 1, .tv_usec = 2000000L};
	struct timex tx = {.modes = ADJ_TICK, .tick = 1}; /* out of range */

	expect_errno(v, "clock_settime", syscall(SYS_clock_settime, CLOCK_REALTIME, &ts), EPERM, 0);
	expect_errno(v, "settimeofday", syscall(SYS_settimeofday, &tv, NULL), EPERM, 0);
	expect_errno(v, "adjtimex(ADJ_TICK)", syscall(SYS_adjtimex, &tx), EPERM, 0);
	expect_errno(v, "sethostname", sethostname("hostile", 7), EPERM, 0);
	write_back(v, "/dev/rtc0");
}

/* --- terminals, sockets, user namespaces (issue test 6) --- */

static void attack_tty(const struct opts *o, struct verdict *v)
{
	static const char *const ttys[] = {"/dev/console", "/dev/tty"};
	char c = '\0';
	char linux_arg = 0; /* TIOCLINUX subcode 0: invalid */

	for (size_t i = 0; i < sizeof(ttys) / sizeof(ttys[0]); i++) {
		int fd = open(ttys[i], O_RDWR | O_NOCTTY | O_CLOEXEC);

		if (fd < 0)
			continue;
		expect_errno(v, "ioctl(TIOCSTI)", ioctl(fd, TIOCSTI, &c), EPERM, 0);
		/* the kernel truncates cmd to 32 bits: the filter must too */
		expect_errno(v, "ioctl(1<<32|TIOCSTI)",
		             syscall(SYS_ioctl, fd, (1UL << 32) | TIOCSTI, &c), EPERM, 0);
		expect_errno(v, "ioctl(TIOCLINUX)", ioctl(fd, TIOCLINUX, &linux_arg), EPERM, 0);
		close(fd);
	}
	expect_errno(v, "ioctl(0, TIOCSTI)", ioctl(0, TIOCSTI, &c), EPERM, 0);
}

static void attack_sockets(const struct opts *o, struct verdict *v)
{
	static const struct {
		int family, type;
		const char *name;
	} s[] = {{AF_VSOCK, SOCK_STREAM, "AF_VSOCK"}, {AF_ALG, SOCK_SEQPACKET, "AF_ALG"}};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		int fd = socket(s[i].family, s[i].type | SOCK_CLOEXEC, 0);

		if (fd >= 0)
			close(fd);
		expect_errno(v, s[i].name, fd, EPERM, 0);
	}
}

#if defined(__x86_64__)
#define I386_CLOSE      6
#define I386_GETPID     20
#define I386_SOCKETCALL 102
#define I386_SOCKET     359
#define I386_SOCKETPAIR 360
#define SYS_SOCKET_CALL 1 /* socketcall's SYS_SOCKET */

/* An int 0x80 call that must fail with want; a descriptor it made is closed. */
static void expect_int80(struct verdict *v, const char *what, long r, long want)
{
	if (r >= 0) {
		escaped(v, "%s succeeded", what);
		int80(I386_CLOSE, r, 0, 0, 0);
	} else if (r != -want) {
		escaped(v, "%s: %s (want %s)", what, strerror((int)-r), strerror((int)want));
	}
}

/* socket and socketpair through the 32-bit entry point (i386 numbers 359, 360) meet the same
 * family rules as on x86_64; socketcall (102), whose arguments seccomp cannot read, is refused
 * whole with ENOSYS, even for an allowed family. A static binary's data lies below 4G, so the
 * kernel could read socketcall's argument block were the call let through. */
static void attack_socket32(const struct opts *o, struct verdict *v)
{
	static const struct {
		int family, type;
		const char *name;
	} deny[] = {{AF_VSOCK, SOCK_STREAM, "AF_VSOCK"}, {AF_ALG, SOCK_SEQPACKET, "AF_ALG"}};
	static unsigned int args[3]; /* socketcall's block: 32-bit longs */
	static int pair[2];
	char what[64];
	long r;

	if (int80(I386_GETPID, 0, 0, 0, 0) == -ENOSYS)
		return; /* no IA32 emulation in this kernel: no such entry point */
	for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
		snprintf(what, sizeof(what), "int80 socket(%s)", deny[i].name);
		expect_int80(v, what, int80(I386_SOCKET, deny[i].family, deny[i].type, 0, 0),
		             EPERM);
		snprintf(what, sizeof(what), "int80 socketpair(%s)", deny[i].name);
		r = int80(I386_SOCKETPAIR, deny[i].family, deny[i].type, 0, (long)pair);
		if (r == 0) {
			escaped(v, "%s succeeded", what);
			int80(I386_CLOSE, pair[0], 0, 0, 0), int80(I386_CLOSE, pair[1], 0, 0, 0);
		} else {
			expect_int80(v, what, r, EPERM);
		}
		args[0] = (unsigned int)deny[i].family;
		args[1] = (unsigned int)deny[i].type;
		args[2] = 0;
		snprintf(what, sizeof(what), "int80 socketcall(SYS_SOCKET, %s)", deny[i].name);
		expect_int80(v, what, int80(I386_SOCKETCALL, SYS_SOCKET_CALL, (long)args, 0, 0),
		             ENOSYS);
	}
	args[0] = AF_INET, args[1] = SOCK_DGRAM, args[2] = 0;
	expect_int80(v, "int80 socketcall(SYS_SOCKET, AF_INET)",
	             int80(I386_SOCKETCALL, SYS_SOCKET_CALL, (long)args, 0, 0), ENOSYS);
	/* the families a VPS needs still work through the direct calls */
	r = int80(I386_SOCKET, AF_INET, SOCK_DGRAM, 0, 0);
	if (r >= 0)
		int80(I386_CLOSE, r, 0, 0, 0);
	else
		escaped(v, "int80 socket(AF_INET) refused: %s", strerror((int)-r));
	r = int80(I386_SOCKETPAIR, AF_UNIX, SOCK_STREAM, 0, (long)pair);
	if (r == 0)
		int80(I386_CLOSE, pair[0], 0, 0, 0), int80(I386_CLOSE, pair[1], 0, 0, 0);
	else
		escaped(v, "int80 socketpair(AF_UNIX) refused: %s", strerror((int)-r));
}
#else
static void attack_socket32(const struct opts *o, struct verdict *v)
{
}
#endif

static void attack_userns(const struct opts *o, struct verdict *v)
{
	int e = child_unshare(CLONE_NEWUSER), status;
	long r;

	if (e == 0)
		escaped(v, "unshare(CLONE_NEWUSER) worked");
	else if (e != EPERM)
		escaped(v, "unshare(CLONE_NEWUSER): %s (want EPERM)", strerror(e));
	r = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0UL, NULL, NULL, 0UL);
	if (r == 0)
		_exit(0);
	if (r > 0) {
		(void)waitpid((pid_t)r, &status, 0);
		escaped(v, "clone(CLONE_NEWUSER) worked");
	} else if (errno != EPERM) {
		escaped(v, "clone(CLONE_NEWUSER): %s (want EPERM)", strerror(errno));
	}
	expect_errno(v, "clone3", syscall(SYS_clone3, NULL, 0), ENOSYS, 0);
}

/* --- cgroup limits (issue test 8): no cgroupfs may be writable inside --- */

static void walk_cgroup(struct verdict *v, const char *dir, int depth)
{
	static const char *const limits[] = {"memory.limit_in_bytes",
	                                     "memory.memsw.limit_in_bytes",
	                                     "memory.max",
	                                     "memory.high",
	                                     "pids.max",
	                                     "cpu.max",
	                                     "cpu.cfs_quota_us",
	                                     "release_agent"};
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[1024];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR && depth < 4)
			walk_cgroup(v, path, depth + 1);
		for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
			if (strcmp(e->d_name, limits[i]) == 0)
				write_back(v, path);
	}
	if (d)
		closedir(d);
}

static void attack_cgroup(const struct opts *o, struct verdict *v)
{
	char cg[4096];

	walk_cgroup(v, "/sys/fs/cgroup", 0);
	if (read_small("/proc/self/cgroup", cg, sizeof(cg), 0) > 0)
		for (char *line = strtok(cg, "\n"); line; line = strtok(NULL, "\n"))
			if (!strrchr(line, ':') || strcmp(strrchr(line, ':'), ":/") != 0)
				escaped(v, "cgroup path visible: %s", line);
}

/* --- processes (issue tests 9, 12): only the VPS's own, none of the host's, no vpsctl --- */

static bool same_link(const char *a, const char *b)
{
	char la[128], lb[128];
	ssize_t na = readlink(a, la, sizeof(la) - 1), nb = readlink(b, lb, sizeof(lb) - 1);

	if (na < 0 || nb < 0)
		return true; /* not accessible: nothing learned, nothing reached */
	la[na] = lb[nb] = '\0';
	return strcmp(la, lb) == 0;
}

static void check_pid(const struct opts *o, struct verdict *v, const char *pid)
{
	static const char *const ns[] = {"pid", "mnt", "net", "uts", "ipc", "cgroup"};
	char a[64], b[64];
	struct stat st;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		snprintf(a, sizeof(a), "/proc/%s/ns/%s", pid, ns[i]);
		snprintf(b, sizeof(b), "/proc/self/ns/%s", ns[i]);
		if (!same_link(a, b))
			escaped(v, "pid %s is in another %s namespace", pid, ns[i]);
	}
	snprintf(a, sizeof(a), "/proc/%s/exe", pid);
	if (o->exe_ino && stat(a, &st) == 0 && st.st_dev == o->exe_dev && st.st_ino == o->exe_ino) {
		escaped(v, "pid %s runs the host's vpsctl and its exe is reachable", pid);
		/* SEIZE does not stop it: vpsctl goes on when we exit and detach */
		if (ptrace(PTRACE_SEIZE, atoi(pid), NULL, NULL) == 0)
			escaped(v, "ptrace attached to vpsctl pid %s", pid);
	}
}

static void scan_procs(const struct opts *o, struct verdict *v, unsigned *ret_count)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		n++;
		check_pid(o, v, e->d_name);
	}
	if (d)
		closedir(d);
	*ret_count = n;
}

static void attack_procs(const struct opts *o, struct verdict *v)
{
	time_t end = time(NULL) + o->seconds;
	unsigned n, max = 0;

	do {
		scan_procs(o, v, &n);
		max = n > max ? n : max;
	} while (time(NULL) < end && !v->detail[0]);
	if (max > 64)
		escaped(v, "%u processes visible", max);
	expect_errno(v, "kill(host-looking pid)", kill(999999, 0), ESRCH, 0);
}

/* Signals every process it can reach; the test checks from the host that only the VPS's died. */
static void attack_killall(const struct opts *o, struct verdict *v)
{
	if (kill(-1, SIGKILL) < 0 && errno != ESRCH)
		escaped(v, "kill(-1): %s", strerror(errno));
}

/* --- fds, capabilities, seccomp (issue tests 10, 13) --- */

static void check_fds(struct verdict *v, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		escaped(v, "cannot list %s", dir);
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    (strcmp(dir, "/proc/self/fd") == 0 && atoi(e->d_name) == dirfd(d)))
			continue;
		if (strcmp(e->d_name, "0") && strcmp(e->d_name, "1") && strcmp(e->d_name, "2"))
			escaped(v, "%s/%s is open", dir, e->d_name);
	}
	closedir(d);
}

static void attack_fds(const struct opts *o, struct verdict *v)
{
	check_fds(v, "/proc/self/fd");
	check_fds(v, "/proc/1/fd");
}

static void check_status(const struct opts *o, struct verdict *v, const char *path)
{
	char buf[8192], *p;
	uint64_t inh = 1, amb = 1, bnd = 0, eff = ~0ULL;
	int seccomp = -1;

	if (read_small(path, buf, sizeof(buf), 0) <= 0) {
		escaped(v, "cannot read %s", path);
		return;
	}
	for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n")) {
		(void)sscanf(p, "CapInh: %" SCNx64, &inh);
		(void)sscanf(p, "CapAmb: %" SCNx64, &amb);
		(void)sscanf(p, "CapBnd: %" SCNx64, &bnd);
		(void)sscanf(p, "CapEff: %" SCNx64, &eff);
		(void)sscanf(p, "Seccomp: %d", &seccomp);
	}
	if (inh || amb)
		escaped(v, "%s: CapInh %" PRIx64 " CapAmb %" PRIx64, path, inh, amb);
	if (o->capbnd != UINT64_MAX && bnd != o->capbnd)
		escaped(v, "%s: CapBnd %" PRIx64 ", want %" PRIx64, path, bnd, o->capbnd);
	if (eff & ~bnd)
		escaped(v, "%s: CapEff %" PRIx64 " beyond CapBnd", path, eff);
	if (seccomp != 2)
		escaped(v, "%s: Seccomp %d, want 2", path, seccomp);
}

static void attack_status(const struct opts *o, struct verdict *v)
{
	check_status(o, v, "/proc/self/status");
	check_status(o, v, "/proc/1/status");
}

static const struct attack {
	const char *name;
	void (*fn)(const struct opts *o, struct verdict *v);
	bool in_all; /* killall and procs run alone: they disturb or take time */
} attacks[] = {
	{"masked", attack_masked, true},     {"dmesg", attack_dmesg, true},
	{"sysctl", attack_sysctl, true},     {"sysrq", attack_sysrq, true},
	{"mount", attack_mount, true},       {"release-agent", attack_release_agent, true},
	{"chroot", attack_chroot, true},     {"mknod", attack_mknod, true},
	{"syscalls", attack_syscalls, true}, {"time", attack_time, true},
	{"tty", attack_tty, true},           {"sockets", attack_sockets, true},
	{"socket32", attack_socket32, true}, {"userns", attack_userns, true},
	{"cgroup", attack_cgroup, true},     {"fds", attack_fds, true},
	{"status", attack_status, true},     {"procs", attack_procs, true},
	{"killall", attack_killall, false},
};

static bool run_attack(const struct opts *o, const struct attack *a)
{
	struct verdict v = {{0}};

	a->fn(o, &v);
	if (v.detail[0])
		printf("ESCAPED %s: %s\n", a->name, v.detail);
	else
		printf("BLOCKED %s\n", a->name);
	fflush(stdout);
	return v.detail[0] == '\0';
}

/* Not an attack with a verdict of its own: the test judges it from the node. Every inotify
 * instance this VPS can make, held for --seconds, while the node checks that its root and a
 * neighbour can still make theirs (the kernel charges them to the user namespace's owner on the
 * node too). Prints "HELD n" once it holds them. */
static int hold_inotify(const struct opts *o)
{
	int n = 0;

	while (inotify_init1(IN_CLOEXEC) >= 0)
		n++;
	printf("HELD %d (then %s)\n", n, strerror(errno));
	fflush(stdout);
	sleep(o->seconds);
	return 0;
}

/* The guard: refuse to run anywhere but inside the VPS the test prepared. */
static int inside_the_vps(const struct opts *o)
{
	char buf[4096], ns[128];
	ssize_t n;

	n = read_small(TOKEN_FILE, buf, sizeof(buf), O_NOFOLLOW);
	if (n <= 0 || strcmp(strtok(buf, "\n") ? buf : "", o->token) != 0)
		return fprintf(stderr, "attack: no matching %s: not the test VPS\n", TOKEN_FILE),
		       -1;
	n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	if (n <= 0 || (ns[n] = '\0', strcmp(ns, o->host_pidns) == 0))
		return fprintf(stderr, "attack: in the host's pid namespace\n"), -1;
	if (read_small("/proc/1/cgroup", buf, sizeof(buf), 0) <= 0)
		return fprintf(stderr, "attack: cannot read /proc/1/cgroup\n"), -1;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strrchr(line, ':') || strcmp(strrchr(line, ':'), ":/") != 0)
			return fprintf(stderr, "attack: init is not at a cgroup namespace root\n"),
			       -1;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: attack --token T --host-pidns 'pid:[N]' [--capbnd HEX] "
	                "[--exe DEV:INO] [--seconds N] all|list|hold-inotify|NAME...\n");
	return 2;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i = 1;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char *k = argv[i] + 2, *val = argv[i + 1];
		unsigned long long a, b;

		if (strcmp(k, "token") == 0)
			o->token = val;
		else if (strcmp(k, "host-pidns") == 0)
			o->host_pidns = val;
		else if (strcmp(k, "capbnd") == 0 && sscanf(val, "%llx", &a) == 1)
			o->capbnd = a;
		else if (strcmp(k, "exe") == 0 && sscanf(val, "%llu:%llu", &a, &b) == 2)
			o->exe_dev = (dev_t)a, o->exe_ino = (ino_t)b;
		else if (strcmp(k, "seconds") == 0 && sscanf(val, "%llu", &a) == 1 && a < 600)
			o->seconds = (unsigned)a;
		else
			return -1;
	}
	return i;
}

int main(int argc, char **argv)
{
	struct opts o = {.capbnd = UINT64_MAX};
	size_t n = sizeof(attacks) / sizeof(attacks[0]);
	bool all_blocked = true;
	int first = parse_opts(argc, argv, &o);

	if (first > 0 && first < argc && strcmp(argv[first], "list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", attacks[i].name);
		return 0;
	}
	if (first < 0 || first >= argc || !o.token || !o.host_pidns)
		return usage();
	if (inside_the_vps(&o) < 0)
		return 2;
	if (strcmp(argv[first], "hold-inotify") == 0)
		return hold_inotify(&o);
	for (int i = first; i < argc; i++) {
		bool found = false;

		for (size_t j = 0; j < n; j++) {
			if (strcmp(argv[i], attacks[j].name) != 0 &&
			    !(strcmp(argv[i], "all") == 0 && attacks[j].in_all))
				continue;
			found = true;
			all_blocked &= run_attack(&o, &attacks[j]);
		}
		if (!found)
			return usage();
	}
	printf("# done\n");
	return all_blocked ? 0 : 1;
}
