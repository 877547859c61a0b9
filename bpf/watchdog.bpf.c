// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's TX watchdog (dev_watchdog -> net_dev_xmit_timeout, 5.1+): a
 * hang record for the device and queue, the strongest trigger there is.
 */
#include "vno.bpf.h"

static __always_inline int on_timeout(const struct net_device *dev, int queue)
{
	void *rb;
	struct vno_event *ev = vno_bare(dev, VNO_HOP_HANG, &rb);

	if (!ev)
		return 0;
	ev->f.queue = queue;
	/* Never batched: a hang is read at once. */
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("?tp_btf/net_dev_xmit_timeout")
int BPF_PROG(timeout_btf, const struct net_device *dev, int queue)
{
	return on_timeout(dev, queue);
}

SEC("?raw_tp/net_dev_xmit_timeout")
int BPF_PROG(timeout_raw, const struct net_device *dev, int queue)
{
	return on_timeout(dev, queue);
}

/* The classic tracepoint has the name and driver but no device pointer. */
SEC("?tracepoint/net/net_dev_xmit_timeout")
int timeout_tp(struct trace_event_raw_net_dev_xmit_timeout *ctx)
{
	void *rb = vno_ring_here();
	struct vno_event *ev = rb ? bpf_ringbuf_reserve(rb, sizeof(*ev), 0) : NULL;
	unsigned off;

	if (!ev) {
		vno_count(VNO_CNT_RB_LOST);
		return 0;
	}
	__builtin_memset(&ev->f, 0, sizeof(ev->f));
	ev->f.ts_ns = bpf_ktime_get_ns();
	ev->f.queue = ctx->queue_index;
	ev->f.hop = VNO_HOP_HANG;
	ev->f.version = VNO_RECORD_VERSION;
	ev->f.transport_off = 0xFFFF;
	off = ctx->__data_loc_name & 0xFFFF;
	bpf_probe_read_kernel_str(ev->f.dev, sizeof(ev->f.dev), (void *)ctx + off);
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	return 0;
}
