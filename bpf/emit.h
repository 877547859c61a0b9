/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records: filling a struct vno_frame from what a hook read, copying the
 * frame's first bytes, and sending it through the ring buffer (or keeping
 * it in the flight recorder only).
 */
#ifndef VNO_BPF_EMIT_H
#define VNO_BPF_EMIT_H

#include "maps.h"
#include "meta.h"
#include "watch.h"
#include "stats.h"
#include "flight.h"
#include "filter.h"

/* This CPU's ring buffer (maps.h), NULL only if the loader left it out. */
static __always_inline void *vno_ring_here(void)
{
	__u32 i = bpf_get_smp_processor_id() % cfg_rings;

	return bpf_map_lookup_elem(&rings, &i);
}

/* Commit @ev, @size bytes as reserved in ring @rb (vno_ring_here; never
 * NULL once reserved, but the verifier cannot know). The reader is woken
 * by the record that takes the data waiting past a multiple of
 * cfg_wakeup_bytes (vno_wake_crossed), not by every record once past it:
 * a wakeup costs the submitting CPU an irq_work claim on the ring's shared
 * line, and until the reader ran each record paid it again. A crossing two
 * CPUs' records straddle at once may wake no one; the next multiple does,
 * and the reader also polls on a short timeout, so a quiet trickle is
 * never stuck. */
static __always_inline void vno_submit(void *ev, __u32 size, void *rb)
{
	__u64 avail = rb ? bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) : 0;

	bpf_ringbuf_submit(ev, vno_wake_crossed(avail, vno_rb_len(size), cfg_wakeup_bytes) ?
				       BPF_RB_FORCE_WAKEUP :
				       BPF_RB_NO_WAKEUP);
}

/* What the hook knows beyond the skb itself. */
struct vno_hopinfo {
	__u64 now;	/* bpf_ktime_get_ns() of this hook, read once */
	__u64 pkt_id;
	__u64 latency;
	__u32 reason;
	__u32 origin;
	__u8 hop;
	__u8 flags;
	__u8 *kept;	/* the skb's kept bit (filter.h), NULL: no state */
};

/* The one body: the record of the skb read into @m, seen at @hi->hop on
 * @dev, without its bytes (vno_fill_data). */
static __always_inline void vno_fill(struct vno_frame *f, const struct net_device *dev,
				     __u32 netns, __u32 ifindex, const struct vno_meta *m,
				     const struct vno_hopinfo *hi, bool direct)
{
	__u32 n;

	f->ts_ns = hi->now;
	f->pkt_id = hi->pkt_id;
	f->latency_ns = hi->latency;
	f->netns = netns;
	f->ifindex = ifindex;
	f->len = m->len;
	f->data_len = m->data_len;
	f->gso_type = m->gso_type;
	f->drop_reason = hi->reason;
	f->tcp_seq = 0;
	f->gso_size = m->gso_size;
	f->gso_segs = m->gso_segs;
	f->queue = m->queue;
	f->hop = hi->hop;
	f->ip_summed = m->ip_summed;
	f->nr_frags = m->nr_frags;
	f->l4_proto = 0;
	f->version = VNO_RECORD_VERSION;
	f->flags = hi->flags;
	f->tcp_flags = 0;
	f->ip_ver = 0;
	f->l3_proto = bpf_ntohs(m->protocol);
	f->sport = 0;
	f->dport = 0;
	f->anomaly = 0;
	if (vno_meta_encap(m)) {
		f->encap = VNO_E_SKB;
		f->inner_protocol = bpf_ntohs(m->inner_protocol);
		f->inner_network_off = m->inner_nh - m->mac;
		f->inner_transport_off = m->inner_th > m->mac ? m->inner_th - m->mac : 0;
	} else {
		f->encap = 0;
		f->inner_protocol = 0;
		f->inner_network_off = 0;
		f->inner_transport_off = 0;
	}
	f->origin_ifindex = hi->origin;
	f->ring_size = 0;
	f->ring_free = 0;
	f->ring_head = 0;
	f->ring_tail = 0;
	__builtin_memset(f->saddr, 0, sizeof(f->saddr));
	__builtin_memset(f->daddr, 0, sizeof(f->daddr));
	if (direct)
		__builtin_memcpy(f->dev, dev->name, sizeof(f->dev));
	else
		BPF_CORE_READ_STR_INTO(&f->dev, dev, name);
	if (m->vlan_present) {
		f->vlan_tci = m->vlan_tci;
		f->vlan_proto = bpf_ntohs(m->vlan_proto);
		f->flags |= VNO_F_VLAN_HW;
	} else {
		f->vlan_tci = 0;
		f->vlan_proto = 0;
	}
	f->network_off = m->nh - m->mac;
	f->transport_off = m->th == (__u16)~0U ? 0xFFFF : (__u16)(m->th - m->mac);
	if (m->ip_summed == VNO_CSUM_PARTIAL) {
		f->csum_start = m->csum_start - m->mac;
		f->csum_offset = m->csum_offset;
	} else {
		f->csum_start = 0;
		f->csum_offset = 0;
	}
	n = m->tail > m->mac ? m->tail - m->mac : 0;
	f->mac_len = n > 0xFFFF ? 0xFFFF : n;
	f->cap_len = 0;
}

/* The frame's first bytes (up to the snap length) after its record, in
 * @room bytes reserved for them. */
static __always_inline void vno_fill_data(struct vno_event *ev, const struct vno_meta *m,
					  __u32 room)
{
	__u64 n = ev->f.mac_len, snap = vno_snaplen(ev->f.encap & VNO_E_SKB);

	if (n > snap)
		n = snap;
	/* Last, and in asm, so the verifier sees the bound of the reservation
	 * itself on the register the helper is given. */
	n = VNO_BOUND_REG(n, room);
	if (n && bpf_probe_read_kernel(ev->data, n, m->head + m->mac))
		n = 0;
	ev->f.cap_len = n;
}

/* The same from the bytes -f matched on (@s, filter.h), the VLAN tag it
 * put back taken out again: a copy from a per-CPU buffer of fixed size
 * (what follows the frame's bytes in it is not counted in cap_len) instead
 * of a second read of the skb. vno_pcap_match already bounded s->n by the
 * linear bytes and the snap length, as vno_fill_data bounds its own; @room
 * is one of the two reservation sizes vno_emit makes. */
static __always_inline void vno_fill_data_snap(struct vno_event *ev, const struct vno_snap *s,
					       __u32 room)
{
	__u32 n = s->n < room ? s->n : room;

	if (room == VNO_SNAP_SHORT) {
		if (s->tag) {
			__builtin_memcpy(ev->data, s->b->data, 12);
			__builtin_memcpy(ev->data + 12, s->b->data + 16, VNO_SNAP_SHORT - 12);
		} else {
			__builtin_memcpy(ev->data, s->b->data, VNO_SNAP_SHORT);
		}
	} else {
		if (s->tag) {
			__builtin_memcpy(ev->data, s->b->data, 12);
			__builtin_memcpy(ev->data + 12, s->b->data + 16, VNO_SNAP_MAX - 12);
		} else {
			__builtin_memcpy(ev->data, s->b->data, VNO_SNAP_MAX);
		}
	}
	ev->f.cap_len = n;
}

/*
 * A record without an skb, for @dev at @hop: a hang, a driver's completion
 * round, a guest's header. NULL when @dev is not watched, the ring buffer
 * is full, or (except for hangs, which export reports too) in export mode.
 */
static __always_inline struct vno_event *vno_bare(const struct net_device *dev, __u8 hop,
						  void **rb)
{
	struct vno_event *ev;
	__u32 netns, ifindex;

	if (!dev || (!cfg_events && hop != VNO_HOP_HANG))
		return NULL;
	ifindex = BPF_CORE_READ(dev, ifindex);
	netns = vno_dev_netns(dev, false);
	if (!vno_watched(netns, ifindex))
		return NULL;
	*rb = vno_ring_here();
	ev = *rb ? bpf_ringbuf_reserve(*rb, sizeof(*ev), 0) : NULL;
	if (!ev) {
		vno_count(VNO_CNT_RB_LOST);
		return NULL;
	}
	__builtin_memset(&ev->f, 0, sizeof(ev->f));
	ev->f.ts_ns = bpf_ktime_get_ns();
	ev->f.netns = netns;
	ev->f.ifindex = ifindex;
	ev->f.hop = hop;
	ev->f.version = VNO_RECORD_VERSION;
	ev->f.transport_off = 0xFFFF;
	BPF_CORE_READ_STR_INTO(&ev->f.dev, dev, name);
	return ev;
}

/*
 * The one body: build the record of the skb read into @m, seen at @hi->hop
 * on @dev, keep it in the flight recorder when @w->slot is set, and send it
 * to user space unless in export mode. Returns 0 when a record was sent, -1
 * otherwise.
 */
static __always_inline int vno_emit(const struct net_device *dev, const struct vno_where *w,
				    const struct vno_meta *m, const struct vno_hopinfo *hi,
				    bool direct)
{
	struct vno_snap snap = {};
	struct vno_event *rb = NULL;
	struct vno_frame *f;
	void *ring = NULL;
	__u32 room = VNO_SNAP_MAX;

	if (!vno_filter_pass(m, hi->hop, hi->kept, dev->name, &snap))
		return -1;
	if (cfg_events)
		ring = vno_ring_here();
	if (ring) {
		/* Room for the snap length in use: the default 128 bytes make
		 * a record 288 bytes instead of 416. */
		if (cfg_snaplen <= VNO_SNAP_SHORT &&
		    !(vno_meta_encap(m) && cfg_snaplen_encap > VNO_SNAP_SHORT)) {
			rb = bpf_ringbuf_reserve(ring, sizeof(rb->f) + VNO_SNAP_SHORT, 0);
			room = VNO_SNAP_SHORT;
		} else {
			rb = bpf_ringbuf_reserve(ring, sizeof(*rb), 0);
		}
		if (rb) {
			vno_fill(&rb->f, dev, w->netns, w->ifindex, m, hi, direct);
			if (snap.b)
				vno_fill_data_snap(rb, &snap, room);
			else
				vno_fill_data(rb, m, room);
			if (w->slot)
				vno_flight_put(&rb->f, w->slot);
			vno_submit(rb, sizeof(rb->f) + room, ring);
			return 0;
		}
		vno_count(VNO_CNT_RB_LOST);
	}
	/* Export, or the ring buffer full: the flight recorder only, built
	 * in place. */
	f = w->slot ? vno_flight_next(w->slot) : NULL;
	if (f)
		vno_fill(f, dev, w->netns, w->ifindex, m, hi, direct);
	return -1;
}

#endif /* VNO_BPF_EMIT_H */
