/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The aggregator behind every summary: per (netns, ifindex, hop) counters and
 * distributions fed one decoded record at a time, the same from a live
 * recording or a capture file.
 */
#ifndef VNO_AGG_H
#define VNO_AGG_H

#include <stdio.h>
#include <stdbool.h>
#include "vno.h"
#include "anomaly.h"
#include "diagnose.h"

#define AGG_MAX_REASONS 16
/* (device, hop) pairs summed up one by one; the frames of any further
 * ones are counted together. A host with hundreds of guests stays far
 * below it; a crafted capture with a new device name per frame cannot
 * make the summary grow without bound (~3.7 KiB a pair). */
#define AGG_MAX_ENTRIES 4096
/* Distinct pairs beyond AGG_MAX_ENTRIES counted exactly up to this many,
 * then "more than" (8 bytes each, allocated only when needed). */
#define AGG_MAX_MORE (1u << 20)

struct agg_hist {
	__u64 count, sum, min, max;
	__u32 slot[VNO_HIST_SLOTS];
};

struct agg_reason {
	__u32 reason;
	__u64 count;
};

/* Frames freed at a device for a reason the numbers explain (a drop cause):
 * segments that did not fit a tunnel. */
#define AGG_MAX_CAUSES 4

struct agg_cause {
	bool freed;		/* freed with a drop reason, else answered: the skb was
				 * turned into an ICMP "too big" back to the sender */
	__u32 reason;		/* the drop reason, when freed */
	__u8 rule;		/* enum anomaly_id that explains it */
	struct anomaly_tunnel_fit fit; /* the longest segment's numbers */
	char origin[VNO_IFNAMSIZ + 1], vm[64]; /* where the frames came from */
	char underlay[VNO_IFNAMSIZ + 1];       /* where the tunnel sends */
	__u64 count;
};

struct agg_entry {
	__u32 netns, ifindex;
	__u8 hop;
	char dev[VNO_IFNAMSIZ + 1];
	__u64 frames, bytes, gso_frames, segs_total;
	__u64 csum[VNO_CSUM__MAX];
	__u64 anomalies;		/* frames with at least one rule tripped */
	__u64 changed;			/* done: released changed since xmit (VNO_F_CHANGED) */
	/* xmit rows: frames handed over whose release no tracepoint showed
	 * (their state taken by a new skb: absorbed by a receiver's GRO,
	 * freed untraced, or displaced), and those still in flight when the
	 * recording ended; known only from the BPF side's queue counters. */
	bool release_known;
	__u64 unseen, in_flight_end;
	__u64 rules[ANOMALY__MAX];	/* frames per rule */
	struct agg_hist gso_size, gso_segs, latency;
	struct agg_reason drops[AGG_MAX_REASONS];
	__u64 drops_other; /* reasons beyond AGG_MAX_REASONS */
	struct agg_cause causes[AGG_MAX_CAUSES]; /* drops explained, by reason and rule */
};

struct agg {
	struct agg_entry *e;
	size_t n, cap;
	__u32 *idx;		/* open addressing: entry index + 1, 0 = empty */
	unsigned idx_mask;
	__u64 *more;		/* key hashes of the pairs beyond AGG_MAX_ENTRIES */
	unsigned more_mask, n_more;
	bool more_full;		/* n_more stopped counting at AGG_MAX_MORE */
	__u64 more_frames;	/* records of those pairs */
	__u64 records;
	__u64 first_ts, last_ts;
	__u64 hangs[VNO_HANG__MAX];
	__u64 hangs_untold;	/* counted in hangs[] but not diagnosed (report's cap) */
	/* Frames the filter (-f, -m) left out: in the BPF programs (no ring
	 * record) and after decoding. */
	bool filtered;
	__u64 left_out_bpf, left_out_user;
};

struct agg *agg__new(void);
void agg__free(struct agg *a);
/* 0, or -ENOMEM (the record is then not counted). A record of a pair past
 * AGG_MAX_ENTRIES counts in records and more_frames only. */
int agg__add(struct agg *a, const struct vno_event *ev);

/* A release (done/drop) that the numbers explain as a drop, @c (its count
 * ignored): counted by (freed, reason, rule) on the record's row, keeping
 * the longest segment's numbers. */
void agg__add_cause(struct agg *a, const struct vno_event *ev, const struct agg_cause *c);
/* The sentence for a cause: "dropped at vxlan0: segments of 1488 B …". */
size_t agg_cause_str(const struct agg_cause *c, const char *dev, char *buf, size_t len);

/* Count the anomaly rules (bit per enum anomaly_id) a record tripped. */
void agg__add_anomalies(struct agg *a, const struct vno_event *ev, __u64 mask);

void agg_hist_add(struct agg_hist *h, __u64 v);
/* Value at quantile q (0..1), within a histogram slot's width; 0 when empty. */
__u64 agg_hist_quantile(const struct agg_hist *h, double q);

/* What became of the frames @e's row handed on: "N seen (done), N unseen
 * …, N in flight at the end; …". 0 (and "") when @e knows no releases.
 * The terminal summary and the HTML page both say it with this. */
size_t agg_released_str(const struct agg *a, const struct agg_entry *e, char *buf, size_t len);
/* "N released changed since xmit (…)": 0 (and "") when none were. */
size_t agg_changed_str(const struct agg_entry *e, char *buf, size_t len);

/* Add a device's release counts (agg_entry.unseen, in_flight_end) to its
 * xmit row; nothing when no frame was recorded there. */
void agg__add_release(struct agg *a, __u32 netns, __u32 ifindex, __u64 unseen,
		      __u64 in_flight_end);
/* The same from a summary's JSON (a capture's "summary" note). */
void agg__release_from_json(struct agg *a, const char *json);

/* lost: events the BPF side could not deliver (ring buffer full). */
void agg_print(FILE *out, const struct agg *a, __u64 lost, __u64 unmatched);
void agg_json(FILE *out, const struct agg *a, __u64 lost, __u64 unmatched, double duration_s);

#endif
