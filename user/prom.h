/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Prometheus exporter's pure parts: the text exposition format 0.0.4
 * written from plain structs (no loader, no kernel: unit-tested against
 * golden text).
 *
 * https://prometheus.io/docs/instrumenting/exposition_formats/ ("Text-based
 * format"): label values escape backslash, double quote and line feed;
 * HELP text escapes backslash and line feed; a histogram's buckets are
 * cumulative, the last is le="+Inf" and equals _count.
 */
#ifndef VNO_PROM_H
#define VNO_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "vno.h"

/* What scrapers must be told, or Prometheus 3 refuses the scrape. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Default port. Prometheus's wiki page "Default port allocations" has
 * handed out all of 9100-9999 since 2023 (newer exporters get 10000 and
 * up); this one is not registered there yet: register it, or change it
 * here, in contrib/ and in the README together.
 */
#define PROM_DEFAULT_PORT 10117
#define PROM_DEFAULT_HOST "127.0.0.1"

/*
 * Inputs. Device names are as the caller resolved them; rows whose labels
 * come out equal (a device deleted and created again under the same name
 * has a new ifindex, hence a second row) are summed, so every series
 * appears once and counters stay monotonic.
 */
struct prom_stat {
	const char *dev;
	__u32 netns;
	unsigned hop;		/* enum vno_hop */
	unsigned gso_kind;	/* enum vno_gso_kind */
	const struct vno_stats *st;
	__u64 gso_size_sum;	/* used when prom_input.have_gso_size_sum */
	const char *vm;		/* the VM behind the device; NULL: none known */
};

struct prom_queue {
	const char *dev;
	__u32 netns;
	__u32 queue;
	__s64 inflight;		/* clamped to 0 when negative */
	__u64 unseen;		/* released unseen after xmit (vno_queue_stat) */
	const char *vm;		/* the VM behind the device; NULL: none known */
};

struct prom_drop {
	const char *dev;
	__u32 netns;
	const char *reason;	/* the kernel's name, or a number as text */
	__u64 count;
	const char *vm;		/* the VM behind the device; NULL: none known */
};

/* Per device with a flight recorder: frames checked and, per rule, tripped. */
struct prom_anomaly {
	const char *dev;
	__u32 netns;
	const char *rule;	/* NULL: only @count frames checked */
	__u64 count;
	const char *vm;		/* the VM behind the device; NULL: none known */
};

/* One offload feature of a watched device, as ethtool -k names it. */
struct prom_offload {
	const char *dev;
	__u32 netns;
	const char *feature;
	bool on;
	const char *vm;		/* the VM behind the device; NULL: none known */
};

/* The TX descriptors a driver's hang report said were pending, at the
 * last such hang of the device. */
struct prom_ring {
	char dev[16];
	__u32 netns;
	long long pending;
};

struct prom_named {
	const char *name;
	__u64 count;
};

struct prom_hook {
	const char *hop;
	const char *hook;
};

struct prom_input {
	const char *version;
	const struct prom_hook *hooks;
	size_t n_hooks;
	const struct prom_stat *stats;
	size_t n_stats;
	/* The BPF aggregate keeps no sum of gso_size: without it the
	 * gso_size histogram has no _sum (optional in the format). */
	bool have_gso_size_sum;
	const struct prom_queue *queues;
	size_t n_queues;
	const struct prom_drop *drops;
	size_t n_drops;
	const struct prom_anomaly *anomalies;
	size_t n_anomalies;
	/* Releases at a device the anomaly rules explain (the summary's
	 * drop_causes): rule is the cause, count the frames. */
	const struct prom_anomaly *explained;
	size_t n_explained;
	const struct prom_offload *offloads;
	size_t n_offloads;
	const struct prom_ring *rings;
	size_t n_rings;
	const struct prom_named *hangs;	/* by source */
	size_t n_hangs;
	__u64 events_lost;
	__u64 inflight_full;
	/* Add a netns label to every device series. When false it is still
	 * added if the rows span more than one network namespace. */
	bool netns_label;
};

/* "none", "tcpv4", "tcpv6", "udp_l4", "other", or "?". */
const char *prom_gso_kind_name(unsigned kind);

/* The whole exposition. 0, -ENOMEM, or -EIO when @out fails. */
int prom_write(FILE *out, const struct prom_input *in);

/* A label value as the format wants it: \\, \" and \n escaped, and bytes
 * that are not UTF-8 replaced with U+FFFD (Prometheus rejects them). */
void prom_label_value(FILE *out, const char *s);

#endif
