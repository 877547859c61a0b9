/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The TC programs on the chosen interfaces: attached as TCX links or clsact
 * filters, moved to an interface that came back under a new ifindex, and
 * detached leaving each interface as it was found.
 */
#ifndef VNO_LOADER_TC_H
#define VNO_LOADER_TC_H

#include <stdbool.h>
#include <stddef.h>
#include "loader.h"

/* One direction of one interface with our program on it. */
struct tc_att {
	__u32 ifindex;
	bool ingress;
	int link_fd;	/* TCX; -1 for clsact */
	bool made_qdisc;	/* clsact: this run created the qdisc */
};

struct tc_links {
	struct tc_att *v;
	size_t n;
	bool clsact_fallback; /* TCX was chosen but refused */
};

/* The programs @fd_in and @fd_eg on both directions of each of @ifs, as
 * @mode says (TC_TCX or TC_CLSACT); with @asked TC_AUTO, TCX refused at the
 * first link falls back to clsact. 0, or -errno with a sentence in @err
 * (what was attached stays in @t for tc_links_detach). */
int tc_links_attach(struct tc_links *t, int fd_in, int fd_eg, const struct vno_iface *ifs,
		    size_t n, enum tc_mode mode, enum tc_mode asked, char *err, size_t errlen);
/* Everything in @t off, and each clsact qdisc this run created with it
 * when nothing else is on it. */
void tc_links_detach(struct tc_links *t);
/* Interface @old_ifindex is gone and back as @new_ifindex: the programs go
 * on the new one the way they were on the old. 0 or -errno. */
int tc_links_moved(struct tc_links *t, int fd_in, int fd_eg, __u32 old_ifindex,
		   __u32 new_ifindex);
/* The programs on both directions of one more interface (one that
 * appeared), as TCX links when @tcx, else clsact filters; the clsact qdisc
 * is left there at the end (made_qdisc false). 0 or -errno. */
int tc_links_add(struct tc_links *t, int fd_in, int fd_eg, __u32 ifindex, bool tcx);
/* Every program on @ifindex off: a deleted device took them with it (closing
 * a dead link is harmless), one no longer chosen has them detached. */
void tc_links_remove(struct tc_links *t, __u32 ifindex);

#endif
