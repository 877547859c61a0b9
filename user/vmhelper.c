// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The VM behind a tap once -Z USER dropped root (vmhelper.h). Naming a VM
 * reads /proc/PID/fd and fdinfo of the process that holds the tap, which
 * the kernel allows only to a process that may ptrace it: after the drop
 * not even a VMM running as root may be looked into. So while still root,
 * runner_open forks a helper that keeps uid 0 with only CAP_SYS_PTRACE and
 * CAP_DAC_READ_SEARCH, closes every other descriptor (BPF programs, maps,
 * the ring buffer stay the recorder's alone) and answers one question over
 * a socket pair: the VM behind this tap (vm_ident_of_tap), and the network
 * namespace of its holder. It ends when the recorder closes its end, or
 * dies (PR_SET_PDEATHSIG). Without a helper the lookup runs here.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cap-ng.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "vmhelper.h"

struct vmh_req {
	char tap[IF_NAMESIZE + 1];
};

struct vmh_rep {
	int rc, pid, vmid;
	unsigned netns;
	char name[VM_NAME_LEN];
	char source[16];
};

static int helper_fd = -1;
static pid_t helper_pid;
static pthread_mutex_t helper_lock = PTHREAD_MUTEX_INITIALIZER;

/* The holder's network namespace inode, or 0 when it cannot be read. */
static unsigned holder_netns(int pid)
{
	char path[64];
	struct stat st;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return stat(path, &st) ? 0 : (unsigned)st.st_ino;
}

static void answer(const char *tap, struct vmh_rep *p)
{
	struct vm_ident id;

	memset(p, 0, sizeof(*p));
	p->rc = vm_ident_of_tap(tap, NULL, &id);
	p->pid = id.pid;
	p->vmid = id.vmid;
	p->netns = holder_netns(id.pid);
	snprintf(p->name, sizeof(p->name), "%s", id.name);
	snprintf(p->source, sizeof(p->source), "%s", id.source ? id.source : "");
}

static void __attribute__((noreturn)) serve(int fd, pid_t parent)
{
	static const int quiet[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGPIPE };
	struct vmh_req q;
	struct vmh_rep p;

	/* Ctrl-C reaches the whole group: this one ends with the recorder. */
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		signal(quiet[i], SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	if (dup2(fd, 3) < 0)
		_exit(1);
	close_range(4, ~0U, 0);
	fd = 3;
	capng_clear(CAPNG_SELECT_BOTH);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_SYS_PTRACE);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_DAC_READ_SEARCH);
	/* The bounding set too where CAP_SETPCAP allows it. */
	if (capng_apply(CAPNG_SELECT_BOTH) && capng_apply(CAPNG_SELECT_CAPS))
		_exit(1);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_NAME, "vno-vmname", 0, 0, 0);
	for (;;) {
		ssize_t n = recv(fd, &q, sizeof(q), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		q.tap[sizeof(q.tap) - 1] = '\0';
		answer(q.tap, &p);
		if (send(fd, &p, sizeof(p), MSG_NOSIGNAL) < 0)
			_exit(0);
	}
}

int vmhelper_start(void)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	if (helper_fd >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (!pid) {
		close(sv[0]);
		serve(sv[1], parent);
	}
	close(sv[1]);
	helper_fd = sv[0];
	helper_pid = pid;
	return 0;
}

void vmhelper_stop(void)
{
	if (helper_fd < 0)
		return;
	close(helper_fd);
	helper_fd = -1;
	waitpid(helper_pid, NULL, 0);
	helper_pid = 0;
}

/* The helper's answer; false when there is no helper or it is gone. */
static bool ask(const char *tap, struct vmh_rep *p)
{
	struct vmh_req q = { 0 };
	bool ok = false;
	ssize_t n;

	snprintf(q.tap, sizeof(q.tap), "%s", tap);
	pthread_mutex_lock(&helper_lock);
	if (helper_fd >= 0 && send(helper_fd, &q, sizeof(q), MSG_NOSIGNAL) == sizeof(q)) {
		do
			n = recv(helper_fd, p, sizeof(*p), 0);
		while (n < 0 && errno == EINTR);
		ok = n == sizeof(*p);
	}
	pthread_mutex_unlock(&helper_lock);
	return ok;
}

static const char *source_literal(const char *s)
{
	static const char *const known[] = { "proxmox", "libvirt", "qemu", "process" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(s, known[i]))
			return known[i];
	return NULL;
}

int vm_ident_lookup(const char *tap, struct vm_ident *out, unsigned *netns)
{
	struct vmh_rep p;
	int rc;

	if (!ask(tap, &p)) {
		rc = vm_ident_of_tap(tap, NULL, out);
		if (netns)
			*netns = holder_netns(out->pid);
		return rc;
	}
	memset(out, 0, sizeof(*out));
	out->pid = p.pid;
	out->vmid = p.vmid;
	p.name[sizeof(p.name) - 1] = '\0';
	p.source[sizeof(p.source) - 1] = '\0';
	snprintf(out->name, sizeof(out->name), "%s", p.name);
	out->source = source_literal(p.source);
	if (netns)
		*netns = p.netns;
	return p.rc ? p.rc : out->source ? 0 : -ENOENT;
}
