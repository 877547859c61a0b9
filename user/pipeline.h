/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Everything downstream of the ring buffer: decode, aggregate, and the sinks
 * (terminal, JSON lines). record feeds it live, report from a capture file.
 */
#ifndef VNO_PIPELINE_H
#define VNO_PIPELINE_H

#include <stdbool.h>
#include <stdio.h>
#include "agg.h"
#include "session.h"

struct pipeline_opts {
	FILE *out;
	bool json;
	bool quiet;	/* no per-frame lines, only the summary */
	__u64 t0_ns;	/* terminal times are relative to this */
};

struct pipeline {
	struct pipeline_opts o;
	struct agg *agg;
	const struct vno_session *session;
	__u64 frames;
	__u64 first_ts, last_ts;
};

int pipeline_init(struct pipeline *p, const struct pipeline_opts *o, const struct vno_session *s);
void pipeline_fini(struct pipeline *p);
/* Decode (when raw is set) and feed one record to every sink. */
int pipeline_frame(struct pipeline *p, struct vno_event *ev, bool raw);
/* The closing summary in the chosen format. */
void pipeline_summary(struct pipeline *p, __u64 lost, __u64 unmatched, double duration_s);

#endif
