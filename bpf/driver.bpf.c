// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Driver internals: virtio_net, tun, the bridge and e1000e, through fentry
 * (module BTF) or kprobes. Each hook has one body and a thin wrapper per
 * attach kind; the loader enables the first kind that attaches here, per
 * function, and skips functions this kernel does not have.
 *
 * Driver structs are not in vmlinux.h (they live in module BTF): the
 * ___vno flavours below name only the fields read, and CO-RE finds them in
 * the running module's BTF. Field-existence checks name the kernel that
 * changed a layout.
 *
 * Module BTF came in 5.11 (commit 36e68442d1af "bpf: Load and verify kernel
 * module BTFs"). Before it, fentry cannot attach to a module's function and
 * no driver struct can be read: the kprobe xmit hooks then record the frame
 * without the ring state (bpf_core_type_exists() is false there, and the
 * verifier never walks the branch that reads it), and the loader leaves out
 * the hooks that are nothing but driver structs (drv_defs' needs_types).
 */
#include "vno.bpf.h"

/* ---- driver structs, as far as we read them -------------------------- */

/* drivers/net/ethernet/intel/e1000e/e1000.h */
struct e1000_adapter___vno;

struct e1000_ring___vno {
	struct e1000_adapter___vno *adapter;
	unsigned int count;
	u16 next_to_use;
	u16 next_to_clean;
} __attribute__((preserve_access_index));

struct e1000_adapter___vno {
	struct e1000_ring___vno *tx_ring;
	struct net_device *netdev;
	struct work_struct print_hang_task;
	u64 total_tx_bytes;
	u64 total_tx_packets;
} __attribute__((preserve_access_index));

/* drivers/net/virtio_net.c */
struct virtqueue___vno {
	struct virtio_device *vdev;
	unsigned int index;
	unsigned int num_free;
	unsigned int num_max; /* since 6.0 (commit 6f7b4e4f9e1b); 0 before */
} __attribute__((preserve_access_index));

struct virtio_device___vno {
	void *priv;
} __attribute__((preserve_access_index));

struct send_queue___vno {
	struct virtqueue___vno *vq;
} __attribute__((preserve_access_index));

struct virtnet_info___vno {
	struct net_device *dev;
	struct send_queue___vno *sq;
} __attribute__((preserve_access_index));

/* drivers/net/tun.c */
struct tun_file___vno {
	struct ptr_ring tx_ring;
} __attribute__((preserve_access_index));

struct tun_struct___vno {
	struct tun_file___vno *tfiles[256];
	struct net_device *dev;
} __attribute__((preserve_access_index));

/* include/linux/uio.h: 6.4 renamed iov to __iov (commit de4f5fed3f23). */
struct iov_iter___pre64 {
	const struct iovec *iov;
} __attribute__((preserve_access_index));

/* include/uapi/linux/virtio_net.h */
struct vno_virtio_net_hdr {
	__u8 flags;
	__u8 gso_type;
	__u16 hdr_len;
	__u16 gso_size;
	__u16 csum_start;
	__u16 csum_offset;
};

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#define VIRTIO_NET_HDR_GSO_ECN 0x80

/* netdev_priv(): the private area follows struct net_device, aligned to
 * NETDEV_ALIGN (32) (include/linux/netdevice.h). */
static __always_inline void *vno_netdev_priv(const struct net_device *dev)
{
	__u64 sz = bpf_core_type_size(struct net_device);

	return (void *)dev + ((sz + 31) & ~31ULL);
}

/* ---- records ---------------------------------------------------------- */

struct vno_ring {
	__u32 size, free, head, tail;
};

/* A record for @skb at a driver hop, with the ring state. */
static __always_inline int drv_skb(const struct sk_buff *skb, const struct net_device *dev,
				   __u8 hop, const struct vno_ring *r)
{
	void *rb;
	struct vno_hopinfo hi = { .hop = hop };
	struct vno_event *ev;
	struct vno_meta m;
	__u32 netns, ifindex;

	if (!dev || !cfg_events)
		return 0;
	netns = vno_dev_netns(dev, false);
	ifindex = BPF_CORE_READ(dev, ifindex);
	if (!vno_watched(netns, ifindex))
		return 0;
	vno_read_meta(skb, &m, false);
	if (!vno_wanted(&m))
		return 0;
	rb = vno_ring_here();
	ev = rb ? bpf_ringbuf_reserve(rb, sizeof(*ev), 0) : NULL;
	if (!ev) {
		vno_count(VNO_CNT_RB_LOST);
		return 0;
	}
	hi.now = bpf_ktime_get_ns();
	hi.pkt_id = vno_pkt_id(skb, m.head);
	vno_fill(&ev->f, dev, netns, ifindex, &m, &hi, false);
	vno_fill_data(ev, &m, VNO_SNAP_MAX);
	if (r) {
		ev->f.ring_size = r->size;
		ev->f.ring_free = r->free;
		ev->f.ring_head = r->head;
		ev->f.ring_tail = r->tail;
		ev->f.flags |= VNO_F_RING;
	}
	/* The ring looked up again, not kept from the reservation: kept
	 * across vno_pkt_id, it took the programs of e1000_xmit_frame and
	 * tun_net_xmit past the 512-byte stack. */
	vno_submit(ev, sizeof(*ev), vno_ring_here());
	return 0;
}

static __always_inline void drv_hang(const struct net_device *dev, int queue,
				     const struct vno_ring *r)
{
	void *rb;
	struct vno_event *ev = vno_bare(dev, VNO_HOP_HANG, &rb);

	if (!ev)
		return;
	ev->f.queue = queue < 0 ? 0xFFFF : queue;
	ev->f.flags |= VNO_F_DRIVER;
	if (r) {
		ev->f.ring_size = r->size;
		ev->f.ring_free = r->free;
		ev->f.ring_head = r->head;
		ev->f.ring_tail = r->tail;
		ev->f.flags |= VNO_F_RING;
	}
	/* Never batched: a hang is read at once. */
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
}

/* Per-CPU room for what an entry probe hands its exit probe. */
struct drv_stash {
	__u64 ptr;	/* the ring / send queue / tun */
	__u64 ts;
	__u64 bytes, packets;
	__u32 head;
	__u32 pad;
	struct vno_virtio_net_hdr hdr;
	__u32 have_hdr;
	__u32 len;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drv_stash);
} drv_stash SEC(".maps");

static __always_inline struct drv_stash *stash(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&drv_stash, &zero);
}

/* e1000e: when each descriptor index was filled, per ring, for the TX
 * descriptor latency at cleaning. */
struct e1000_desc_key {
	__u64 ring;
	__u32 idx;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct e1000_desc_key);
	__type(value, __u64);
} e1000_desc_ts SEC(".maps");

/* ---- e1000e ------------------------------------------------------------- */

static __always_inline void e1000_ring_state(const struct e1000_ring___vno *ring,
					     struct vno_ring *r)
{
	__u32 ntu = BPF_CORE_READ(ring, next_to_use), ntc = BPF_CORE_READ(ring, next_to_clean);

	r->size = BPF_CORE_READ(ring, count);
	r->head = ntc;
	r->tail = ntu;
	/* E1000_DESC_UNUSED() (e1000e/netdev.c) */
	r->free = (ntc > ntu ? 0 : r->size) + ntc - ntu - 1;
}

static __always_inline int on_e1000_xmit(const struct sk_buff *skb, const struct net_device *dev)
{
	struct e1000_adapter___vno *ad = vno_netdev_priv(dev);
	struct e1000_ring___vno *ring;
	struct e1000_desc_key k = {};
	struct vno_ring r;
	__u64 now = bpf_ktime_get_ns();

	if (!bpf_core_type_exists(struct e1000_adapter___vno))
		return drv_skb(skb, dev, VNO_HOP_DRV_XMIT, NULL);
	ring = BPF_CORE_READ(ad, tx_ring);
	k.ring = (__u64)ring;
	e1000_ring_state(ring, &r);
	/* This frame's first descriptor goes to next_to_use. */
	k.idx = r.tail;
	bpf_map_update_elem(&e1000_desc_ts, &k, &now, BPF_ANY);
	return drv_skb(skb, dev, VNO_HOP_DRV_XMIT, &r);
}

SEC("?fentry/e1000_xmit_frame")
int BPF_PROG(e1000_xmit_fentry, struct sk_buff *skb, struct net_device *dev)
{
	return on_e1000_xmit(skb, dev);
}

SEC("?kprobe/e1000_xmit_frame")
int BPF_KPROBE(e1000_xmit_kprobe, struct sk_buff *skb, struct net_device *dev)
{
	return on_e1000_xmit(skb, dev);
}

/* Cleaning: note where next_to_clean and the adapter's totals stood... */
static __always_inline void on_e1000_clean_enter(struct e1000_ring___vno *ring)
{
	struct drv_stash *s = stash();
	struct e1000_adapter___vno *ad = BPF_CORE_READ(ring, adapter);

	if (!s)
		return;
	s->ptr = (__u64)ring;
	s->head = BPF_CORE_READ(ring, next_to_clean);
	s->bytes = BPF_CORE_READ(ad, total_tx_bytes);
	s->packets = BPF_CORE_READ(ad, total_tx_packets);
}

/* ...and after: what was completed, and how long its oldest descriptor
 * waited since e1000_xmit_frame placed it. */
static __always_inline void on_e1000_clean_exit(void)
{
	void *rb;
	struct drv_stash *s = stash();
	struct e1000_ring___vno *ring;
	struct e1000_adapter___vno *ad;
	struct e1000_desc_key k = {};
	struct vno_event *ev;
	struct vno_ring r;
	__u64 *ts, bytes, pkts;

	if (!s || !s->ptr)
		return;
	ring = (void *)s->ptr;
	s->ptr = 0;
	e1000_ring_state(ring, &r);
	if (r.head == s->head)
		return; /* nothing cleaned */
	ad = BPF_CORE_READ(ring, adapter);
	ev = vno_bare(BPF_CORE_READ(ad, netdev), VNO_HOP_DRV_DONE, &rb);
	if (!ev)
		return;
	k.ring = (__u64)ring;
	k.idx = s->head;
	ts = bpf_map_lookup_elem(&e1000_desc_ts, &k);
	if (ts) {
		ev->f.latency_ns = ev->f.ts_ns - *ts;
		bpf_map_delete_elem(&e1000_desc_ts, &k);
	}
	/* The adapter's totals are updated at the end of e1000_clean_tx_irq. */
	bytes = BPF_CORE_READ(ad, total_tx_bytes) - s->bytes;
	pkts = BPF_CORE_READ(ad, total_tx_packets) - s->packets;
	ev->f.len = bytes > 0xFFFFFFFFULL ? 0xFFFFFFFF : bytes;
	ev->f.gso_segs = pkts > 0xFFFF ? 0xFFFF : pkts;
	ev->f.ring_size = r.size;
	ev->f.ring_free = r.free;
	ev->f.ring_head = r.head;
	ev->f.ring_tail = r.tail;
	ev->f.flags |= VNO_F_RING;
	vno_submit(ev, sizeof(*ev), rb);
}

SEC("?fentry/e1000_clean_tx_irq")
int BPF_PROG(e1000_clean_fentry, struct e1000_ring___vno *ring)
{
	on_e1000_clean_enter(ring);
	return 0;
}

SEC("?fexit/e1000_clean_tx_irq")
int BPF_PROG(e1000_clean_fexit, struct e1000_ring___vno *ring)
{
	on_e1000_clean_exit();
	return 0;
}

SEC("?kprobe/e1000_clean_tx_irq")
int BPF_KPROBE(e1000_clean_kprobe, struct e1000_ring___vno *ring)
{
	on_e1000_clean_enter(ring);
	return 0;
}

SEC("?kretprobe/e1000_clean_tx_irq")
int BPF_KRETPROBE(e1000_clean_kretprobe)
{
	on_e1000_clean_exit();
	return 0;
}

/* e1000_print_hw_hang() runs from the adapter's print_hang_task work: the
 * driver's own "Detected Hardware Unit Hang". TDH/TDT are registers, which
 * a probe cannot read safely; the software view of the ring is what the
 * driver itself compares them with. */
static __always_inline int on_e1000_hang(struct work_struct *work)
{
	struct e1000_adapter___vno *ad;
	struct vno_ring r;

	ad = (void *)work - bpf_core_field_offset(struct e1000_adapter___vno, print_hang_task);
	e1000_ring_state(BPF_CORE_READ(ad, tx_ring), &r);
	drv_hang(BPF_CORE_READ(ad, netdev), 0, &r);
	return 0;
}

SEC("?fentry/e1000_print_hw_hang")
int BPF_PROG(e1000_hang_fentry, struct work_struct *work)
{
	return on_e1000_hang(work);
}

SEC("?kprobe/e1000_print_hw_hang")
int BPF_KPROBE(e1000_hang_kprobe, struct work_struct *work)
{
	return on_e1000_hang(work);
}

/* ---- virtio_net --------------------------------------------------------- */

static __always_inline void virtnet_sq_state(const struct send_queue___vno *sq, struct vno_ring *r)
{
	struct virtqueue___vno *vq = BPF_CORE_READ(sq, vq);

	r->free = BPF_CORE_READ(vq, num_free);
	r->size = bpf_core_field_exists(vq->num_max) ? BPF_CORE_READ(vq, num_max) : 0;
	/* No indexes to show: head 0 and tail = descriptors in use, so that
	 * tail - head is the use on every driver. */
	r->head = 0;
	r->tail = r->size > r->free ? r->size - r->free : 0;
}

static __always_inline int on_virtnet_xmit(const struct sk_buff *skb, const struct net_device *dev)
{
	struct virtnet_info___vno *vi = vno_netdev_priv(dev);
	__u16 q = BPF_CORE_READ(skb, queue_mapping);
	struct send_queue___vno *sq;
	struct vno_ring r;

	if (!bpf_core_type_exists(struct virtnet_info___vno))
		return drv_skb(skb, dev, VNO_HOP_DRV_XMIT, NULL);
	sq = (void *)BPF_CORE_READ(vi, sq) + (__u64)q * bpf_core_type_size(struct send_queue___vno);
	virtnet_sq_state(sq, &r);
	return drv_skb(skb, dev, VNO_HOP_DRV_XMIT, &r);
}

SEC("?fentry/start_xmit")
int BPF_PROG(virtnet_xmit_fentry, struct sk_buff *skb, struct net_device *dev)
{
	return on_virtnet_xmit(skb, dev);
}

SEC("?kprobe/start_xmit")
int BPF_KPROBE(virtnet_xmit_kprobe, struct sk_buff *skb, struct net_device *dev)
{
	return on_virtnet_xmit(skb, dev);
}

/* The TX completion path: free_old_xmit_skbs(sq, in_napi) before 6.10,
 * free_old_xmit(sq, txq, in_napi) since; both take the send queue first. */
static __always_inline void on_virtnet_free_exit(const struct send_queue___vno *sq)
{
	void *rb;
	struct virtqueue___vno *vq;
	struct virtnet_info___vno *vi;
	struct virtio_device___vno *vdev;
	struct vno_event *ev;
	struct vno_ring r;

	if (!sq)
		return;

	vq = BPF_CORE_READ(sq, vq);
	vdev = (void *)BPF_CORE_READ(vq, vdev);
	vi = BPF_CORE_READ(vdev, priv);
	ev = vno_bare(BPF_CORE_READ(vi, dev), VNO_HOP_DRV_DONE, &rb);
	if (!ev)
		return;
	virtnet_sq_state(sq, &r);
	/* TX virtqueues are the odd ones: vq index 2q + 1 (virtio_net.c txq2vq). */
	ev->f.queue = BPF_CORE_READ(vq, index) / 2;
	ev->f.ring_size = r.size;
	ev->f.ring_free = r.free;
	ev->f.ring_head = r.head;
	ev->f.ring_tail = r.tail;
	ev->f.flags |= VNO_F_RING;
	vno_submit(ev, sizeof(*ev), rb);
}

static __always_inline void on_virtnet_free_enter(const struct send_queue___vno *sq)
{
	struct drv_stash *s = stash();

	if (s)
		s->ptr = (__u64)sq;
}

static __always_inline void on_virtnet_free_ret(void)
{
	struct drv_stash *s = stash();

	if (s && s->ptr) {
		on_virtnet_free_exit((void *)s->ptr);
		s->ptr = 0;
	}
}

SEC("?fexit/free_old_xmit_skbs")
int BPF_PROG(virtnet_free_old_fexit, struct send_queue___vno *sq)
{
	on_virtnet_free_exit(sq);
	return 0;
}

SEC("?fexit/free_old_xmit")
int BPF_PROG(virtnet_free_fexit, struct send_queue___vno *sq)
{
	on_virtnet_free_exit(sq);
	return 0;
}

SEC("?kprobe/free_old_xmit_skbs")
int BPF_KPROBE(virtnet_free_old_kprobe, struct send_queue___vno *sq)
{
	on_virtnet_free_enter(sq);
	return 0;
}

SEC("?kretprobe/free_old_xmit_skbs")
int BPF_KRETPROBE(virtnet_free_old_kretprobe)
{
	on_virtnet_free_ret();
	return 0;
}

SEC("?kprobe/free_old_xmit")
int BPF_KPROBE(virtnet_free_kprobe, struct send_queue___vno *sq)
{
	on_virtnet_free_enter(sq);
	return 0;
}

SEC("?kretprobe/free_old_xmit")
int BPF_KRETPROBE(virtnet_free_kretprobe)
{
	on_virtnet_free_ret();
	return 0;
}

static __always_inline int on_virtnet_timeout(const struct net_device *dev, unsigned int q)
{
	drv_hang(dev, q, NULL);
	return 0;
}

SEC("?fentry/virtnet_tx_timeout")
int BPF_PROG(virtnet_timeout_fentry, struct net_device *dev, unsigned int q)
{
	return on_virtnet_timeout(dev, q);
}

SEC("?kprobe/virtnet_tx_timeout")
int BPF_KPROBE(virtnet_timeout_kprobe, struct net_device *dev, unsigned int q)
{
	return on_virtnet_timeout(dev, q);
}

/* ---- tun ---------------------------------------------------------------- */

/* Host -> guest: the frame goes into the queue's ptr_ring, which the VMM
 * empties; its occupancy is how far behind the guest is. */
static __always_inline int on_tun_xmit(const struct sk_buff *skb, const struct net_device *dev)
{
	struct tun_struct___vno *tun = vno_netdev_priv(dev);
	__u16 q = BPF_CORE_READ(skb, queue_mapping);
	struct tun_file___vno *tf;
	struct vno_ring r;
	int prod, cons;
	__u32 used;

	if (!bpf_core_type_exists(struct tun_struct___vno))
		return drv_skb(skb, dev, VNO_HOP_DRV_XMIT, NULL);
	if (q >= 256)
		return 0;
	tf = BPF_CORE_READ(tun, tfiles[q]);
	if (!tf)
		return drv_skb(skb, dev, VNO_HOP_DRV_XMIT, NULL);
	r.size = BPF_CORE_READ(tf, tx_ring.size);
	prod = BPF_CORE_READ(tf, tx_ring.producer);
	cons = BPF_CORE_READ(tf, tx_ring.consumer_tail);
	r.head = cons;
	r.tail = prod;
	used = prod >= cons ? (__u32)(prod - cons) : r.size - (__u32)cons + (__u32)prod;
	r.free = used <= r.size ? r.size - used : 0;
	return drv_skb(skb, dev, VNO_HOP_DRV_XMIT, &r);
}

SEC("?fentry/tun_net_xmit")
int BPF_PROG(tun_xmit_fentry, struct sk_buff *skb, struct net_device *dev)
{
	return on_tun_xmit(skb, dev);
}

SEC("?kprobe/tun_net_xmit")
int BPF_KPROBE(tun_xmit_kprobe, struct sk_buff *skb, struct net_device *dev)
{
	return on_tun_xmit(skb, dev);
}

/* Guest -> host: the virtio_net_hdr exactly as the VMM wrote it, before
 * virtio_net_hdr_to_skb() validated it, and whether tun_get_user()
 * refused the frame. */
static __always_inline void on_tun_get_user_enter(const struct tun_struct___vno *tun,
						  const struct iov_iter *from)
{
	struct drv_stash *s = stash();
	const struct iovec *iov;
	void *base = NULL;
	__u64 off;
	__u8 type;

	if (!s)
		return;
	s->ptr = (__u64)tun;
	s->have_hdr = 0;
	s->len = BPF_CORE_READ(from, count);
	type = BPF_CORE_READ(from, iter_type);
	off = BPF_CORE_READ(from, iov_offset);
	if (bpf_core_enum_value_exists(enum iter_type, ITER_UBUF) &&
	    type == bpf_core_enum_value(enum iter_type, ITER_UBUF)) {
		base = BPF_CORE_READ(from, ubuf);
	} else if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
		if (bpf_core_field_exists(((struct iov_iter___pre64 *)0)->iov))
			iov = BPF_CORE_READ((struct iov_iter___pre64 *)from, iov);
		else
			iov = BPF_CORE_READ(from, __iov);
		base = BPF_CORE_READ(iov, iov_base);
	}
	if (base && !bpf_probe_read_user(&s->hdr, sizeof(s->hdr), base + off))
		s->have_hdr = 1;
}

static __always_inline __u32 vno_gso_from_virtio(__u8 t)
{
	__u32 g = 0;

	switch (t & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4: g = VNO_GSO_TCPV4; break;
	case VIRTIO_NET_HDR_GSO_TCPV6: g = VNO_GSO_TCPV6; break;
	case VIRTIO_NET_HDR_GSO_UDP: g = VNO_GSO_UDP; break;
	case VIRTIO_NET_HDR_GSO_UDP_L4: g = VNO_GSO_UDP_L4; break;
	}
	if (t & VIRTIO_NET_HDR_GSO_ECN)
		g |= VNO_GSO_TCP_ECN;
	return g;
}

static __always_inline void on_tun_get_user_exit(long ret)
{
	void *rb;
	struct drv_stash *s = stash();
	struct tun_struct___vno *tun;
	struct vno_event *ev;

	if (!s || !s->ptr)
		return;
	tun = (void *)s->ptr;
	s->ptr = 0;
	if (!s->have_hdr)
		return;
	ev = vno_bare(BPF_CORE_READ(tun, dev), VNO_HOP_GUEST, &rb);
	if (!ev)
		return;
	ev->f.len = s->len;
	ev->f.gso_type = vno_gso_from_virtio(s->hdr.gso_type);
	ev->f.gso_size = s->hdr.gso_size;
	ev->f.csum_start = s->hdr.csum_start;
	ev->f.csum_offset = s->hdr.csum_offset;
	ev->f.network_off = s->hdr.hdr_len; /* hdr_len: the guest's header length hint */
	ev->f.ip_summed = s->hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM ? VNO_CSUM_PARTIAL
								      : VNO_CSUM_NONE;
	/* Refused: the errno, as a positive number, where drops keep a reason. */
	if (ret < 0)
		ev->f.drop_reason = -ret;
	vno_submit(ev, sizeof(*ev), rb);
}

SEC("?fentry/tun_get_user")
int BPF_PROG(tun_get_user_fentry, struct tun_struct___vno *tun, void *tfile, void *msg,
	     struct iov_iter *from)
{
	on_tun_get_user_enter(tun, from);
	return 0;
}

SEC("?fexit/tun_get_user")
int BPF_PROG(tun_get_user_fexit, struct tun_struct___vno *tun, void *tfile, void *msg,
	     struct iov_iter *from, int noblock, bool more, long ret)
{
	on_tun_get_user_exit(ret);
	return 0;
}

SEC("?kprobe/tun_get_user")
int BPF_KPROBE(tun_get_user_kprobe, struct tun_struct___vno *tun, void *tfile, void *msg,
	       struct iov_iter *from)
{
	on_tun_get_user_enter(tun, from);
	return 0;
}

SEC("?kretprobe/tun_get_user")
int BPF_KRETPROBE(tun_get_user_kretprobe, long ret)
{
	on_tun_get_user_exit(ret);
	return 0;
}

/* ---- bridge ------------------------------------------------------------- */

/* Which port the bridge hands a frame to (net/bridge/br_forward.c). */
static __always_inline int on_br_forward(const struct net_bridge_port *to,
					 const struct sk_buff *skb)
{
	return drv_skb(skb, BPF_CORE_READ(to, dev), VNO_HOP_BR_FWD, NULL);
}

SEC("?fentry/br_forward")
int BPF_PROG(br_forward_fentry, const struct net_bridge_port *to, struct sk_buff *skb)
{
	return on_br_forward(to, skb);
}

SEC("?kprobe/br_forward")
int BPF_KPROBE(br_forward_kprobe, const struct net_bridge_port *to, struct sk_buff *skb)
{
	return on_br_forward(to, skb);
}

/* Frames the host itself sends into the bridge device. */
SEC("?fentry/br_dev_xmit")
int BPF_PROG(br_dev_xmit_fentry, struct sk_buff *skb, struct net_device *dev)
{
	return drv_skb(skb, dev, VNO_HOP_DRV_XMIT, NULL);
}

SEC("?kprobe/br_dev_xmit")
int BPF_KPROBE(br_dev_xmit_kprobe, struct sk_buff *skb, struct net_device *dev)
{
	return drv_skb(skb, dev, VNO_HOP_DRV_XMIT, NULL);
}
