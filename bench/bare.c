/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "floor" of the start benchmark: the least a container start can do. One clone3() into
 * new pid, mount, uts, ipc, net and cgroup namespaces; the child makes its mounts private,
 * binds the rootfs onto itself, mounts /proc, pivot_roots and execs init. The parent waits
 * for init's exec (EOF on a close-on-exec pipe), prints init's pid and exits, leaving init
 * running detached, like `vpsctl start`. No cgroup, no network, no console (init's stdio is
 * /dev/null), no config.
 *
 * With -c DIR (repeatable, v1 hierarchies) the parent also makes the cgroup directory DIR and
 * opens its `tasks` file before the clone; the child, still single-threaded, moves itself
 * there by writing "0" before it execs. That is the floor of a start with cgroups, and the
 * cheapest move there is: a pid written to cgroup.procs makes the kernel take its global
 * threadgroup lock, which on a quiet host waits for an RCU grace period (10-20 ms here).
 *
 * Usage: bench-bare [-c CGROUPDIR]... ROOTFS [INIT]   (root; INIT defaults to /sbin/init)
 * Stop the container with `kill -KILL PID` (init is pid 1 of its namespace), then rmdir the
 * cgroup directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NS_FLAGS                                                                                   \
	(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP)

/* Child, in all new namespaces: the mount steps a real runtime cannot skip. */
static int enter_rootfs(const char *rootfs)
{
	char proc[4096];

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if ((size_t)snprintf(proc, sizeof(proc), "%s/proc", rootfs) >= sizeof(proc))
		return -ENAMETOOLONG;
	if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	if (chdir(rootfs) < 0)
		return -errno;
	/* pivot_root(".", ".") stacks the old root under the new one; detaching "." drops it */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	return chdir("/") < 0 ? -errno : 0;
}

#define MAX_CGROUPS 16

struct bare {
	const char *rootfs, *init;
	const char *cgroups[MAX_CGROUPS];
	int n_cgroups;
};

/* Child: mounts, then into each cgroup, then exec. */
static _Noreturn void child_main(const struct bare *b, int errfd, const int *cgfds)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	/* init's stdio is /dev/null: our stdout carries its pid to the caller */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int r = null < 0 ? -errno : enter_rootfs(b->rootfs);

	if (r == 0 && (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0))
		r = -errno;
	for (int i = 0; r == 0 && i < b->n_cgroups; i++)
		if (write(cgfds[i], "0", 1) != 1)
			r = -errno;
	if (r == 0) {
		execle(b->init, b->init, (char *)NULL, envp);
		r = -errno;
	}
	(void)!write(errfd, &r, sizeof(r));
	_exit(1);
}

/* Parent, before the clone: make each cgroup directory and open its tasks file. */
static int open_cgroups(const struct bare *b, int *fds)
{
	char path[4096];

	for (int i = 0; i < b->n_cgroups; i++) {
		if (mkdir(b->cgroups[i], 0755) < 0 && errno != EEXIST)
			return -errno;
		if ((size_t)snprintf(path, sizeof(path), "%s/tasks", b->cgroups[i]) >= sizeof(path))
			return -ENAMETOOLONG;
		fds[i] = open(path, O_WRONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return -errno;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct bare *b)
{
	int i = 1;

	for (; i + 1 < argc && strcmp(argv[i], "-c") == 0; i += 2) {
		if (b->n_cgroups == MAX_CGROUPS)
			return -E2BIG;
		b->cgroups[b->n_cgroups++] = argv[i + 1];
	}
	if (i >= argc || argc - i > 2 || argv[i][0] == '-')
		return -EINVAL;
	b->rootfs = argv[i];
	b->init = i + 1 < argc ? argv[i + 1] : "/sbin/init";
	return 0;
}

int main(int argc, char **argv)
{
	struct clone_args args = {.flags = NS_FLAGS, .exit_signal = SIGCHLD};
	struct bare b = {0};
	int p[2], cgfds[MAX_CGROUPS], err = 0, r;
	pid_t pid;

	if (parse_args(argc, argv, &b) < 0) {
		fprintf(stderr, "Usage: %s [-c CGROUPDIR]... ROOTFS [INIT]\n", argv[0]);
		return 2;
	}
	r = open_cgroups(&b, cgfds);
	if (r < 0) {
		fprintf(stderr, "bench-bare: cgroup: %s\n", strerror(-r));
		return 1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("pipe2");
		return 1;
	}
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		perror("clone3");
		return 1;
	}
	if (pid == 0) {
		close(p[0]);
		child_main(&b, p[1], cgfds);
	}
	close(p[1]);
	/* EOF: the pipe closed on exec; an int: the child's -errno */
	if (read(p[0], &err, sizeof(err)) == (ssize_t)sizeof(err)) {
		fprintf(stderr, "bench-bare: start: %s\n", strerror(-err));
		(void)waitpid(pid, NULL, 0);
		return 1;
	}
	printf("%d\n", (int)pid);
	return 0;
}
