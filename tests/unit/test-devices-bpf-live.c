/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The v2 device program against the real kernel (root only; suite 'integration'), in a cgroup2
 * group of its own: /sys/fs/cgroup/PARENT/vps on a unified host, the unified tree of a hybrid
 * one (the kernel runs a device program there too, before the v1 devices controller). A forked
 * child joins the group; vps_devices_bpf_restrict runs twice (a group reused: the second
 * program must replace the first, not pile up); then the child opens /dev/null (allowed) and
 * a /dev/mem node it made in a temp dir (denied with EPERM; mknod itself is allowed), read
 * only. Exit 77 = skipped (not root, no cgroup2), which CI=true turns into a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices-bpf.h"
#include "fileio.h"

static int failures;

static void expect(bool ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

static int skip(const char *why)
{
	const char *ci = getenv("CI");

	fprintf(stderr, "test-devices-bpf-live: %s, skipping\n", why);
	return ci && strcmp(ci, "true") == 0 ? EXIT_FAILURE : 77;
}

static const char *cgroup2(void)
{
	static const char *const paths[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	struct statfs sf;

	for (size_t i = 0; i < ELEMENTSOF(paths); i++)
		if (statfs(paths[i], &sf) == 0 &&
		    sf.f_type == (typeof(sf.f_type))CGROUP2_SUPER_MAGIC)
			return paths[i];
	return NULL;
}

/* How many device programs are attached to the group itself. */
static int attached(const char *group)
{
	_cleanup_close_ int fd = open(group, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint32_t ids[64];
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = ELEMENTSOF(ids);
	if (fd < 0 || syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		return -errno;
	return (int)attr.query.prog_cnt;
}

/* The child: waits for the go, then reports open()'s errno (0 = opened) for each path. */
static _noreturn_ void child(int go, int report, const char *const *paths, size_t n)
{
	char c;

	if (read(go, &c, 1) != 1)
		_exit(1);
	for (size_t i = 0; i < n; i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC | O_NOCTTY), e = fd < 0 ? errno : 0;

		if (fd >= 0)
			close(fd);
		if (write(report, &e, sizeof(e)) != sizeof(e))
			_exit(1);
	}
	_exit(0);
}

static void run(const char *group, const char *node)
{
	const char *const paths[] = {"/dev/null", node};
	int go[2], rep[2], e[2] = {-1, -1}, status;
	char procs[PATH_MAX], pid[32];
	pid_t p;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		expect(false, "pipes");
		return;
	}
	p = fork();
	if (p == 0)
		child(go[0], rep[1], paths, ELEMENTSOF(paths));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", group);
	snprintf(pid, sizeof(pid), "%d", (int)p);
	expect(p > 0 && write_string_at(AT_FDCWD, procs, pid) == 0, "the child joins the group");
	expect(vps_devices_bpf_restrict(p, "vps") == 0, "restrict attaches the program");
	expect(attached(group) == 1, "one program is attached");
	expect(vps_devices_bpf_restrict(p, "vps") == 0, "restrict again (a reused group)");
	expect(attached(group) == 1, "it replaced the first: still one program");
	expect(write(go[1], "g", 1) == 1, "the child is let go");
	expect(read(rep[0], &e[0], sizeof(e[0])) == sizeof(e[0]) && e[0] == 0,
	       "/dev/null (c 1:3) opens");
	expect(read(rep[0], &e[1], sizeof(e[1])) == sizeof(e[1]) && e[1] == EPERM,
	       "a node of /dev/mem (c 1:1) fails with EPERM");
	close(go[1]); /* a child still waiting for the go sees EOF and exits */
	expect(p > 0 && waitpid(p, &status, 0) == p && WIFEXITED(status) &&
	               WEXITSTATUS(status) == 0,
	       "the child exits 0");
	close(go[0]);
	close(rep[0]);
	close(rep[1]);
}

/* A reaped task leaves its group a moment later: rmdir until it is empty. */
static int rmdir_retry(const char *path)
{
	for (int i = 0; i < 50; i++) {
		if (rmdir(path) == 0)
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(20000);
	}
	return -EBUSY;
}

int main(void)
{
	char parent[PATH_MAX], group[PATH_MAX + 8], tmp[] = "/tmp/test-devbpf.XXXXXX";
	char node[sizeof(tmp) + 8];
	const char *mnt;

	if (geteuid() != 0)
		return skip("not root");
	mnt = cgroup2();
	if (!mnt)
		return skip("no cgroup2 mount");
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(parent, sizeof(parent), "%s/vpsctl-devbpf-test-%d", mnt, (int)getpid());
	snprintf(group, sizeof(group), "%s/vps", parent);
	if (!mkdtemp(tmp) || mkdir(parent, 0755) < 0 || mkdir(group, 0755) < 0) {
		perror("test-devices-bpf-live: setup");
		return EXIT_FAILURE;
	}
	snprintf(node, sizeof(node), "%s/mem", tmp);
	expect(mknod(node, S_IFCHR | 0400, makedev(1, 1)) == 0, "mknod a /dev/mem node");
	run(group, node);
	/* the group is empty once the child is reaped; its program goes with it */
	expect(rmdir_retry(group) == 0 && rmdir_retry(parent) == 0, "the groups are removed");
	(void)unlink(node);
	(void)rmdir(tmp);
	printf("# %d failure(s)\n", failures);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
