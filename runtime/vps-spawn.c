/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-mount.h"
#include "cleanup.h"
#include "disk.h"
#include "fdpass.h"
#include "fileio.h"
#include "idmap.h"
#include "devices.h"
#include "devices-bpf.h"
#include "log.h"
#include "vps-mount.h"
#include "netsetup.h"
#include "network.h"
#include "security.h"
#include "storage-mount.h"
#include "vps-clone.h"
#include "vps-spawn.h"
#include "sync.h"

#define SYNC_TIMEOUT_MS 30000

static _noreturn_ void child_fail(int sock, int r, const char *what)
{
	char text[VPS_SYNC_TEXT_MAX];

	snprintf(text, sizeof(text), "Failed to %s: %s", what, strerror(-r));
	(void)vps_sync_send(sock, VPS_SYNC_ERROR, r, text);
	_exit(1);
}

/* Signals: the supervisor blocks some for its signalfd; init must start with a clean slate. */
static void reset_signals(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t none;

	for (int sig = 1; sig < _NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The console is init's stdio but not its controlling terminal (a kernel never gives init
 * one either): otherwise a Ctrl-C typed on the console would be SIGINT to init, which busybox
 * init and systemd take as Ctrl-Alt-Del and reboot. The shell the inittab puts on the console
 * makes it its own controlling terminal. */
static int setup_console(int fd)
{
	if (setsid() < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return -errno;
	return 0;
}

/* /etc/hostname inside the VPS, so its own boot scripts agree with the configured name. */
static void write_hostname_file(const char *hostname)
{
	_cleanup_close_ int fd =
		open("/etc/hostname", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd >= 0 && write(fd, hostname, strlen(hostname)) >= 0)
		(void)!write(fd, "\n", 1);
}

/* In a user namespace whose maps the host wrote: take uid and gid 0 of it (the first ids of
 * the VPS's range on the host) with no supplementary groups. */
static int become_root(const char **what)
{
	*what = "become root of the user namespace";
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* The VPS's root filesystem as a mount, then (with a user namespace) its root's ids. Paths to
 * it are resolved while we still have the host's ids; an id-mapped overlay is mounted after, so
 * that overlayfs acts with the ids that own the upper layer. */
static int mount_root(const struct vps_spawn *s, int lower_fd, int *rootfd, const char **what)
{
	_cleanup_close_ int dir_fd = -EBADF;
	int r;

	if (!vps_storage_idmapped(s->cfg)) {
		r = vps_mount_bind_root(s->rootfs, rootfd, what);
		if (r == 0 && s->cfg->userns)
			r = become_root(what);
		return r;
	}
	*what = "open the VPS directory";
	r = vps_storage_open_dir(s->rootfs, &dir_fd);
	if (r == 0)
		r = become_root(what);
	if (r == 0)
		r = vps_storage_mount_idmapped(dir_fd, lower_fd, rootfd, what);
	return r;
}

/* Namespaces: new pid, mnt, uts, ipc, net (and user, when the VPS has an id range); the
 * host's cgroup namespace until step 3. */
static _noreturn_ void child_main(struct vps_spawn *s, int sock)
{
	static char *const envp[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=linux", "HOME=/root", "container=vpsctl", NULL,
	};
	const char *what = "sync with the host";
	char err[VPS_SYNC_TEXT_MAX];
	int r, rootfd = -EBADF, lower_fd = -EBADF, disk_fd = -EBADF;

	reset_signals();
	/* #0 into the VPS cgroup in each v1 hierarchy (cgroup2: born there) */
	r = vps_cgroup_join_tasks(s->cg_tasks, s->n_cg_tasks);
	if (r < 0)
		child_fail(sock, r, "join the VPS cgroup");
	vps_cgroup_close_tasks(s->cg_tasks, &s->n_cg_tasks);
	/* #1 tell the host we exist; it writes the id maps and plumbs the network */
	r = vps_sync_send(sock, VPS_SYNC_CHILD_READY, 0, NULL);
	if (r < 0)
		_exit(1);
	/* #2 wait for the host */
	r = vps_sync_expect(sock, VPS_SYNC_HOST_DONE, SYNC_TIMEOUT_MS, err, sizeof(err));
	if (r < 0)
		child_fail(sock, r, what);
	/* #2.1 an id-mapped overlay: the host sends the mapped template tree */
	if (vps_storage_idmapped(s->cfg)) {
		lower_fd = fd_recv(sock);
		if (lower_fd < 0)
			child_fail(sock, lower_fd, "receive the id-mapped template tree");
	}
	if (s->cfg->disk) {
		disk_fd = fd_recv(sock);
		if (disk_fd < 0)
			child_fail(sock, disk_fd, "receive the disk image's mount");
	}
	/* #3 now in the VPS cgroup: a cgroup namespace rooted there */
	if (unshare(CLONE_NEWCGROUP) < 0)
		child_fail(sock, -errno, "create the cgroup namespace");
	r = vps_storage_mount(s->cfg, s->rootfs, &what);
	/* the disk image becomes the root filesystem, in this mount namespace only */
	if (r == 0 && disk_fd >= 0 &&
	    move_mount(disk_fd, "", AT_FDCWD, s->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		r = -errno;
		what = "attach the disk image";
	}
	if (r == 0)
		r = mount_root(s, lower_fd, &rootfd, &what);
	if (r == 0)
		r = vps_mount_setup(rootfd, s->console_path, &what);
	if (r == 0)
		r = vps_cgroup2_mount(rootfd, &what);
	if (r == 0)
		r = vps_mount_pivot(rootfd, &what);
	if (r == 0)
		r = vps_mount_harden(&what);
	if (r < 0)
		child_fail(sock, r, what);
	if (sethostname(s->cfg->hostname, strlen(s->cfg->hostname)) < 0)
		child_fail(sock, -errno, "set the hostname");
	write_hostname_file(s->cfg->hostname);
	r = netsetup_link_up(-1, "lo");
	if (r < 0)
		child_fail(sock, r, "bring up the loopback interface");
	r = setup_console(s->console_fd);
	if (r < 0)
		child_fail(sock, r, "set up the console");
	/* Last: seccomp, then capabilities (security.h); nothing privileged may follow. */
	r = vps_security_apply(s->cfg, &what);
	if (r < 0)
		child_fail(sock, r, what);
	/* Nothing of the host's fds may reach the VPS; the sync socket closes on exec. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(sock, -errno, "mark fds close-on-exec");
	/* #4 the host now waits for EOF (exec worked) or an error */
	r = vps_sync_send(sock, VPS_SYNC_EXEC, 0, NULL);
	if (r < 0)
		_exit(1);
	execle(s->cfg->init, s->cfg->init, (char *)NULL, envp);
	snprintf(err, sizeof(err), "exec %s", s->cfg->init);
	child_fail(sock, -errno, err);
}

/* The cgroup2 group init is born in: the VPS group on v2, its delegated cgroup2 group on a
 * hybrid host (cgroup-mount.h), none on a pure v1 host. On v1 init joins the rest itself. */
static int open_cgroups(struct vps_spawn *s)
{
	int r;

	if (vps_cgroup_backend() == VPS_CGROUP_V2) {
		s->born_cgroup_fd = vps_cgroup_open_v2(s->cg);
		r = s->born_cgroup_fd < 0 ? s->born_cgroup_fd : 0;
	} else {
		r = vps_cgroup2_make(s->cgroup_parent, s->cfg->name,
				     s->cfg->userns ? (long long)s->cfg->uid_base : -1,
				     &s->born_cgroup_fd);
		if (r < 0) {
			snprintf(s->error, sizeof(s->error),
				 "Failed to make the VPS's cgroup2 group: %s", strerror(-r));
			return r;
		}
		r = vps_cgroup_open_tasks(s->cg, s->cg_tasks, &s->n_cg_tasks);
	}
	if (r < 0)
		snprintf(s->error, sizeof(s->error), "Failed to open the VPS cgroup: %s",
			 strerror(-r));
	return r;
}

static pid_t clone_child(struct vps_spawn *s, int *ret_pidfd)
{
	uint64_t flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
			 CLONE_PIDFD | (s->cfg->userns ? CLONE_NEWUSER : 0);

	return vps_clone(flags, s->born_cgroup_fd, ret_pidfd, &s->in_cgroup);
}

/* A kernel without CLONE_INTO_CGROUP: the host moves init (and waits for the grace period). */
static int join_born_cgroup(struct vps_spawn *s)
{
	if (s->in_cgroup || s->born_cgroup_fd < 0)
		return 0;
	if (vps_cgroup_backend() == VPS_CGROUP_V2)
		return vps_cgroup_attach(s->cg, s->pid);
	return vps_cgroup2_attach_fd(s->born_cgroup_fd, s->pid);
}

/* Host side, after the child said CHILD_READY. */
/* The VPS's 65536 ids: 0 inside is uid_base on the host. setgroups stays allowed so that
 * su and login work inside. */
static int write_id_maps(pid_t pid, uint64_t base)
{
	static const char *const files[] = {"uid_map", "gid_map"};
	char path[64], map[64];

	snprintf(map, sizeof(map), "0 %" PRIu64 " %u\n", base, VPS_IDMAP_SIZE);
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		int r;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		r = write_string_at(AT_FDCWD, path, map);
		if (r < 0)
			return r;
	}
	return 0;
}

static int host_steps(struct vps_spawn *s)
{
	int r = join_born_cgroup(s);

	if (r < 0) {
		snprintf(s->error, sizeof(s->error), "Failed to join the VPS cgroup: %s",
			 strerror(-r));
		return r;
	}
	if (s->cfg->userns) {
		r = write_id_maps(s->pid, s->cfg->uid_base);
		if (r < 0) {
			snprintf(s->error, sizeof(s->error), "Failed to write the id maps: %s",
				 strerror(-r));
			return r;
		}
	}
	if (s->cfg->disk) {
		r = vps_disk_mount_detached(s->rootfs, &s->disk_fd);
		if (r < 0) {
			snprintf(s->error, sizeof(s->error), "Failed to mount the disk image: %s",
				 strerror(-r));
			return r;
		}
	}
	if (vps_storage_idmapped(s->cfg)) {
		r = vps_storage_idmapped_lower(s->rootfs, s->pid, &s->lower_fd);
		if (r < 0) {
			snprintf(s->error, sizeof(s->error),
				 "Failed to id-map the template tree: %s", strerror(-r));
			return r;
		}
	}
	/* Device policy: the v1 devices group when the VPS has one of its own (devices.h), an
	 * eBPF program on its v2 group (devices-bpf.h); before init makes /dev. */
	if (vps_cgroup_backend() == VPS_CGROUP_V2)
		r = vps_devices_bpf_restrict(s->pid, s->cfg->name);
	else
		r = vps_devices_restrict(s->pid, s->cfg->name);
	if (r < 0) {
		snprintf(s->error, sizeof(s->error), "Failed to restrict the VPS's devices: %s",
			 strerror(-r));
		return r;
	}
	/* The veth peer is created directly in init's fresh network namespace. */
	r = vps_net_plumb(s->cfg, s->node, s->pid, s->error, sizeof(s->error));
	return r < 0 ? r : 0;
}

static int wait_exec(struct vps_spawn *s, int sock)
{
	struct vps_sync_msg m;
	int r;

	r = vps_sync_expect(sock, VPS_SYNC_EXEC, SYNC_TIMEOUT_MS, s->error, sizeof(s->error));
	if (r < 0)
		return r;
	r = vps_sync_recv(sock, SYNC_TIMEOUT_MS, &m);
	if (r == -EPIPE)
		return 0; /* the socket closed on exec */
	if (r < 0) {
		snprintf(s->error, sizeof(s->error), "No word from init after exec: %s",
			 strerror(-r));
		return r;
	}
	snprintf(s->error, sizeof(s->error), "%s", m.text);
	return m.error < 0 ? m.error : -EPROTO;
}

static void kill_and_reap(struct vps_spawn *s)
{
	siginfo_t si;

	(void)syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
	(void)waitid(P_PIDFD, (id_t)s->pidfd, &si, WEXITED);
	close(s->pidfd);
	s->pidfd = -EBADF;
	s->pid = 0;
}

int vps_spawn_init(struct vps_spawn *s)
{
	int sp[2], r, pidfd = -EBADF;
	pid_t pid;

	s->error[0] = '\0';
	r = open_cgroups(s);
	if (r < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = log_debug_errno(-errno, "socketpair: %m");
		goto out;
	}
	pid = clone_child(s, &pidfd);
	if (pid < 0) {
		r = -errno;
		snprintf(s->error, sizeof(s->error), "Failed to clone the VPS init: %s",
			 strerror(-r));
		close(sp[0]);
		close(sp[1]);
		goto out;
	}
	if (pid == 0) {
		close(sp[0]);
		child_main(s, sp[1]);
	}
	close(sp[1]);
	vps_cgroup_close_tasks(s->cg_tasks, &s->n_cg_tasks);
	closep(&s->born_cgroup_fd);
	s->pid = pid;
	s->pidfd = pidfd;
	/* #1 */
	r = vps_sync_expect(sp[0], VPS_SYNC_CHILD_READY, SYNC_TIMEOUT_MS, s->error,
			    sizeof(s->error));
	if (r == 0)
		r = host_steps(s);
	/* #2 */
	if (r == 0)
		r = vps_sync_send(sp[0], VPS_SYNC_HOST_DONE, 0, NULL);
	/* #2.1 */
	if (r == 0 && s->lower_fd >= 0)
		r = fd_send(sp[0], s->lower_fd);
	if (r == 0 && s->disk_fd >= 0)
		r = fd_send(sp[0], s->disk_fd);
	closep(&s->lower_fd);
	closep(&s->disk_fd);
	/* #4 */
	if (r == 0)
		r = wait_exec(s, sp[0]);
	close(sp[0]);
	if (r < 0)
		kill_and_reap(s);
	return r;
out:
	vps_cgroup_close_tasks(s->cg_tasks, &s->n_cg_tasks);
	closep(&s->born_cgroup_fd);
	return r;
}
