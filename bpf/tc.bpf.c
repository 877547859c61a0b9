// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TC programs on the chosen interfaces: the frame as the qdisc sees it.
 * bpf_cast_to_kern_ctx (6.3+) gives the kernel sk_buff, so the same body as
 * every other hop applies and the packet id matches; older kernels get the
 * basic variant, which has only what struct __sk_buff exposes.
 */
#include "vno.bpf.h"

#define TC_ACT_UNSPEC (-1)

/* Weak: kernels before 6.3 lack the kfunc, and a strong extern would make
 * libbpf refuse the whole object there; the loader then leaves TC out. */
extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;

static __always_inline int on_tc(struct __sk_buff *ctx, __u8 hop)
{
	const struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	const struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct vno_hopinfo hi = {};
	struct vno_skb_state *st;
	struct vno_meta m;
	__u32 netns;

	if (!dev || !vno_quick_ifindex(ctx->ifindex))
		return TC_ACT_UNSPEC;
	netns = vno_dev_netns(dev);
	if (!vno_watched(netns, ctx->ifindex))
		return TC_ACT_UNSPEC;
	vno_read_meta(skb, &m);
	vno_stat(netns, ctx->ifindex, hop, &m, 0, false);
	if (!vno_wanted(&m))
		return TC_ACT_UNSPEC;
	hi.hop = hop;
	st = vno_skb_state(skb, m.head, 0, hop, ctx->ifindex);
	if (st) {
		hi.pkt_id = st->id;
		/* xmit then reports the wait in the qdisc. */
		if (hop == VNO_HOP_TC_EGRESS)
			st->tc_ts = bpf_ktime_get_ns();
	}
	vno_emit(skb, dev, netns, &m, &hi, 0);
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
