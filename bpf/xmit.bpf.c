// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Driver hand-off (net_dev_start_xmit) and frames entering the host from a
 * device (netif_receive_skb). Each hook has one body and thin wrappers per
 * attach kind; the loader enables the first wrapper that attaches here.
 * The classic tracepoint truncates gso_type to 16 bits and lacks
 * csum_start/offset, so every variant reads the skb itself through CO-RE.
 */
#include "vno.bpf.h"

static __always_inline void queue_xmit(const struct vno_where *w, __u16 queue, __u64 now)
{
	struct vno_queue_count *c;
	struct vno_queue_stat *q = vno_queue(w->netns, w->ifindex, w->idx, queue, true, &c);

	if (!q)
		return;
	q->last_xmit_ns = now;
	if (q->pending == 0)
		q->first_pending_ns = now;
	/* Plain: two CPUs racing here at worst count one pending frame less. */
	q->pending++;
	VNO_QUEUE_COUNT(q, c, xmit);
}

static __always_inline int on_xmit(const struct sk_buff *skb, bool direct)
{
	const struct net_device *dev = VNO_RD(direct, skb, dev);
	struct vno_hopinfo hi = { .hop = VNO_HOP_XMIT };
	struct vno_skb_state *st;
	struct vno_meta m;
	struct vno_where w;

	if (!dev)
		return 0;
	if (!vno_dev_watched(dev, VNO_RD(direct, dev, ifindex), direct, &w))
		return 0;
	vno_count(VNO_CNT_SEEN);
	vno_read_meta_core(skb, &m, direct);
	vno_stat(&w, VNO_HOP_XMIT, &m, 0, false);
	if (!vno_wanted(&m))
		return 0;
	vno_read_meta_rest(skb, &m, direct);
	hi.now = bpf_ktime_get_ns();
	/* One lookup: the id, the ingress device, the qdisc wait since
	 * tc-egress, and where the in-flight state goes. */
	st = vno_skb_state(skb, m.head, 0, VNO_HOP_XMIT, w.ifindex, hi.now);
	if (st) {
		hi.pkt_id = st->id;
		hi.origin = st->origin;
		hi.kept = &st->kept;
		if (st->tc_ts) {
			hi.latency = hi.now - st->tc_ts;
			hi.flags |= VNO_F_QUEUE_WAIT;
			st->tc_ts = 0;
		}
	} else {
		hi.pkt_id = vno_pkt_id_bare(skb);
	}
	vno_emit(dev, &w, &m, &hi, direct);
	/* In flight whether or not the record reached user space: the
	 * completion, the stall trigger and the aggregates need it. */
	if (!st) {
		vno_count(VNO_CNT_INFLIGHT_FULL);
		return 0;
	}
	st->xmit_ts = hi.now;
	st->xmit_netns = w.netns;
	st->xmit_idx = w.idx;
	st->queue = m.queue;
	st->sent_len = m.len;
	st->sent_gso_type = m.gso_type;
	st->sent_gso_size = m.gso_size;
	st->sent_gso_segs = m.gso_segs;
	if (direct)
		__builtin_memcpy(st->dev, dev->name, sizeof(st->dev));
	else
		BPF_CORE_READ_STR_INTO(&st->dev, dev, name);
	queue_xmit(&w, m.queue, hi.now);
	return 0;
}

static __always_inline int on_rx(const struct sk_buff *skb, bool direct)
{
	const struct net_device *dev = VNO_RD(direct, skb, dev);
	struct vno_hopinfo hi = { .hop = VNO_HOP_RX };
	struct vno_skb_state *st;
	struct vno_meta m;
	struct vno_where w;

	if (!dev)
		return 0;
	if (!vno_dev_watched(dev, VNO_RD(direct, dev, ifindex), direct, &w))
		return 0;
	vno_count(VNO_CNT_SEEN);
	vno_read_meta_core(skb, &m, direct);
	vno_stat(&w, VNO_HOP_RX, &m, 0, false);
	if (!vno_wanted(&m))
		return 0;
	vno_read_meta_rest(skb, &m, direct);
	hi.now = bpf_ktime_get_ns();
	/* Remember where it came in (the first device wins), so the device it
	 * leaves on can say. */
	st = vno_skb_state(skb, m.head, w.ifindex, VNO_HOP_RX, w.ifindex, hi.now);
	if (st) {
		if (!st->origin)
			st->origin = w.ifindex;
		hi.pkt_id = st->id;
		hi.kept = &st->kept;
	} else {
		hi.pkt_id = vno_pkt_id_bare(skb);
	}
	hi.origin = w.ifindex;
	w.slot = 0; /* the flight recorder keeps what leaves */
	vno_emit(dev, &w, &m, &hi, direct);
	return 0;
}

SEC("?tp_btf/net_dev_start_xmit")
int BPF_PROG(xmit_btf, const struct sk_buff *skb)
{
	return on_xmit(skb, true);
}

SEC("?raw_tp/net_dev_start_xmit")
int BPF_PROG(xmit_raw, const struct sk_buff *skb)
{
	return on_xmit(skb, false);
}

SEC("?tracepoint/net/net_dev_start_xmit")
int xmit_tp(struct trace_event_raw_net_dev_start_xmit *ctx)
{
	return on_xmit((const struct sk_buff *)BPF_CORE_READ(ctx, skbaddr), false);
}

SEC("?tp_btf/netif_receive_skb")
int BPF_PROG(rx_btf, const struct sk_buff *skb)
{
	return on_rx(skb, true);
}

SEC("?raw_tp/netif_receive_skb")
int BPF_PROG(rx_raw, const struct sk_buff *skb)
{
	return on_rx(skb, false);
}

SEC("?tracepoint/net/netif_receive_skb")
int rx_tp(struct trace_event_raw_net_dev_template *ctx)
{
	return on_rx((const struct sk_buff *)BPF_CORE_READ(ctx, skbaddr), false);
}
