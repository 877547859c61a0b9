/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading the kernel's maps of a loaded run: the VNO_CNT_* counters, the
 * TX queues and their frames in flight, a device's flight recorder, the
 * in-kernel aggregates and drops, each summed over CPUs. loader.h includes
 * it: these are part of the loader's public API.
 */
#ifndef VNO_KMAPS_H
#define VNO_KMAPS_H

#include <stddef.h>
#include <linux/types.h>
#include "vno.h"

struct loader;

/* Sum over CPUs of the VNO_CNT_* counters. */
int loader_counters(const struct loader *l, __u64 out[VNO_CNT__MAX]);

/* Every TX queue the BPF side has seen a recorded frame on. *out is malloc'd. */
struct loader_queue {
	struct vno_queue_key key;
	struct vno_queue_stat st;
	__s64 inflight;		/* xmit - done - freed - unseen: frames released
				 * unseen are out once a new skb takes their state */
};
int loader_queues(const struct loader *l, struct loader_queue **out, size_t *n);
/* Oldest frame still in flight on a queue: its xmit time, 0 when none. */
__u64 loader_oldest_inflight(const struct loader *l, const struct vno_queue_key *k);

/* The flight recorder of one device, oldest first; *out is malloc'd. */
int loader_flight(const struct loader *l, __u32 netns, __u32 ifindex, struct vno_frame **out,
		  size_t *n);

/* In-kernel aggregates, summed over CPUs. */
struct loader_stat {
	struct vno_stats_key key;
	struct vno_stats st;
};
struct loader_drop {
	struct vno_drop_key key;
	__u64 count;
};
int loader_stats(const struct loader *l, struct loader_stat **out, size_t *n);
int loader_drops(const struct loader *l, struct loader_drop **out, size_t *n);

#endif
