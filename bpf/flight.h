/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The flight recorder: per watched device, a ring of its last frames that
 * export reads when a trigger fires, kept even when no record is sent.
 */
#ifndef VNO_BPF_FLIGHT_H
#define VNO_BPF_FLIGHT_H

#include "maps.h"

/* The next place in its device's flight recorder ring (@slot is 1-based),
 * taken; NULL when there is none. */
static __always_inline struct vno_frame *vno_flight_next(__u32 slot)
{
	__u32 s = slot - 1, idx;
	__u64 *head, i;

	if (!cfg_flight_window || s >= VNO_FLIGHT_MAX_DEVS)
		return NULL;
	head = bpf_map_lookup_elem(&flight_head, &s);
	if (!head)
		return NULL;
	/* Not atomic on purpose: a fetching atomic needs BPF ISA v3, and two
	 * CPUs racing here at worst overwrite one slot of a best-effort ring. */
	i = *head;
	*head = i + 1;
	idx = s * cfg_flight_window + (__u32)(i & (cfg_flight_window - 1));
	return bpf_map_lookup_elem(&flight, &idx);
}

/* Keep @f in its device's flight recorder ring. */
static __always_inline void vno_flight_put(const struct vno_frame *f, __u32 slot)
{
	struct vno_frame *dst = vno_flight_next(slot);

	if (dst)
		__builtin_memcpy(dst, f, sizeof(*f));
}

#endif /* VNO_BPF_FLIGHT_H */
