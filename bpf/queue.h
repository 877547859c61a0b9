/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TX queue state: frames pending on a device's queue since its last
 * completion, and its xmit/done/freed counters (per CPU for the fixed
 * interfaces' first queues, shared otherwise).
 */
#ifndef VNO_BPF_QUEUE_H
#define VNO_BPF_QUEUE_H

#include "maps.h"

/* The state of queue @queue of device (@netns, @ifindex; @idx its position
 * + 1 in the fixed table, 0 for none), made when @create and new;
 * *@cnt is this CPU's counters of it when it has them (a fixed interface's
 * first queues), else NULL and the counters in the state are shared. */
static __always_inline struct vno_queue_stat *vno_queue(__u32 netns, __u32 ifindex, __u32 idx,
							__u16 queue, bool create,
							struct vno_queue_count **cnt)
{
	struct vno_queue_key k = { .netns = netns, .ifindex = ifindex, .queue = queue };
	struct vno_queue_stat *q, init = {};

	*cnt = NULL;
	if (idx && queue < VNO_FIXED_QUEUES) {
		__u32 i = VNO_QUEUE_FIXED_IDX(idx - 1, queue);

		*cnt = bpf_map_lookup_elem(&queue_counts, &i);
		return *cnt ? bpf_map_lookup_elem(&queues_fixed, &i) : NULL;
	}
	q = bpf_map_lookup_elem(&queues, &k);
	if (q || !create)
		return q;
	bpf_map_update_elem(&queues, &k, &init, BPF_NOEXIST);
	return bpf_map_lookup_elem(&queues, &k);
}

/* Count one in counter @f of a queue vno_queue() gave (@q, @c): this CPU's
 * copy when there is one, else the shared one, atomically. */
#define VNO_QUEUE_COUNT(q, c, f)                         \
	do {                                             \
		if (c)                                   \
			(c)->f++;                        \
		else                                     \
			__sync_fetch_and_add(&(q)->f, 1); \
	} while (0)

/* A frame handed to the device at @w's queue @queue was released: @freed
 * with a drop reason, else done (the queue is not stalled). */
static __always_inline void vno_queue_release(__u32 netns, __u32 ifindex, __u32 idx, __u16 queue,
					      bool freed, __u64 now)
{
	struct vno_queue_count *c;
	struct vno_queue_stat *q = vno_queue(netns, ifindex, idx, queue, false, &c);

	if (!q)
		return;
	if (freed) {
		VNO_QUEUE_COUNT(q, c, freed);
	} else {
		VNO_QUEUE_COUNT(q, c, done);
		q->last_done_ns = now;
		q->pending = 0;
	}
}

#endif /* VNO_BPF_QUEUE_H */
