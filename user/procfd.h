/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Who holds what: the process whose open descriptor matches, from /proc. */
#ifndef VNO_PROCFD_H
#define VNO_PROCFD_H

#include <stdbool.h>

/*
 * Look at every descriptor of every process under @proc ("/proc", or a
 * test's tree) but this one, whose fd link is one of @links (NULL-ended:
 * "/dev/net/tun", "anon_inode:bpf-prog", …): @match is called with each
 * line of its fdinfo and says whether this is the one. Returns that pid,
 * or 0 when none matches. Processes that exit meanwhile are skipped.
 */
int procfd_find(const char *proc, const char *const *links,
		bool (*match)(const char *fdinfo_line, void *ctx), void *ctx);

#endif
