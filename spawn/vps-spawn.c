/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
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
#include "procview.h"
#include "security.h"
#include "storage-mount.h"
#include "exec-prep.h"
#include "execve-guard.h"
#include "vps-clone.h"
#include "ns-owner.h"
#include "vps-spawn.h"
#include "sync.h"

#define SYNC_TIMEOUT_MS 30000

/* Sends the reason of a failed step to the host, which reports it. */
static _noreturn_ void child_fail_error(int sock, int r, const struct vps_error *err)
{
	(void)vps_sync_send(sock, VPS_SYNC_ERROR, r, vps_error_message(err, r));
	_exit(1);
}

static _noreturn_ void child_fail(int sock, int r, const char *what)
{
	struct vps_error err = VPS_ERROR_INIT;

	vps_error_errno(&err, r, "failed to %s", what);
	child_fail_error(sock, r, &err);
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

static int become_root(struct vps_error *err)
{
	return vps_error_check(err, vps_exec_become_root(),
	                       "failed to become root of the user namespace");
}

/* The VPS's root filesystem as a mount, then (with a user namespace) its root's ids. Paths to
 * it are resolved while we still have the host's ids; an id-mapped overlay is mounted after, so
 * that overlayfs acts with the ids that own the upper layer. */
static int mount_root(const struct vps_spawn *s, int lower_fd, int *rootfd, struct vps_error *err)
{
	_cleanup_close_ int dir_fd = -EBADF;
	int r;

	if (!vps_storage_idmapped(s->cfg)) {
		r = vps_mount_bind_root(s->rootfs, rootfd, err);
		if (r == 0 && s->cfg->userns)
			r = become_root(err);
		return r;
	}
	r = vps_storage_open_dir(s->rootfs, &dir_fd);
	if (r < 0)
		return vps_error_errno(err, r, "failed to open the VPS directory");
	if (s->cfg->userns) {
		r = become_root(err);
		if (r < 0)
			return r;
	}
	return vps_storage_mount_idmapped(dir_fd, lower_fd, s->cfg->userns,
	                                  vps_disk_is_image(s->cfg), rootfd, err);
}

/* Into the VPS cgroup in each v1 hierarchy (on cgroup2 init was born there): the host sends the
 * `tasks` files, which a user namespace's root could no longer open. */
static void join_cgroups(int sock)
{
	int fds[VPS_CGROUP_HIER_MAX];
	size_t n;
	int r = fds_recv(sock, fds, ELEMENTSOF(fds), &n);

	if (r < 0)
		child_fail(sock, r, "receive the VPS cgroup");
	r = vps_cgroup_join_tasks(fds, n);
	vps_cgroup_close_tasks(fds, &n);
	if (r < 0)
		child_fail(sock, r, "join the VPS cgroup");
}

/* An lxcfs that went away since the host checked it only costs the view, unless it is
 * required. */
static int bind_proc_view(const struct vps_spawn *s, int rootfd, struct vps_error *err)
{
	bool required = s->node->lxcfs == VPS_LXCFS_REQUIRED;
	int r = procview_bind(rootfd, s->node->lxcfs_dir, required ? err : NULL);

	return required ? r : 0;
}

/* #2..#3: the root filesystem, pivoted and hardened, while the host makes the cgroup and plumbs
 * the network. */
static int make_root(struct vps_spawn *s, int sock, int *rootfd, struct vps_error *err)
{
	_cleanup_close_ int lower_fd = -EBADF, disk_fd = -EBADF;
	int r;

	/* #2 wait for the id maps (an id-mapped template tree and a disk image come along) */
	r = vps_sync_expect(sock, VPS_SYNC_HOST_MAPPED, SYNC_TIMEOUT_MS, NULL);
	if (r < 0)
		child_fail(sock, r, "sync with the host");
	if (vps_storage_idmapped(s->cfg)) {
		lower_fd = fd_recv(sock);
		if (lower_fd < 0)
			child_fail(sock, lower_fd, "receive the id-mapped template tree");
	}
	if (vps_disk_is_image(s->cfg)) {
		disk_fd = fd_recv(sock);
		if (disk_fd < 0)
			child_fail(sock, disk_fd, "receive the disk image's mount");
	}
	/* #3 */
	r = vps_storage_mount_private(err);
	/* the disk image becomes the root filesystem (an overlay's: its layers' home), in this
	 * mount namespace only */
	if (r == 0 && disk_fd >= 0 && vps_storage_is_overlay(s->cfg))
		r = vps_disk_attach_overlay(s->rootfs, disk_fd, err);
	else if (r == 0 && disk_fd >= 0 &&
	         move_mount(disk_fd, "", AT_FDCWD, s->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		r = vps_error_errno(err, -errno, "failed to attach the disk image");
	if (r == 0)
		r = mount_root(s, lower_fd, rootfd, err);
	if (r == 0)
		r = vps_mount_setup(*rootfd, s->console_path, s->ptys, err);
	if (r == 0 && s->proc_view)
		r = bind_proc_view(s, *rootfd, err);
	if (r == 0)
		r = vps_mount_pivot(*rootfd, err);
	if (r == 0)
		r = vps_mount_harden(err);
	return r;
}

/* The VPS's names for itself; in its own uts and network namespaces, so before the cgroup. */
static void name_self(const struct vps_spawn *s, int sock)
{
	int r;

	if (sethostname(s->cfg->hostname, strlen(s->cfg->hostname)) < 0)
		child_fail(sock, -errno, "set the hostname");
	write_hostname_file(s->cfg->hostname);
	r = netsetup_link_up(-1, "lo");
	if (r < 0)
		child_fail(sock, r, "bring up the loopback interface");
}

/* Until it execs, init dies with the supervisor (SIGKILL), whatever it waits in: before step 5 it
 * is in no v1 group of the VPS, where a kill of the group would find it, and a supervisor killed
 * meanwhile (a start that timed out, a wedged stop) left it running, unseen by every command.
 * A change of our ids clears the setting: armed again after each (become_root). If the
 * supervisor died before, the next send to it fails and we exit. */
static void die_with_supervisor(int sock, bool on)
{
	if (prctl(PR_SET_PDEATHSIG, on ? SIGKILL : 0, 0, 0, 0) < 0)
		child_fail(sock, -errno, "set the parent-death signal");
}

/* Namespaces: new pid, mnt, uts, ipc, net (and user, when the VPS has an id range); the
 * host's cgroup namespace until step 5. */
static _noreturn_ void child_main(struct vps_spawn *s, int sock, int guard_fd)
{
	static char *const envp[] = {
		"PATH=" VPS_EXEC_PATH, "TERM=linux", "HOME=/root", "container=vpsctl", NULL,
	};
	struct vps_error err = VPS_ERROR_INIT;
	int r, rootfd = -EBADF;

	vps_exec_reset_signals();
	die_with_supervisor(sock, true);
	/* #1 tell the host we exist; it writes the id maps, makes the cgroup, plumbs the network */
	r = vps_sync_send(sock, VPS_SYNC_CHILD_READY, 0, NULL);
	if (r < 0)
		_exit(1);
	r = make_root(s, sock, &rootfd, &err);
	if (r < 0)
		child_fail_error(sock, r, &err);
	die_with_supervisor(sock, true); /* again: become_root() changed our ids */
	name_self(s, sock);
	/* #4 wait for the host to be done */
	r = vps_sync_expect(sock, VPS_SYNC_HOST_DONE, SYNC_TIMEOUT_MS, NULL);
	if (r < 0)
		child_fail(sock, r, "sync with the host");
	join_cgroups(sock);
	/* #5 now in the VPS cgroup: a cgroup namespace rooted there, and its cgroup2 tree */
	if (unshare(CLONE_NEWCGROUP) < 0)
		child_fail(sock, -errno, "create the cgroup namespace");
	r = s->cgsp.own_tree ? vps_cgroup2_mount(rootfd, &err) : 0;
	if (r < 0)
		child_fail_error(sock, r, &err);
	r = setup_console(s->console_fd);
	if (r < 0)
		child_fail(sock, r, "set up the console");
	/* Last: nothing privileged may follow; the sync socket closes on exec. */
	r = vps_exec_lock_down(s->cfg, &err);
	if (r < 0)
		child_fail_error(sock, r, &err);
	/* A running VPS outlives its supervisor (running-unsupervised): a later stop ends it. */
	die_with_supervisor(sock, false);
	/* #6 the host now waits for EOF (exec worked) or an error */
	r = vps_sync_send(sock, VPS_SYNC_EXEC, 0, NULL);
	if (r < 0)
		_exit(1);
	/* through vps-execve: this binary must not be what a tenant's #! reaches */
	r = vps_execve_guarded(guard_fd, sock, s->cfg->name,
	                       (char *const[]){(char *)s->cfg->init, NULL}, envp, 0);
	vps_error_errno(&err, r, "failed to exec vps-execve for %s", s->cfg->init);
	child_fail_error(sock, r, &err);
}

static int wait_exec(struct vps_spawn *s, int sock)
{
	struct vps_sync_msg m;
	int r;

	r = vps_sync_expect(sock, VPS_SYNC_EXEC, SYNC_TIMEOUT_MS, &s->error);
	if (r < 0)
		return r;
	r = vps_sync_recv(sock, SYNC_TIMEOUT_MS, &m);
	if (r == -EPIPE)
		return 0; /* the socket closed on exec */
	if (r < 0)
		return vps_error_errno(&s->error, r, "no word from init after exec");
	return vps_error_set(&s->error, m.error < 0 ? m.error : -EPROTO, "%s", m.text);
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

/* After a host step failed: init may have failed first (while it made its root filesystem,
 * or the step failed because init had died); its own reason, queued on the socket, is the
 * one to report. */
static int child_reason(struct vps_spawn *s, int sock, int r)
{
	struct vps_sync_msg m;

	if (vps_sync_recv(sock, 0, &m) == 0 && m.stage == VPS_SYNC_ERROR) {
		vps_error_clear(&s->error); /* init's reason replaces the host's */
		return vps_error_set(&s->error, m.error, "%s", m.text);
	}
	return vps_error_errno(&s->error, r, "failed to sync with the VPS init");
}

/* #1..#4, host side: the maps first (#2), so that init makes its root filesystem (#3) while
 * the host makes the cgroup and plumbs the network; then #4 with the cgroup's fds. */
static int host_side(struct vps_spawn *s, int sock)
{
	int r;

	r = vps_sync_expect(sock, VPS_SYNC_CHILD_READY, SYNC_TIMEOUT_MS, &s->error);
	if (r == 0)
		r = vps_spawn_host_map(s);
	if (r == 0)
		r = vps_sync_send(sock, VPS_SYNC_HOST_MAPPED, 0, NULL);
	if (r == 0 && s->lower_fd >= 0)
		r = fd_send(sock, s->lower_fd);
	if (r == 0 && s->disk_fd >= 0)
		r = fd_send(sock, s->disk_fd);
	closep(&s->lower_fd);
	closep(&s->disk_fd);
	if (r == 0)
		r = vps_spawn_host_rest(s);
	if (r == 0)
		r = vps_sync_send(sock, VPS_SYNC_HOST_DONE, 0, NULL);
	if (r == 0)
		r = fds_send(sock, s->cgsp.join_fds, s->cgsp.n_join);
	return r;
}

int vps_spawn_init(struct vps_spawn *s)
{
	_cleanup_close_ int guard_fd = -EBADF;
	struct ns_owner owner = {0};
	int sp[2], r, pidfd = -EBADF;
	pid_t pid;

	vps_error_clear(&s->error);
	r = procview_prepare(s->node, &s->proc_view, &s->error);
	if (r < 0)
		return r;
	guard_fd = vps_execve_guard_open();
	if (guard_fd < 0) {
		return vps_error_errno(&s->error, guard_fd, "failed to open vps-execve");
	}
	r = vps_spawn_host_open(s);
	if (r < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		vps_cgroup_spawn_done(&s->cgsp);
		return log_debug_errno(-errno, "socketpair: %m");
	}
	r = s->cfg->userns ? ns_owner_enter((uid_t)s->cfg->uid_base, &owner) : 0;
	pid = r < 0 ? (errno = -r, -1)
	            : vps_clone(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
	                                CLONE_NEWNET | CLONE_PIDFD |
	                                (s->cfg->userns ? CLONE_NEWUSER : 0),
	                        s->cgsp.clone_fd, &pidfd, &s->cgsp.in_cgroup);
	if (pid == 0) {
		ns_owner_child(&owner);
		close(sp[0]);
		child_main(s, sp[1], guard_fd);
	}
	r = pid < 0 ? -errno : 0;
	if (ns_owner_leave(&owner) < 0)
		abort(); /* never go on as half root */
	close(sp[1]);
	closep(&guard_fd);
	if (pid < 0) {
		vps_error_errno(&s->error, r, "failed to clone the VPS init");
		close(sp[0]);
		vps_cgroup_spawn_done(&s->cgsp);
		return r;
	}
	s->pid = pid;
	s->pidfd = pidfd;
	r = host_side(s, sp[0]);
	if (r < 0)
		r = child_reason(s, sp[0], r);
	vps_cgroup_spawn_done(&s->cgsp);
	/* #6 */
	if (r == 0)
		r = wait_exec(s, sp[0]);
	close(sp[0]);
	if (r < 0)
		kill_and_reap(s);
	return r;
}
