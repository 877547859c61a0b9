// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TC programs on the chosen interfaces: the frame as the qdisc sees it.
 * bpf_cast_to_kern_ctx (6.3+) gives the kernel sk_buff as a BTF pointer, so
 * the same body as every other hop applies, with plain loads, and the packet
 * id matches. There is no variant for older kernels: the loader leaves TC
 * out there (tc_choose, user/hook_plan.c), as struct __sk_buff alone lacks
 * the gso and checksum state.
 */
#include "vno.bpf.h"

#define TC_ACT_UNSPEC (-1)

/* Weak: kernels before 6.3 lack the kfunc, and a strong extern would make
 * libbpf refuse the whole object there; the loader then leaves TC out. */
extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;

static __always_inline int on_tc(struct __sk_buff *ctx, __u8 hop)
{
	const struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	const struct net_device *dev = skb->dev;
	struct vno_hopinfo hi = {};
	struct vno_skb_state *st;
	struct vno_meta m;
	struct vno_where w;

	if (!dev || !vno_dev_watched(dev, ctx->ifindex, true, &w))
		return TC_ACT_UNSPEC;
	vno_read_meta_core(skb, &m, true);
	vno_stat(&w, hop, &m, 0, false);
	if (!vno_wanted(&m))
		return TC_ACT_UNSPEC;
	vno_read_meta_rest(skb, &m, true);
	hi.hop = hop;
	hi.now = bpf_ktime_get_ns();
	st = vno_skb_state(skb, m.head, 0, hop, w.ifindex, hi.now);
	hi.pkt_id = st ? st->id : vno_pkt_id_bare(skb);
	if (st) {
		hi.kept = &st->kept;
		/* xmit then reports the wait in the qdisc. */
		if (hop == VNO_HOP_TC_EGRESS)
			st->tc_ts = hi.now;
	}
	w.slot = 0; /* the flight recorder keeps what xmit sees */
	vno_emit(dev, &w, &m, &hi, true);
	return TC_ACT_UNSPEC;
}

SEC("?tc")
int vno_tc_ingress(struct __sk_buff *ctx)
{
	return on_tc(ctx, VNO_HOP_TC_INGRESS);
}

SEC("?tc")
int vno_tc_egress(struct __sk_buff *ctx)
{
	return on_tc(ctx, VNO_HOP_TC_EGRESS);
}
