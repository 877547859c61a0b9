/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Everything downstream of the ring buffer: decode, anomaly rules,
 * aggregate, the flight recorder and diagnosis, and the sinks (terminal,
 * JSON lines). record feeds it live, report from a capture file.
 */
#ifndef VNO_PIPELINE_H
#define VNO_PIPELINE_H

#include <stdbool.h>
#include <stdio.h>
#include "agg.h"
#include "diagnose.h"
#include "offchange.h"
#include "filter.h"
#include "session.h"

struct pipeline_opts {
	FILE *out;
	bool json;
	bool quiet;	/* no per-frame lines, only hangs and the summary */
	__u64 t0_ns;	/* terminal times are relative to this */
	unsigned window; /* flight recorder frames per device; 0: default */
	struct vno_filter *filter; /* -f / -m, not owned; NULL keeps every frame */
	/* What each diagnosis says its frames were chosen by (the filter, and
	 * for report the recording's too); NULL or "": every frame. */
	const char *filter_desc;
};

/* A frame flagged at a tunnel device for segments that will not fit, until
 * its release says whether it was dropped there. */
#define PIPE_PENDING 64
struct pipe_pending {
	__u64 pkt_id;
	__u32 netns, ifindex;
	struct agg_cause c;
};

/* The device each namespace's tunnels were last seen sending on. */
#define PIPE_UNDERLAYS 8
struct pipe_underlay {
	__u32 netns;
	char dev[VNO_IFNAMSIZ + 1];
};

struct pipeline {
	struct pipeline_opts o;
	struct agg *agg;
	struct diag *diag;
	const struct vno_iface *ifaces; /* for the device-dependent rules */
	size_t n_ifaces;
	__u64 frames;
	__u64 filtered; /* records the filter left out */
	struct pipe_pending pend[PIPE_PENDING];
	unsigned pend_next;
	struct pipe_underlay under[PIPE_UNDERLAYS];
	unsigned n_under;
	/* Called with each hang's diagnosis (capture file, log); may be NULL. */
	void (*on_hang)(const struct vno_diagnosis *dg, void *ctx);
	/* Called with each record after decoding (capture file); may be NULL. */
	int (*on_frame)(const struct vno_event *ev, void *ctx);
	/* Called with each offload change (capture file); may be NULL. */
	void (*on_offload)(const struct offload_change *oc, void *ctx);
	void *ctx;
};

int pipeline_init(struct pipeline *p, const struct pipeline_opts *o, const struct vno_iface *ifs,
		  size_t n_ifs);
void pipeline_fini(struct pipeline *p);
/* Decode (when raw is set) and feed one record to every sink; a watchdog
 * record becomes a hang. */
int pipeline_frame(struct pipeline *p, struct vno_event *ev, bool raw);
/* @f is the record after the one about to be fed: start fetching what it
 * will look up (a hint; it may never be fed). */
void pipeline_prefetch(const struct pipeline *p, const struct vno_frame *f);
/* Diagnose a hang and print it. */
int pipeline_hang(struct pipeline *p, const struct vno_hang *h);
/* A watched device's offload features changed: said in every mode (also
 * -q: it is rare and may explain what follows), and to on_offload. */
void pipeline_offload_change(struct pipeline *p, const struct offload_change *oc);
/* The closing summary in the chosen format. */
void pipeline_summary(struct pipeline *p, __u64 lost, __u64 unmatched, double duration_s);

#endif
