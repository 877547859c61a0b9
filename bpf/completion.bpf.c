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

static __always_inline int on_release(const struct sk_buff *skb, __u32 reason, bool freed,
				      bool direct)
{
	__u64 addr = vno_num(skb), now, id = 0;
	__u8 kept = 0;
	__u32 mlen, mtype;
	__u16 msize, msegs;
	bool merged;
	struct vno_skb_state *in;
	const struct net_device *dev;
	struct vno_meta m;
	struct vno_where w;

	in = vno_state_get(addr, 0, false, NULL);
	if (in && in->xmit_ts) {
		/* The device may already be gone from skb->dev (veth moved it to
		 * the peer); report it on the device it was handed to. */
		struct vno_event *ev;
		struct vno_fv fv;

		now = bpf_ktime_get_ns();
		w.netns = in->xmit_netns;
		w.ifindex = in->xmit_if;
		w.slot = 0;
		w.idx = in->xmit_idx;
		vno_queue_release(w.netns, w.ifindex, w.idx, in->queue, freed, now);
		vno_read_meta(skb, &m, direct);
		/* What was handed over, not what the skb became since
		 * (a receiver's GRO on the same skb): the aggregates count
		 * the frames sent. */
		merged = m.len != in->sent_len || m.gso_segs != in->sent_gso_segs ||
			 m.gso_size != in->sent_gso_size || m.gso_type != in->sent_gso_type;
		mlen = m.len;
		mtype = m.gso_type;
		msize = m.gso_size;
		msegs = m.gso_segs;
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
		/* The record alone: a completion carries no frame bytes. */
		ev = cfg_events ? bpf_ringbuf_reserve(&events, sizeof(ev->f), 0) : NULL;
		if (!ev) {
			if (cfg_events)
				vno_count(VNO_CNT_RB_LOST);
			goto gone;
		}
		__builtin_memset(&ev->f, 0, sizeof(ev->f));
		ev->f.ts_ns = now;
		ev->f.pkt_id = in->id;
		ev->f.latency_ns = now - in->xmit_ts;
		ev->f.netns = in->xmit_netns;
		ev->f.ifindex = in->xmit_if;
		ev->f.queue = in->queue;
		__builtin_memcpy(ev->f.dev, in->dev, sizeof(ev->f.dev));
		ev->f.len = m.len;
		ev->f.data_len = m.data_len;
		ev->f.gso_type = m.gso_type;
		ev->f.gso_size = m.gso_size;
		ev->f.gso_segs = m.gso_segs;
		ev->f.nr_frags = m.nr_frags;
		ev->f.ip_summed = m.ip_summed;
		ev->f.hop = VNO_HOP_DONE;
		ev->f.version = VNO_RECORD_VERSION;
		ev->f.drop_reason = reason;
		ev->f.flags = freed ? VNO_F_FREED : 0;
		if (merged) {
			ev->f.flags |= VNO_F_CHANGED;
			ev->f.merged_len = mlen;
			ev->f.merged_gso_type = mtype;
			ev->f.merged_gso_size = msize;
			ev->f.merged_segs = msegs;
		}
		ev->f.transport_off = 0xFFFF;
		vno_submit(ev);
gone:
		vno_state_drop(in);
		return 0;
	}
	/* Not handed to a driver of ours: the slot is free either way, and a
	 * drop keeps the id the skb had. */
	if (in) {
		id = in->id;
		kept = in->kept;
		vno_state_drop(in);
	}
	if (!freed)
		return 0;
	dev = VNO_RD(direct, skb, dev);
	if (!dev)
		return 0;
	if (!vno_dev_watched(dev, VNO_RD(direct, dev, ifindex), direct, &w))
		return 0;
	vno_read_meta(skb, &m, direct);
	vno_stat(&w, VNO_HOP_DROP, &m, 0, false);
	vno_drop_stat(w.netns, w.ifindex, reason);
	if (vno_wanted(&m)) {
		struct vno_hopinfo hi = { .hop = VNO_HOP_DROP, .reason = reason,
					  .flags = VNO_F_FREED, .now = bpf_ktime_get_ns(),
					  .pkt_id = id ?: vno_addr_id(addr),
					  .kept = in ? &kept : NULL };

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
