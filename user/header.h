/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The first thing each command says: the ready line of a live session
 * (record, export) and the header of a capture read back (report), as
 * text or as a JSON line. The fields they share (version, kernel, hooks,
 * interfaces) are written by the same code, so they read the same.
 */
#ifndef VNO_HEADER_H
#define VNO_HEADER_H

#include <stdbool.h>
#include <stdio.h>
#include "ifaces.h"
#include "filter.h"
#include "session.h"

/* export's part of its ready line. */
struct header_serve {
	const char *listen;	/* ADDR:PORT as bound */
	bool tls, basic_auth;
	const char *hang_dir;	/* NULL: none */
};

struct header_ready {
	__u32 netns;
	const struct vno_iface *ifaces;	/* the watched ones */
	size_t n_ifaces;
	bool any_iface;		/* no -i: new interfaces are watched too */
	const char (*hooks)[VNO_HOOK_LEN];	/* by hop */
	bool all_frames;	/* record */
	const struct vno_filter *filter; /* record: -f / -m, or NULL */
	const char *filter_where;	/* loader_filter_where(): "bpf", "bpf+user", "user" */
	const struct header_serve *serve;	/* export; NULL for record */
};

/*
 * {"type":"ready","version":…,"kernel":…,[export: "listen","metrics","tls",
 * "basic_auth",]"netns":…,[record: "all_frames",]"hooks":{hop: hook…},
 * "interfaces":[{"name","ifindex","netns","driver","mtu"}…][,export:
 * "hang_dir"]}, or the same in words.
 */
void header_ready(FILE *out, bool json, const struct header_ready *h);

/* report's header: {"type":"capture","file","kernel","tool","cmdline",
 * "hooks","interfaces":count}, or the same in words, every string of the
 * file made safe for a terminal. */
void header_capture(FILE *out, bool json, const char *file, const struct vno_session *s);

#endif
