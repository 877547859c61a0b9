/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-CPU numbers: the VNO_CNT_* counters, and the in-kernel aggregates
 * export reads (per device, hop and gso kind; drops per reason).
 */
#ifndef VNO_BPF_STATS_H
#define VNO_BPF_STATS_H

#include "maps.h"
#include "meta.h"
#include "watch.h"

static __always_inline void vno_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

/* One frame into the in-kernel aggregates. */
static __always_inline void vno_stat(const struct vno_where *w, __u8 hop,
				     const struct vno_meta *m, __u64 lat_ns, bool has_lat)
{
	struct vno_stats_key k = { .netns = w->netns, .ifindex = w->ifindex, .hop = hop,
				   .gso_kind = vno_gso_kind(m->gso_type, m->gso_size) };
	struct vno_stats *s;

	if (!cfg_stats)
		return;
	if (w->idx) {
		__u32 i = VNO_STATS_FIXED_IDX(w->idx - 1, hop, k.gso_kind);

		s = bpf_map_lookup_elem(&stats_fixed, &i);
		if (!s)
			return;
		goto add;
	}
	s = bpf_map_lookup_elem(&stats, &k);
	if (!s) {
		bpf_map_update_elem(&stats, &k, &vno_zero_stats, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&stats, &k);
		if (!s)
			return;
	}
add:
	/* Per-CPU values: plain increments are safe. */
	s->frames++;
	s->bytes += m->len;
	s->csum[m->ip_summed & 3]++;
	if (m->gso_size) {
		s->segs += m->gso_segs;
		s->gso_size[vno_log2_slot(m->gso_size, VNO_SIZE_SLOTS)]++;
		s->gso_size_sum += m->gso_size;
		s->gso_segs[vno_log2_slot(m->gso_segs, VNO_SEGS_SLOTS)]++;
	}
	if (has_lat) {
		s->lat[vno_log2_slot(lat_ns / 1000, VNO_LOG2_SLOTS)]++;
		s->lat_sum_ns += lat_ns;
		s->lat_count++;
	}
}

static __always_inline void vno_drop_stat(__u32 netns, __u32 ifindex, __u32 reason)
{
	struct vno_drop_key k = { .netns = netns, .ifindex = ifindex, .reason = reason };
	__u64 one = 1, *v;

	if (!cfg_stats)
		return;
	v = bpf_map_lookup_elem(&drops, &k);
	if (v)
		(*v)++;
	else
		bpf_map_update_elem(&drops, &k, &one, BPF_NOEXIST);
}

#endif /* VNO_BPF_STATS_H */
