/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The supervisor that started a VPS is a fork of the command that started it (so the start
 * waits for no exec and no second program's loading); once init runs it execs vps-supervisor,
 * which supervises on with a fraction of the memory. init stays its child across the exec; the
 * fds the loop needs are passed by number, every other fd closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "log.h"
#include "supervisor.h"

static int set_cloexec(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		return -errno;
	flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, flags) < 0 ? -errno : 0;
}

#define HANDOVER_MAGIC "vpscfg2" /* with its NUL, 8 bytes */
#define HANDOVER_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Both programs come from one build; the sizes catch a vps-supervisor of another one. */
struct handover_header {
	char magic[8];
	uint32_t cfg_size;
	uint32_t node_size;
	uint32_t host_size;
};

int vps_handover_config_fd(const struct vps_config *cfg, const struct node_config *node,
                           const struct vps_cgroup_host *host)
{
	const struct handover_header h = {HANDOVER_MAGIC, sizeof(*cfg), sizeof(*node),
	                                  sizeof(struct vps_cgroup_host)};
	_cleanup_close_ int fd = memfd_create("vps-config", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, &h, sizeof(h));
	if (r == 0)
		r = write_all(fd, cfg, sizeof(*cfg));
	if (r == 0)
		r = write_all(fd, node, sizeof(*node));
	if (r == 0)
		r = write_all(fd, host, sizeof(*host));
	if (r == 0 && fcntl(fd, F_ADD_SEALS, HANDOVER_SEALS) < 0)
		r = -errno;
	return r < 0 ? r : TAKE_FD(fd);
}

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EBADMSG;
}

int vps_handover_config_read(int fd, struct vps_config *ret_cfg, struct node_config *ret_node,
                             struct vps_cgroup_host *ret_host)
{
	const off_t cfg_at = sizeof(struct handover_header), node_at = cfg_at + sizeof(*ret_cfg),
		    host_at = node_at + sizeof(*ret_node);
	struct handover_header h;
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS), r;

	/* only a sealed memfd of the expected size: no file someone could still change */
	if (seals < 0 || (seals & HANDOVER_SEALS) != HANDOVER_SEALS || fstat(fd, &st) < 0 ||
	    st.st_size != host_at + (off_t)sizeof(*ret_host))
		return -EBADMSG;
	r = pread_all(fd, &h, sizeof(h), 0);
	if (r < 0)
		return r;
	if (memcmp(h.magic, HANDOVER_MAGIC, sizeof(h.magic)) != 0 ||
	    h.cfg_size != sizeof(*ret_cfg) || h.node_size != sizeof(*ret_node) ||
	    h.host_size != sizeof(*ret_host))
		return -EBADMSG;
	r = pread_all(fd, ret_cfg, sizeof(*ret_cfg), cfg_at);
	if (r == 0)
		r = pread_all(fd, ret_node, sizeof(*ret_node), node_at);
	if (r == 0)
		r = pread_all(fd, ret_host, sizeof(*ret_host), host_at);
	return r;
}

void vps_supervisor_handover(const struct vps_supervisor_args *a, const int fds[_VPS_HANDOVER_MAX])
{
	char path[PATH_MAX], fdlist[64], notify[PATH_MAX + 16];
	char *argv[12], *envp[3];
	const char *ns = getenv("NOTIFY_SOCKET");
	int n = 0, e = 0, i;

	if (vps_libexec_path("vps-supervisor", path, sizeof(path)) < 0)
		return;
	snprintf(fdlist, sizeof(fdlist), "%d,%d,%d,%d,%d", fds[0], fds[1], fds[2], fds[3], fds[4]);
	argv[n++] = path;
	argv[n++] = "--fds";
	argv[n++] = fdlist;
	argv[n++] = "--root";
	argv[n++] = a->paths->root[0] ? (char *)a->paths->root : "/";
	if (a->foreground)
		argv[n++] = "--foreground";
	if (log_get_max_level() >= LOG_LEVEL_DEBUG)
		argv[n++] = "--debug";
	argv[n++] = (char *)a->cfg->name;
	argv[n] = NULL;
	envp[e++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	/* under systemd (Type=notify, --foreground) the unit hears STOPPING=1 from the new
	 * program too; a supervisor in the background talks to no unit of its caller's */
	if (a->foreground && ns &&
	    snprintf(notify, sizeof(notify), "NOTIFY_SOCKET=%s", ns) < (int)sizeof(notify))
		envp[e++] = notify;
	envp[e] = NULL;
	/* Whatever the caller of `vpsctl start` left open must not live as long as the VPS. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return;
	for (i = 0; i < _VPS_HANDOVER_MAX; i++)
		if (set_cloexec(fds[i], false) < 0)
			break;
	if (i == _VPS_HANDOVER_MAX) {
		execve(path, argv, envp);
		(void)log_warning_errno(-errno, "Cannot exec %s, supervising from this process: %m",
		                        path);
	}
	while (i-- > 0)
		(void)set_cloexec(fds[i], true);
}
