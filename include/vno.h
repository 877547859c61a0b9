/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI shared by the BPF programs and user space: the frame record, its
 * enums and limits, and the histogram slot math. Fixed-width fields only, no
 * pointers, enums or bools inside records; sizes are pinned on the user side.
 */
#ifndef VNO_H
#define VNO_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* 2 added the ring_* fields (driver hops), 3 the merged_* fields (what a
 * frame became between xmit and its release); captures of versions 1 and 2
 * still read. The encap, inner_* fields took bytes version 3 kept reserved
 * (always zero before): a version 3 record without them reads as a frame
 * the kernel had not marked encapsulated. */
#define VNO_RECORD_VERSION 3

#define VNO_IFNAMSIZ 16
/* Largest number of frame bytes a record may carry (--snaplen upper bound). */
#define VNO_SNAP_MAX 256
#define VNO_SNAP_SHORT 128 /* up to this snap length, ring records are shorter */
/* Default snap length of an encapsulated frame (skb->encapsulation): the
 * outer Ethernet 14 + IPv6 40 + UDP 8 + VXLAN or Geneve 8 (GRE with key and
 * sequence: 12) + inner Ethernet 14 + IPv6 40 + TCP with every option 60 =
 * 184, and an outer VLAN tag 188, rounded up to 8. Only such frames' ring
 * records grow (to the full VNO_SNAP_MAX reservation). */
#define VNO_SNAP_ENCAP 192
/* Bytes copied even with --snaplen 0, so addresses and ports are always known:
 * Ethernet 14 + two VLAN tags 8 + IPv6 40 + TCP 20 = 82, rounded up. */
#define VNO_HDR_MIN 96

/* Where along the TX path a frame was seen. Values are stored in captures:
 * append only. */
enum vno_hop {
	VNO_HOP_RX = 0,		/* entered the host from the device (netif_receive_skb) */
	VNO_HOP_TC_INGRESS = 1, /* TC ingress on a chosen interface */
	VNO_HOP_TC_EGRESS = 2,	/* TC egress: as the qdisc sees it */
	VNO_HOP_XMIT = 3,	/* driver hand-off (net_dev_start_xmit) */
	VNO_HOP_DONE = 4,	/* released after xmit: consume_skb/kfree_skb */
	VNO_HOP_DROP = 5,	/* kfree_skb of a frame not in flight on a device */
	VNO_HOP_HANG = 6,	/* not a frame: the TX watchdog (or a driver) fired on dev/queue */
	VNO_HOP_DRV_XMIT = 7,	/* the driver's own xmit function (fentry/kprobe) */
	VNO_HOP_DRV_DONE = 8,	/* the driver's TX completion round (no skb: totals) */
	VNO_HOP_BR_FWD = 9,	/* the bridge hands the frame to a port (dev = the port) */
	VNO_HOP_GUEST = 10,	/* tun_get_user: the virtio_net_hdr as the guest wrote it */
	VNO_HOP__MAX = 11,
};

/* skb->ip_summed values (include/linux/skbuff.h). */
enum vno_csum {
	VNO_CSUM_NONE = 0,
	VNO_CSUM_UNNECESSARY = 1,
	VNO_CSUM_COMPLETE = 2,
	VNO_CSUM_PARTIAL = 3,
	VNO_CSUM__MAX = 4,
};

/* SKB_GSO_* bits (include/linux/skbuff.h); captures keep the raw 32 bits. */
#define VNO_GSO_TCPV4 (1u << 0)
#define VNO_GSO_DODGY (1u << 1)
#define VNO_GSO_TCP_ECN (1u << 2)
#define VNO_GSO_TCPV6 (1u << 4)
#define VNO_GSO_UDP (1u << 16)
#define VNO_GSO_UDP_L4 (1u << 17)
/* gso_size value meaning "segment by frag_list boundaries" (GSO_BY_FRAGS). */
#define VNO_GSO_BY_FRAGS 0xFFFF

/* vno_frame.flags */
#define VNO_F_VLAN_HW (1u << 0)	   /* VLAN tag was in skb->vlan_tci, not the header */
#define VNO_F_FREED (1u << 1)	   /* done via kfree_skb (drop_reason is set) */
#define VNO_F_TRUNC_HDR (1u << 2)  /* header bytes ran out before L4 */
#define VNO_F_CHANGED (1u << 3)	   /* done/drop: the skb changed after xmit (merged_* set) */
#define VNO_F_ANOMALY (1u << 4)	   /* flagged by an anomaly rule (user space) */
#define VNO_F_QUEUE_WAIT (1u << 5) /* latency_ns of an xmit is qdisc wait since tc-egress */
#define VNO_F_RING (1u << 6)	   /* ring_* fields are set (driver hops) */
#define VNO_F_DRIVER (1u << 7)	   /* a hang record from a driver hook, not the watchdog */

/* vno_frame.encap: the skb's own account of an encapsulation (its
 * encapsulation bit and inner_* headers, set by the tunnel driver's
 * iptunnel_handle_offloads / skb_set_inner_*), beside what decode reads
 * from the bytes (struct vno_encap, decode.h). */
#define VNO_E_SKB (1u << 0)	/* skb->encapsulation: inner_* are valid */
/* Set by decode (user space) from the frame's bytes, never by BPF: its IPv4
 * header (the outer one when the frame is encapsulated) has DF set. Kept in
 * this byte because the record has no other spare bit and a new record
 * version for one bit would cost every capture reader. */
#define VNO_E_IP_DF (1u << 1)

/*
 * One frame seen at one hop. BPF fills everything up to and including
 * cap_len; decode (user space) fills the addresses, ports and TCP fields from
 * the header bytes that follow the record. Offsets are relative to the MAC
 * header, as in virtio_net_hdr, so "csum=partial@34+16" (vno_csum_str) reads
 * the same everywhere.
 */
struct vno_frame {
	__u64 ts_ns;	  /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 pkt_id;	  /* same for one skb across hops (hashed skb address) */
	__u64 latency_ns; /* done/drop: since xmit; xmit: since tc-egress */
	__u32 netns;	  /* network namespace inode */
	__u32 ifindex;
	__u32 len;	  /* skb->len */
	__u32 data_len;	  /* skb->data_len (paged part) */
	__u32 gso_type;	  /* full 32-bit SKB_GSO_* mask */
	__u32 drop_reason; /* enum skb_drop_reason of the running kernel */
	__u32 tcp_seq;
	__u16 gso_size;
	__u16 gso_segs;
	__u16 csum_start;  /* from the MAC header; 0 when not partial */
	__u16 csum_offset;
	__u16 queue;	   /* skb->queue_mapping */
	__u16 network_off; /* from the MAC header */
	__u16 transport_off;
	__u16 l3_proto;	   /* ethertype, host order (after VLAN tags) */
	__u16 vlan_tci;	   /* VLAN tag, 0 when none */
	__u16 vlan_proto;
	__u16 sport;
	__u16 dport;
	__u8 hop;	   /* enum vno_hop */
	__u8 ip_summed;	   /* enum vno_csum */
	__u8 nr_frags;
	__u8 l4_proto;	   /* IPPROTO_* */
	__u8 version;	   /* VNO_RECORD_VERSION */
	__u8 flags;	   /* VNO_F_* */
	__u8 tcp_flags;
	__u8 ip_ver;	   /* 4, 6 or 0 */
	__u16 cap_len;	   /* frame bytes that follow the record */
	__u16 mac_len;	   /* frame bytes from the MAC header in the linear part */
	__u8 saddr[16];	   /* IPv4 in the first four bytes */
	__u8 daddr[16];
	char dev[VNO_IFNAMSIZ];
	__u8 anomaly;	   /* first anomaly rule id + 1, 0 = none (user space) */
	__u8 encap;	   /* VNO_E_* */
	__u16 inner_protocol; /* skb->inner_protocol, host order, with VNO_E_SKB */
	__u32 origin_ifindex; /* device (same netns) the frame entered on, 0 = unknown */
	/* Driver hops (VNO_F_RING): the TX ring after/at the event; tail - head
	 * (modulo size) is the descriptors in use. e1000e: head =
	 * next_to_clean, tail = next_to_use, free = E1000_DESC_UNUSED (one
	 * slot held back); tun: the ptr_ring's consumer and producer;
	 * virtio_net: head 0, tail = in use, free = num_free. */
	__u32 ring_size;
	__u32 ring_free;
	__u32 ring_head;
	__u32 ring_tail;
	/* done/drop after xmit: len, gso_* above are the frame as it was
	 * handed to the driver; with VNO_F_CHANGED, the skb at its release
	 * differed (a receiver's GRO on the same skb, veth or loopback, grew
	 * it with later ones), and these say what it became. */
	__u32 merged_len;
	__u32 merged_gso_type;
	__u16 merged_gso_size;
	__u16 merged_segs;
	/* With VNO_E_SKB: skb->inner_network_header and
	 * inner_transport_header from the MAC header; else 0. */
	__u16 inner_network_off;
	__u16 inner_transport_off;
};

/* What the ring buffer carries: the record and up to VNO_SNAP_MAX frame bytes. */
struct vno_event {
	struct vno_frame f;
	__u8 data[VNO_SNAP_MAX];
};

/* Identifies an interface: ifindexes repeat across network namespaces. */
struct vno_dev_key {
	__u32 netns;
	__u32 ifindex;
};

/* Value of the watched-devices map. */
struct vno_dev_val {
	__u32 mtu;
	__u32 slot;	/* flight recorder slot + 1; 0 = none */
};

/* Flight recorder: per watched device, a ring of the last frames handed to
 * the driver, kept in the kernel so the frames before a hang are there even
 * when the stream to user space lags, is sampled, or is off (export). */
#define VNO_FLIGHT_MAX_DEVS 32

/*
 * In-kernel aggregates (export mode reads them at scrape time), per
 * (netns, ifindex, hop, gso kind), summed over CPUs by user space.
 * Histograms are log2: bucket i holds values in [2^(i-1), 2^i), bucket 0
 * holds 0.
 */
enum vno_gso_kind {
	VNO_GK_NONE = 0,	/* not GSO */
	VNO_GK_TCPV4 = 1,
	VNO_GK_TCPV6 = 2,
	VNO_GK_UDP_L4 = 3,
	VNO_GK_OTHER = 4,
	VNO_GK__MAX = 5,
};

#define VNO_LOG2_SLOTS 24 /* latency: up to 2^23 us (8 s), beyond in the last */
#define VNO_SIZE_SLOTS 18 /* gso_size / len: up to 2^17 */
#define VNO_SEGS_SLOTS 17 /* gso_segs: up to 2^16 */

struct vno_stats_key {
	__u32 netns;
	__u32 ifindex;
	__u8 hop;
	__u8 gso_kind;
	__u16 pad;
};

/* Position of (fixed interface @i, @hop, @gk) in the fixed-interface
 * aggregates (map stats_fixed). */
#define VNO_STATS_FIXED_IDX(i, hop, gk) (((i) * VNO_HOP__MAX + (hop)) * VNO_GK__MAX + (gk))

struct vno_stats {
	__u64 frames;
	__u64 bytes;
	__u64 segs;			/* sum of gso_segs over GSO frames */
	__u64 csum[VNO_CSUM__MAX];
	__u64 gso_size[VNO_SIZE_SLOTS];
	__u64 gso_size_sum;
	__u64 gso_segs[VNO_SEGS_SLOTS];
	__u64 lat[VNO_LOG2_SLOTS];	/* done: since xmit, in microseconds */
	__u64 lat_sum_ns;
	__u64 lat_count;
};

struct vno_drop_key {
	__u32 netns;
	__u32 ifindex;
	__u32 reason;
};

static __always_inline __u32 vno_gso_kind(__u32 gso_type, __u16 gso_size)
{
	if (!gso_size)
		return VNO_GK_NONE;
	if (gso_type & VNO_GSO_TCPV4)
		return VNO_GK_TCPV4;
	if (gso_type & VNO_GSO_TCPV6)
		return VNO_GK_TCPV6;
	if (gso_type & VNO_GSO_UDP_L4)
		return VNO_GK_UDP_L4;
	return VNO_GK_OTHER;
}


/*
 * What the programs keep per skb between its hops (map ids, a table in
 * sets by skb->head; bpf/vno.bpf.h): the packet id (assigned when the skb is first seen, so one skb
 * keeps its id across hops and a new skb at a reused address gets a new
 * one), the device it entered on, when it passed TC egress (for the qdisc
 * wait at xmit) and, while it is in flight, the device, queue and time it
 * was handed over (for the completion and the stall trigger). One entry,
 * one lookup per hop.
 */
struct vno_skb_state {
	__u64 addr;	/* the skb's address; 0: a free slot */
	__u64 head;	/* skb->head when the state was made */
	__u64 id;
	__u64 born;	/* made at (ktime) */
	__u64 tc_ts;	/* passed TC egress at, 0 = not */
	__u64 xmit_ts;	/* handed to xmit_if's driver at, 0 = not in flight */
	__u32 origin;	/* ifindex it entered on (rx), 0 = unknown */
	__u32 rx_if;	/* last device it was received on */
	__u32 xmit_if;	/* last device it was handed to */
	__u32 xmit_netns;
	__u16 queue;	/* of xmit_if */
	__u8 xmit_idx;	/* xmit_if's position + 1 in the fixed table, 0: none */
	__u8 kept;	/* the filter's BPF stage kept it at an earlier hop */
	/* The frame as it was handed to the driver, so its release reports
	 * what was sent even when the skb grew in between (GRO at a veth or
	 * loopback receiver merges later skbs into it). */
	__u32 sent_len;
	__u32 sent_gso_type;
	__u16 sent_gso_size;
	__u16 sent_gso_segs;
	char dev[VNO_IFNAMSIZ]; /* xmit_if's name, which skb->dev may not keep */
};

/* One TX queue of a watched device. */
struct vno_queue_key {
	__u32 netns;
	__u32 ifindex;
	__u32 queue;
};

/* Its state, for the completion-stall trigger. A stall is frames handed to
 * the driver after its last completion, the first of them long ago. Frames
 * that vanish without a tracepoint (TCP coalescing at a veth peer frees them
 * through kfree_skb_partial) make xmit - done - freed drift upwards, which is
 * why the trigger looks at what was sent since the last completion instead. */
struct vno_queue_stat {
	__u64 last_xmit_ns;
	__u64 last_done_ns;	/* consumed, not freed with a drop reason */
	__u64 first_pending_ns; /* first xmit after last_done_ns */
	__u64 pending;		/* xmits since last_done_ns */
	__u64 xmit;
	__u64 done;
	__u64 freed;		/* released by kfree_skb (dropped) after xmit */
	__u64 unseen;		/* released unseen after xmit: the state of an skb
				 * in flight was taken by a new skb (at its
				 * address: it was freed without a tracepoint,
				 * GRO at a veth/loopback receiver absorbing it;
				 * or displaced from a full set) */
};

/* The counters of a fixed interface's queue, per CPU (map queue_counts,
 * indexed as queues_fixed): a plain increment where a shared counter needs
 * an atomic one (~60 ns a frame here). The stall fields above stay shared
 * and are written with plain stores: a lost update between two CPUs moves
 * pending by one frame. */
struct vno_queue_count {
	__u64 xmit;
	__u64 done;
	__u64 freed;
	__u64 unseen;
};

/* Queues of a fixed interface kept by position (map queues_fixed). */
#define VNO_FIXED_QUEUES 64
#define VNO_QUEUE_FIXED_IDX(i, queue) ((i) * VNO_FIXED_QUEUES + (queue))

/*
 * Filters in the BPF programs (bpf/filter.h, user/cbpf_ebpf.h). -f: the
 * frame's first bytes (a VLAN tag held out of band put back after the MAC
 * addresses) are copied into a per-CPU buffer, then the classic BPF that
 * pcap_compile produced runs on them, translated into eBPF at load time in
 * place of a block of VNO_FILTER_INSNS instructions that starts with the
 * 64-bit marker VNO_FILTER_MARK (r0 = marker: "match" while unpatched).
 */
#define VNO_FILTER_BUF (VNO_SNAP_MAX + 4)
#define VNO_FILTER_MEM 16 /* cBPF scratch words M[] (BPF_MEMWORDS) */
#define VNO_FILTER_MEM_OFF VNO_FILTER_BUF
#define VNO_FILTER_INSNS 1024
#define VNO_FILTER_MARK 0x766e6f6663627066 /* "vnofcbpf"; no suffix: also in inline asm */

struct vno_filter_buf {
	__u8 data[VNO_FILTER_BUF];
	__u32 mem[VNO_FILTER_MEM];
};

/* -m fields (user/filter.h parses them). */
enum vno_match_field {
	VNO_MF_GSO_SIZE,
	VNO_MF_GSO_SEGS,
	VNO_MF_GSO_TYPE,
	VNO_MF_IP_SUMMED,
	VNO_MF_CSUM_START,
	VNO_MF_CSUM_OFFSET,
	VNO_MF_LEN,
	VNO_MF_QUEUE,
	VNO_MF_HOP,
	VNO_MF_DEV,
	VNO_MF_VM,
	VNO_MF_ANOMALY,
};

/* -m operators; VNO_MO_ANY is a bare `anomaly`. */
enum vno_match_op { VNO_MO_EQ, VNO_MO_NE, VNO_MO_LT, VNO_MO_LE, VNO_MO_GT, VNO_MO_GE,
		    VNO_MO_HAS, VNO_MO_IN, VNO_MO_ANY /* bare `anomaly` */ };

/* -m predicates the programs evaluate (fields known to them), from
 * rodata: all must hold. field and op are enum vno_match_field and
 * enum vno_match_op (user/filter.h); v[] holds the values, or for dev up
 * to 4 exact names of 16 bytes (NUL-padded). */
#define VNO_BPF_PREDS 16
#define VNO_BPF_PRED_VALS 16

struct vno_bpf_pred {
	__u8 field;
	__u8 op;
	__u8 n;		/* values in v[] */
	__u8 pad;
	__u32 v[VNO_BPF_PRED_VALS];
};

/* Counters the BPF side keeps that are not per device. */
enum vno_counter {
	VNO_CNT_RB_LOST = 0,	 /* ring buffer full: events not delivered */
	VNO_CNT_INFLIGHT_FULL = 1, /* in-flight table full: completion not matched */
	VNO_CNT_SEEN = 2,	 /* frames on watched devices (before the filter) */
	VNO_CNT_FILTERED = 3,	 /* records the filter's BPF stage left out */
	VNO_CNT__MAX = 4,
};

/*
 * Log-linear histogram slots: 4 linear sub-slots per power of two, so a
 * percentile read from a slot is within 25 % of the true value. Slot 0 holds
 * 0..3. Used for latency (ns), gso_size and gso_segs alike.
 */
#define VNO_HIST_SUB_BITS 2
#define VNO_HIST_SLOTS 256

static __always_inline __u32 vno_log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static __always_inline __u32 vno_hist_slot(__u64 v)
{
	__u32 lg, sub, slot;

	if (v < (1u << VNO_HIST_SUB_BITS))
		return (__u32)v;
	lg = vno_log2_u64(v);
	sub = (__u32)(v >> (lg - VNO_HIST_SUB_BITS)) & ((1u << VNO_HIST_SUB_BITS) - 1);
	slot = ((lg - VNO_HIST_SUB_BITS + 1) << VNO_HIST_SUB_BITS) + sub;
	return slot < VNO_HIST_SLOTS ? slot : VNO_HIST_SLOTS - 1;
}

/* Smallest value that falls into @slot. */
static __always_inline __u64 vno_hist_slot_low(__u32 slot)
{
	__u32 grp = slot >> VNO_HIST_SUB_BITS, sub = slot & ((1u << VNO_HIST_SUB_BITS) - 1);

	if (grp == 0)
		return sub;
	return ((__u64)((1u << VNO_HIST_SUB_BITS) + sub)) << (grp - 1);
}

/* log2 bucket: 0 -> 0, [2^(i-1), 2^i) -> i, clamped to slots - 1. */
static __always_inline __u32 vno_log2_slot(__u64 v, __u32 slots)
{
	__u32 s = v ? vno_log2_u64(v) + 1 : 0;

	return s < slots ? s : slots - 1;
}

/* Ring buffers, one per CPU up to VNO_RINGS (CPU i writes to ring
 * i % the number in use): with one for every CPU, each reservation took
 * the lock and positions the other CPUs had just written. The loader
 * splits --buffer among them; user space merges them by timestamp
 * (user/ringbuf.c). */
#define VNO_RINGS 4

/* The bytes a ring buffer record of @size takes: its 8-byte header
 * (BPF_RINGBUF_HDR_SZ) and the size, rounded up to 8 (kernel/bpf/ringbuf.c,
 * __bpf_ringbuf_reserve). */
static __always_inline __u64 vno_rb_len(__u64 size)
{
	return ((size + 7) & ~7ULL) + 8;
}

/* Does the record of @len bytes that left @avail bytes waiting (itself
 * included) take them past a multiple of @every? Once per @every bytes
 * waiting, whichever records make them. */
static __always_inline int vno_wake_crossed(__u64 avail, __u64 len, __u64 every)
{
	if (!every || avail < every || avail < len)
		return avail >= every;
	return (avail - len) / every != avail / every;
}
#endif /* VNO_H */
