// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The privilege drop of -Z USER. What a session still needs once its
 * programs are attached, its ring buffer mapped and its files and sockets
 * open:
 *
 * - CAP_BPF: reading the maps (counters, queue state, the flight recorder,
 *   the aggregates export serves). Since 6.5 a map's fd is enough, but
 *   before that (Debian 12's 6.1) every bpf() command fails with EPERM for
 *   a process without CAP_BPF while kernel.unprivileged_bpf_disabled is
 *   set, which is the default; and updating the watched-interface table
 *   when a watched interface comes back under a new ifindex.
 * - CAP_NET_ADMIN, only with the TC hops: attaching them to a watched
 *   interface that comes back, and removing the clsact filters at exit.
 *
 * Not kept: CAP_PERFMON and CAP_SYS_ADMIN (every tracing program is
 * attached at start, never later), CAP_SYSLOG (/dev/kmsg is already open:
 * the kernel checks at open, not at read), CAP_NET_RAW, CAP_DAC_*.
 * Sockets (rtnetlink, the HTTP listener) and the capture file stay open;
 * a new file (rotation, --hang-dir) is created as USER.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cap-ng.h>
#include <linux/capability.h>
#include "privdrop.h"

/* Kernels and headers before 5.8 have neither. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw;
	char *end;

	if (!user || !*user) {
		snprintf(err, errlen, "-Z needs a user name");
		return -EINVAL;
	}
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		unsigned long v = strtoul(user, &end, 10);

		if (!*end && user[0] >= '0' && user[0] <= '9')
			pw = getpwuid((uid_t)v);
	}
	if (!pw) {
		snprintf(err, errlen, "-Z %s: no such user", user);
		return -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int privdrop_to(const char *user, uid_t uid, gid_t gid, bool tc, char *err, size_t errlen)
{
	capng_flags_t flags;
	int ret;

	capng_clear(CAPNG_SELECT_BOTH);
	ret = capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_BPF);
	if (!ret && tc)
		ret = capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN);
	if (ret) {
		snprintf(err, errlen, "-Z %s: this kernel does not know CAP_BPF (5.8+)", user);
		return -EINVAL;
	}
	/* setgroups (USER's own), setgid, setuid with the kept set applied
	 * across it, then the bounding set emptied, which takes CAP_SETPCAP:
	 * without it (a systemd unit's CapabilityBoundingSet= already bounds
	 * it) the bounding set stays as it is; nothing is executed anyway. */
	capng_get_caps_process();
	flags = CAPNG_INIT_SUPP_GRP;
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		flags |= CAPNG_CLEAR_BOUNDING;
	capng_clear(CAPNG_SELECT_BOTH);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_BPF);
	if (tc)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN);
	ret = capng_change_id((int)uid, (int)gid, flags);
	if (ret) {
		int e = errno ? errno : EPERM;

		snprintf(err, errlen, "-Z %s: switching to uid %u gid %u failed (step %d): %s",
			 user, (unsigned)uid, (unsigned)gid, -ret, strerror(e));
		return -e;
	}
	return 0;
}
