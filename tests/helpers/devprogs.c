/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devprogs CGROUP_DIR: the names of the eBPF device programs (BPF_CGROUP_DEVICE) attached to
 * that cgroup v2 group itself, one a line, so tests see what vpsctl attached without bpftool
 * (not installed on Debian by default). Exit 1 when the query fails. Runs on the node, as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PROGS 64

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Prints the name of program id; 0 or -errno. */
static int print_name(uint32_t id)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	int fd, r = 0;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
		r = -errno;
	else
		printf("%.*s\n", (int)sizeof(info.name), info.name);
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	uint32_t ids[MAX_PROGS];
	union bpf_attr attr;
	int dfd;

	if (argc != 2) {
		fprintf(stderr, "usage: devprogs CGROUP_DIR\n");
		return 2;
	}
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "devprogs: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = MAX_PROGS;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) {
		fprintf(stderr, "devprogs: BPF_PROG_QUERY: %s\n", strerror(errno));
		return 1;
	}
	for (uint32_t i = 0; i < attr.query.prog_cnt; i++) {
		int r = print_name(ids[i]);

		if (r < 0) {
			fprintf(stderr, "devprogs: program %u: %s\n", ids[i], strerror(-r));
			return 1;
		}
	}
	close(dfd);
	return 0;
}
