/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a killed run leaves on TC, and its removal. A clsact filter holds its
 * program in the kernel after the process that attached it died (SIGKILL, a
 * crash); TCX links and tracepoint links do not outlive their last file
 * descriptor. Every run sweeps the interfaces it can see, whatever its own
 * mode, and a run that created a clsact qdisc removes it at the end when
 * nothing else is on it.
 */
#ifndef VNO_TCCLEAN_H
#define VNO_TCCLEAN_H

#include <stdbool.h>
#include <stddef.h>
#include "ifaces.h"

/*
 * Remove, on each of @ifs, the clsact filters with our handle and priority
 * whose program is ours (name vno_tc_*) and held by no live process. One that
 * a running vnoffload-trace holds is left alone (and said at -v). Returns the
 * number removed.
 */
int tc_sweep_stale(const struct vno_iface *ifs, size_t n);

/* The pid of a process other than this one that holds BPF program @prog_id
 * open, or 0 when none does. */
int tc_prog_holder(__u32 prog_id);

/* Filters on @ifindex's clsact ingress and egress, counted with a netlink
 * dump; -errno when the dump fails. */
int tc_clsact_filters(__u32 ifindex);

/* Remove @ifindex's clsact qdisc if no filter is on it; 1 removed, 0 kept,
 * -errno. */
int tc_clsact_remove_if_empty(__u32 ifindex);

#endif
