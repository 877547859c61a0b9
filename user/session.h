/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a recording was made with: kernel, tool, command line, the hook each
 * hop used, and the interfaces at start. record fills it, the capture file
 * stores it, report reads it back.
 */
#ifndef VNO_SESSION_H
#define VNO_SESSION_H

#include "ifaces.h"

/* The hook a hop uses, as said to people: "tp_btf/net_dev_start_xmit". */
#define VNO_HOOK_LEN 256 /* the longest "none: …" reason a hop gets, whole */

struct vno_session {
	char kernel[65];	/* uname -r */
	char tool[64];		/* "vnoffload-trace 0.1.0" */
	char cmdline[1024];
	char filter[1100];	/* record's -f/-m as vno_filter__str() says them, "" none */
	char hooks[VNO_HOP__MAX][VNO_HOOK_LEN]; /* "tp_btf/net_dev_start_xmit", "" = none */
	struct vno_iface *ifaces;     /* owned */
	size_t n_ifaces;
};

void session_free(struct vno_session *s);
/* Fill from this machine; hooks may be NULL. 0, or -1 out of memory. */
int session_fill(struct vno_session *s, const char *cmdline, const char hooks[][VNO_HOOK_LEN],
		 const struct vno_iface *ifs, size_t n);

#endif
