/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "floor" of the start benchmark: the least a container start can do. One clone3() into
 * new pid, mount, uts, ipc, net and cgroup namespaces; the child makes its mounts private,
 * binds the rootfs onto itself, mounts /proc, pivot_roots and execs init. The parent waits
 * for init's exec (EOF on a close-on-exec pipe), prints init's pid and exits, leaving init
 * running detached, like `vpsctl start`. No cgroup, no network, no console (init's stdio is
 * /dev/null), no config.
 *
 * Usage: bench-bare ROOTFS [INIT]     (root; INIT defaults to /sbin/init)
 * Stop the container with `kill -KILL PID`: init is pid 1 of its namespace.
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NS_FLAGS                                                                           \
	(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |         \
	 CLONE_NEWCGROUP)

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

static _Noreturn void child_main(const char *rootfs, const char *init, int errfd)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	/* init's stdio is /dev/null: our stdout carries its pid to the caller */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int r = null < 0 ? -errno : enter_rootfs(rootfs);

	if (r == 0 && (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0))
		r = -errno;
	if (r == 0) {
		execle(init, init, (char *)NULL, envp);
		r = -errno;
	}
	(void)!write(errfd, &r, sizeof(r));
	_exit(1);
}

int main(int argc, char **argv)
{
	struct clone_args args = {.flags = NS_FLAGS, .exit_signal = SIGCHLD};
	const char *init = argc > 2 ? argv[2] : "/sbin/init";
	int p[2], err = 0;
	pid_t pid;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "Usage: %s ROOTFS [INIT]\n", argv[0]);
		return 2;
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
		child_main(argv[1], init, p[1]);
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
