// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Release of a frame after xmit (consume_skb / kfree_skb), matched by skb
 * address against the in-flight state xmit leaves in ids; a kfree_skb of a
 * frame on a watched device that was never handed to a driver is a drop.
 */
#include "vno.bpf.h"

/* kfree_skb carries a reason since 5.17 (commit c504e5c2f964). */
struct trace_event_raw_kfree_skb___reason {
	__u32 reason;
} __attribute__((preserve_access_index));

/* What a released skb had become since xmit. */
struct vno_released {
	__u32 len, gso_type;
	__u16 gso_size, gso_segs;
};

/* The release record of the frame @in followed, as sent (@m) and, when
 * @merged, as released (@cur). */
static __always_inline void release_fill(struct vno_frame *f, const struct vno_skb_state *in,
					 const struct vno_meta *m, const struct vno_released *cur,
					 __u64 now, __u32 reason, bool freed, bool merged)
{
	__builtin_memset(f, 0, sizeof(*f));
	f->ts_ns = now;
	f->pkt_id = in->id;
	f->latency_ns = now - in->xmit_ts;
	f->netns = in->xmit_netns;
	f->ifindex = in->xmit_if;
	f->queue = in->queue;
	__builtin_memcpy(f->dev, in->dev, sizeof(f->dev));
	f->len = m->len;
	f->data_len = m->data_len;
	f->gso_type = m->gso_type;
	f->gso_size = m->gso_size;
	f->gso_segs = m->gso_segs;
	f->nr_frags = m->nr_frags;
	f->ip_summed = m->ip_summed;
	f->hop = VNO_HOP_DONE;
	f->version = VNO_RECORD_VERSION;
	f->drop_reason = reason;
	f->flags = freed ? VNO_F_FREED : 0;
	if (merged) {
		f->flags |= VNO_F_CHANGED;
		f->merged_len = cur->len;
		f->merged_gso_type = cur->gso_type;
		f->merged_gso_size = cur->gso_size;
		f->merged_segs = cur->gso_segs;
	}
	f->transport_off = 0xFFFF;
}

/* The flight recorder slot of the device a frame was handed to. */
static __always_inline __u32 xmit_slot(const struct vno_skb_state *in)
{
	__u32 slot, i = in->xmit_idx - 1;

	if (in->xmit_idx && i < VNO_QUICK_IFS)
		return cfg_if_slot[i];
	vno_watched_slot(in->xmit_netns, in->xmit_if, &slot);
	return slot;
}

static __always_inline int on_release(const struct sk_buff *skb, __u32 reason, bool freed,
				      bool direct)
{
	__u64 addr = vno_num(skb), now, id = 0;
	__u32 slot = 0;
	__u8 kept = 0;
	struct vno_released cur;
	bool merged;
	struct vno_skb_state *in;
	const struct net_device *dev;
	struct vno_meta m;
	struct vno_where w;

	in = vno_state_get(addr, 0, false, NULL, &slot);
	if (in && in->xmit_ts) {
		/* The device may already be gone from skb->dev (veth moved it to
		 * the peer); report it on the device it was handed to. */
		struct vno_event *ev;
		struct vno_frame *fl = NULL;
		void *rb;
		struct vno_fv fv;

		now = bpf_ktime_get_ns();
		w.netns = in->xmit_netns;
		w.ifindex = in->xmit_if;
		w.slot = 0;
		w.idx = in->xmit_idx;
		vno_queue_release(w.netns, w.ifindex, w.idx, in->queue, freed, now);
		/* Lengths, checksum state and gso metadata are all a release
		 * reports. */
		vno_read_meta_core(skb, &m, direct);
		/* What was handed over, not what the skb became since
		 * (a receiver's GRO on the same skb): the aggregates count
		 * the frames sent. */
		merged = m.len != in->sent_len || m.gso_segs != in->sent_gso_segs ||
			 m.gso_size != in->sent_gso_size || m.gso_type != in->sent_gso_type;
		cur.len = m.len;
		cur.gso_type = m.gso_type;
		cur.gso_size = m.gso_size;
		cur.gso_segs = m.gso_segs;
		m.len = in->sent_len;
		m.gso_type = in->sent_gso_type;
		m.gso_size = in->sent_gso_size;
		m.gso_segs = in->sent_gso_segs;
		vno_stat(&w, VNO_HOP_DONE, &m, now - in->xmit_ts, true);
		if (freed)
			vno_drop_stat(w.netns, w.ifindex, reason);
		fv.len = m.len;
		fv.gso_type = m.gso_type;
		fv.gso_size = m.gso_size;
		fv.gso_segs = m.gso_segs;
		fv.ip_summed = m.ip_summed;
		fv.csum_start = 0;
		fv.csum_offset = 0;
		fv.queue = in->queue;
		fv.hop = VNO_HOP_DONE;
		fv.dev_name = in->dev;
		if (!vno_filter_pass_done(&fv, in->kept))
			goto gone;
		/* A drop, or a frame rebuilt smaller (a tunnel's ICMP answer
		 * in its place; GRO only grows an skb), is also kept in the
		 * device's flight recorder beside the xmits: export, which
		 * reads nothing else, explains it from there. Other releases
		 * are not, so the recorder keeps its window of xmits. */
		if (freed || (merged && cur.len < m.len))
			fl = vno_flight_next(xmit_slot(in));
		/* The record alone: a completion carries no frame bytes. Two
		 * fills, not one through a pointer to either: a verifier
		 * before 6.18 loses which one it is and sees the ring
		 * buffer's reservation leak. */
		rb = cfg_events ? vno_ring_here() : NULL;
		ev = rb ? bpf_ringbuf_reserve(rb, sizeof(ev->f), 0) : NULL;
		if (ev) {
			release_fill(&ev->f, in, &m, &cur, now, reason, freed, merged);
			if (fl)
				__builtin_memcpy(fl, &ev->f, sizeof(*fl));
			vno_submit(ev, sizeof(ev->f), rb);
		} else {
			if (cfg_events)
				vno_count(VNO_CNT_RB_LOST);
			if (fl)
				release_fill(fl, in, &m, &cur, now, reason, freed, merged);
		}
gone:
		vno_state_drop(in, slot);
		return 0;
	}
	/* Not handed to a driver of ours: the slot is free either way, and a
	 * drop keeps the id the skb had. */
	if (in) {
		id = in->id;
		kept = in->kept;
		vno_state_drop(in, slot);
	}
	if (!freed)
		return 0;
	dev = VNO_RD(direct, skb, dev);
	if (!dev)
		return 0;
	if (!vno_dev_watched(dev, VNO_RD(direct, dev, ifindex), direct, &w))
		return 0;
	vno_read_meta_core(skb, &m, direct);
	vno_stat(&w, VNO_HOP_DROP, &m, 0, false);
	vno_drop_stat(w.netns, w.ifindex, reason);
	if (vno_wanted(&m)) {
		struct vno_hopinfo hi = { .hop = VNO_HOP_DROP, .reason = reason,
					  .flags = VNO_F_FREED, .now = bpf_ktime_get_ns(),
					  .pkt_id = id ?: vno_addr_id(addr),
					  .kept = in ? &kept : NULL };

		vno_read_meta_rest(skb, &m, direct);
		w.slot = 0;
		vno_emit(dev, &w, &m, &hi, direct);
	}
	return 0;
}

SEC("?tp_btf/consume_skb")
int BPF_PROG(consume_btf, const struct sk_buff *skb)
{
	return on_release(skb, 0, false, true);
}

SEC("?raw_tp/consume_skb")
int BPF_PROG(consume_raw, const struct sk_buff *skb)
{
	return on_release(skb, 0, false, false);
}

SEC("?tracepoint/skb/consume_skb")
int consume_tp(struct trace_event_raw_consume_skb *ctx)
{
	return on_release((const struct sk_buff *)BPF_CORE_READ(ctx, skbaddr), 0, false, false);
}

/* The reason is the third tracepoint argument since 5.17; older kernels
 * have no enum skb_drop_reason and report 0. */
SEC("?tp_btf/kfree_skb")
int BPF_PROG(kfree_btf, const struct sk_buff *skb, void *location, int reason)
{
	return on_release(skb, bpf_core_type_exists(enum skb_drop_reason) ? reason : 0, true, true);
}

SEC("?raw_tp/kfree_skb")
int BPF_PROG(kfree_raw, const struct sk_buff *skb, void *location, int reason)
{
	return on_release(skb, bpf_core_type_exists(enum skb_drop_reason) ? reason : 0, true,
			  false);
}

SEC("?tracepoint/skb/kfree_skb")
int kfree_tp(struct trace_event_raw_kfree_skb *ctx)
{
	__u32 reason = 0;

	if (bpf_core_field_exists(((struct trace_event_raw_kfree_skb___reason *)0)->reason))
		reason = BPF_CORE_READ((struct trace_event_raw_kfree_skb___reason *)ctx, reason);
	return on_release((const struct sk_buff *)BPF_CORE_READ(ctx, skbaddr), reason, true, false);
}
