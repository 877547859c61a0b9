/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BPF-only helpers shared by every hook family: map types, the tunables, and
 * the one body that turns an sk_buff into a struct vno_frame. Each .bpf.c
 * file declares the maps extern; maps.bpf.c defines them once, and the
 * objects are linked into one (bpftool gen object).
 */
#ifndef VNO_BPF_H
#define VNO_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "vno.h"

struct vno_rb_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader (--buffer) */
};

struct vno_devs_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct vno_dev_key);
	__type(value, struct vno_dev_val);
};

struct vno_queues_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vno_queue_key);
	__type(value, struct vno_queue_stat);
};

/* The same for the first VNO_FIXED_QUEUES queues of the fixed interfaces,
 * by position (VNO_QUEUE_FIXED_IDX), to spare a hash lookup per frame. */
struct vno_queues_fixed_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set by the loader */
	__type(key, __u32);
	__type(value, struct vno_queue_stat);
};

struct vno_stats_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vno_stats_key);
	__type(value, struct vno_stats);
};

/* The same for the fixed interfaces (cfg_n_ifindexes), by position:
 * VNO_STATS_FIXED_IDX(index in the table, hop, gso kind). An array lookup
 * is a few instructions where a hash lookup is a call. */
struct vno_stats_fixed_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* set by the loader */
	__type(key, __u32);
	__type(value, struct vno_stats);
};

struct vno_drops_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 2048);
	__type(key, struct vno_drop_key);
	__type(value, __u64);
};

struct vno_flight_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* slots x window, set by the loader */
	__type(key, __u32);
	__type(value, struct vno_frame);
};

struct vno_flight_head_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VNO_FLIGHT_MAX_DEVS);
	__type(key, __u32);
	__type(value, __u64);
};

struct vno_counters_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VNO_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
};

/* struct vno_queue_count per CPU, by the same index as queues_fixed. */
struct vno_queue_counts_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* set by the loader */
	__type(key, __u32);
	__type(value, struct vno_queue_count);
};

extern struct vno_rb_map events SEC(".maps");
extern struct vno_devs_map devs SEC(".maps");
extern struct vno_counters_map counters SEC(".maps");
extern struct vno_queues_map queues SEC(".maps");
extern struct vno_queues_fixed_map queues_fixed SEC(".maps");
extern struct vno_queue_counts_map queue_counts SEC(".maps");
extern struct vno_stats_map stats SEC(".maps");
extern struct vno_stats_fixed_map stats_fixed SEC(".maps");
extern struct vno_drops_map drops SEC(".maps");
extern struct vno_flight_map flight SEC(".maps");
extern struct vno_flight_head_map flight_head SEC(".maps");
/* All zero: the initial value of a new stats entry (too big for the stack). */
extern struct vno_stats vno_zero_stats;

/* Tunables, set through the skeleton's rodata before load (maps.bpf.c). */
extern const volatile __u32 cfg_netns;	    /* with cfg_all_ifaces: watch this netns */
extern const volatile __u32 cfg_all_ifaces; /* every ifindex of cfg_netns, not only devs */
extern const volatile __u32 cfg_all_frames; /* every skb, not only offload-carrying ones */
extern const volatile __u32 cfg_snaplen;    /* frame bytes to copy, >= VNO_HDR_MIN */
extern const volatile __u64 cfg_id_key;	    /* per-run key hiding skb addresses */
extern const volatile __u64 cfg_wakeup_bytes; /* wake user space past this much data */
extern const volatile __u32 cfg_events;	    /* records to the ring buffer (0: export) */
extern const volatile __u32 cfg_stats;	    /* in-kernel aggregates */
/* Through a BTF skb, read skb_shared_info with plain loads from skb->head
 * (a pointer to untrusted read-only memory to newer verifiers); 0 where the
 * verifier refuses that: one probe read. */
extern const volatile __u32 cfg_shinfo_direct;
extern const volatile __u32 cfg_flight_window; /* frames per device, power of two; 0 off */
/* The chosen interfaces when they are few and fixed: (ifindex, netns,
 * flight recorder slot + 1) in place of a lookup in devs, and the ifindex
 * checked before anything else is read, as most skbs in a host are on other
 * devices. 0 entries: devs decides. */
#define VNO_QUICK_IFS 16
extern const volatile __u32 cfg_n_ifindexes;
extern volatile __u32 cfg_ifindexes[VNO_QUICK_IFS]; /* .bss: updated when one comes back */
extern const volatile __u32 cfg_if_netns[VNO_QUICK_IFS];
extern const volatile __u32 cfg_if_slot[VNO_QUICK_IFS];

/* Kernels before 6.2 (commit 354259fa73e2 "net: remove skb->vlan_present")
 * had a separate presence bit; since then a tag is present iff vlan_all != 0. */
struct sk_buff___pre62 {
	unsigned int len; /* where vno_read_meta's window starts */
	__u8 vlan_present : 1;
} __attribute__((preserve_access_index));

/*
 * Field @f of @p. @direct says @p is a BTF pointer the verifier lets a
 * program load through (a tp_btf argument, the kernel skb TC gets from
 * bpf_cast_to_kern_ctx, and pointers read from those): a plain load with a
 * fault fixup, several times cheaper than the probe-read helper every other
 * kind (raw_tp, tracepoint, kprobe) must use. Callers pass a constant, so
 * each program holds only its own branch.
 */
#define VNO_RD(direct, p, f) ((direct) ? (p)->f : BPF_CORE_READ(p, f))

static __always_inline void vno_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

/*
 * struct vno_skb_state (vno.h) in a two-way set-associative table, the set
 * from the skb's address, which the slot holds with the skb's head to say
 * whose it is. Two array lookups, no hash map and no lock: an LRU hash
 * insert cost ~400 ns per skb here, and skbs freed without a tracepoint
 * (TCP coalescing, pure ACKs, UDP delivery) keep any table full, so every
 * insert would evict. A new skb takes the slot of a gone skb at its address,
 * else an empty slot of its set, else one not in flight, else the older;
 * what it displaces is only forgotten (a new packet id if that skb shows up
 * again; an in-flight frame displaced is counted). Two CPUs racing for one
 * slot at worst mix two skbs' state: it is best effort, like the flight
 * recorder.
 */
#define VNO_IDS_BITS 16

struct vno_ids_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << VNO_IDS_BITS);
	__type(key, __u32);
	__type(value, struct vno_skb_state);
};

/* One number per CPU to turn a pointer into a plain number. */
struct vno_num_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

extern struct vno_ids_map ids SEC(".maps");
extern struct vno_num_map nums SEC(".maps");

/*
 * @p as a plain number. To the verifier a BTF pointer (the skb of tp_btf
 * and TC) allows no arithmetic, but a privileged program (CAP_BPF and
 * CAP_PERFMON, as these load) may store it to a map, and what is read back
 * from a map is a number: cheaper than a probe read of it.
 */
static __always_inline __u64 vno_num(const void *p)
{
	__u32 zero = 0;
	volatile __u64 *v = bpf_map_lookup_elem(&nums, &zero);

	if (!v)
		return 0;
	*v = (__u64)(unsigned long)p;
	return *v;
}

/* The slot of the skb at @addr, or NULL. With @match_head, @head must match
 * too (a release matches on the address alone: a driver may give the skb a
 * new head after xmit). When there is no such slot and @victim is asked, the
 * slot a new state for it would take. */
static __always_inline struct vno_skb_state *vno_state_get(__u64 addr, __u64 head,
							   bool match_head,
							   struct vno_skb_state **victim)
{
	__u32 i = (__u32)((addr * 0x9E3779B97F4A7C15ULL) >> (64 - VNO_IDS_BITS)) & ~1u, j = i | 1;
	struct vno_skb_state *a = bpf_map_lookup_elem(&ids, &i), *b = bpf_map_lookup_elem(&ids, &j);

	if (!a || !b || !addr)
		return NULL;
	if (a->addr == addr && (!match_head || a->head == head))
		return a;
	if (b->addr == addr && (!match_head || b->head == head))
		return b;
	if (!victim)
		return NULL;
	/* A slot of this address with another head is an skb that is gone
	 * (two live skbs have two addresses): the new one takes its place. */
	if (a->addr == addr)
		*victim = a;
	else if (b->addr == addr)
		*victim = b;
	else if (!a->addr)
		*victim = a;
	else if (!b->addr)
		*victim = b;
	else if (!a->xmit_ts != !b->xmit_ts)
		*victim = a->xmit_ts ? b : a;
	else
		*victim = a->born <= b->born ? a : b;
	return NULL;
}

/*
 * The state of @skb seen at @hop on @ifindex, created (with @origin) when it
 * is new. A state left by an skb that vanished untraced is told from a new
 * skb at the same address and buffer by going round again: received on the
 * device it was received on, or handed again to the device it was handed
 * to (a local TCP sender reuses both at once when the receiver coalesces).
 * NULL only when the table cannot be read.
 */
static __always_inline struct vno_skb_state *vno_skb_state(const struct sk_buff *skb,
							   const void *headp, __u32 origin,
							   __u8 hop, __u32 ifindex, __u64 now)
{
	struct vno_skb_state *st = NULL, *cur;
	__u64 addr = vno_num(skb), head = (__u64)headp, z;

	cur = vno_state_get(addr, head, true, &st);
	if (cur) {
		if (!((hop == VNO_HOP_XMIT || hop == VNO_HOP_TC_EGRESS) && cur->xmit_if == ifindex) &&
		    !(hop == VNO_HOP_RX && cur->rx_if == ifindex)) {
			if (hop == VNO_HOP_XMIT)
				cur->xmit_if = ifindex;
			else if (hop == VNO_HOP_RX)
				cur->rx_if = ifindex;
			return cur;
		}
		st = cur;
	} else if (!st) {
		return NULL;
	} else if (st->addr && st->addr != addr && st->xmit_ts) {
		vno_count(VNO_CNT_INFLIGHT_FULL);
	}
	/* splitmix64 finaliser over address, time and a per-run key: unique
	 * per skb, reveals no kernel address. */
	z = addr ^ cfg_id_key ^ now;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	st->addr = addr;
	st->head = head;
	st->id = z ^ (z >> 31);
	st->born = now;
	st->tc_ts = 0;
	st->xmit_ts = 0;
	st->origin = origin;
	st->rx_if = hop == VNO_HOP_RX ? ifindex : 0;
	st->xmit_if = hop == VNO_HOP_XMIT ? ifindex : 0;
	return st;
}

/* The id of the skb at @addr (vno_num) when the state table has none. */
static __always_inline __u64 vno_addr_id(__u64 addr)
{
	return addr ^ cfg_id_key;
}

static __always_inline __u64 vno_pkt_id_bare(const struct sk_buff *skb)
{
	return vno_addr_id(vno_num(skb));
}

/* For hops that neither receive nor hand over (driver hops). */
static __always_inline __u64 vno_pkt_id(const struct sk_buff *skb, const void *head)
{
	struct vno_skb_state *st = vno_skb_state(skb, head, 0, VNO_HOP__MAX, 0,
						 bpf_ktime_get_ns());

	return st ? st->id : vno_pkt_id_bare(skb);
}

/* The skb is gone: its slot is free. */
static __always_inline void vno_state_drop(struct vno_skb_state *st)
{
	st->addr = 0;
	st->xmit_ts = 0;
}

static __always_inline __u32 vno_dev_netns(const struct net_device *dev, bool direct)
{
	return direct ? dev->nd_net.net->ns.inum : BPF_CORE_READ(dev, nd_net.net, ns.inum);
}

/* Is (netns, ifindex) one of the chosen interfaces? *slot is its flight
 * recorder slot + 1, 0 for none. */
static __always_inline bool vno_watched_slot(__u32 netns, __u32 ifindex, __u32 *slot)
{
	struct vno_dev_key k = { .netns = netns, .ifindex = ifindex };
	struct vno_dev_val *v = bpf_map_lookup_elem(&devs, &k);

	if (v) {
		*slot = v->slot;
		return true;
	}
	*slot = 0;
	return cfg_all_ifaces && netns == cfg_netns;
}

static __always_inline bool vno_watched(__u32 netns, __u32 ifindex)
{
	__u32 slot;

	return vno_watched_slot(netns, ifindex, &slot);
}

/* A watched device as the hooks know it. */
struct vno_where {
	__u32 netns;
	__u32 ifindex;
	__u32 slot;	/* flight recorder slot + 1, 0: none */
	__u32 idx;	/* position + 1 in the fixed table (cfg_ifindexes), 0: none */
};

/* Is @dev (@ifindex already read) watched? Its netns is read only when the
 * ifindex is one of ours. */
static __always_inline bool vno_dev_watched(const struct net_device *dev, __u32 ifindex,
					    bool direct, struct vno_where *w)
{
	/* Every field set on every path: the verifier refuses a register
	 * the compiler may copy uninitialised. */
	w->netns = 0;
	w->slot = 0;
	w->ifindex = ifindex;
	w->idx = 0;
	if (!cfg_n_ifindexes) {
		w->netns = vno_dev_netns(dev, direct);
		return vno_watched_slot(w->netns, ifindex, &w->slot);
	}
	for (int i = 0; i < VNO_QUICK_IFS; i++) {
		if (i >= cfg_n_ifindexes)
			break;
		if (cfg_ifindexes[i] != ifindex)
			continue;
		w->netns = vno_dev_netns(dev, direct);
		if (w->netns == cfg_if_netns[i]) {
			w->slot = cfg_if_slot[i];
			w->idx = i + 1;
			return true;
		}
	}
	return false;
}


/*
 * What a hook needs of an skb. Through a BTF pointer, plain loads; otherwise
 * one probe read of the sk_buff from len to past data (every field used lies
 * there on every kernel from 5.8 on, 112..208 on 6.18) instead of one per
 * field. CO-RE offsets index the copy; a kernel whose layout fell outside it
 * would fail to load, never read the wrong bytes. Either way one more probe
 * read takes the head of skb_shared_info.
 */
#define VNO_SKB_WIN 128
#define VNO_SH_WIN 32

struct vno_meta {
	__u32 len;	/* wire length: skb->len and a link header already pulled */
	__u32 data_len;
	__u32 gso_type;
	__u16 gso_size;
	__u16 gso_segs;
	__u8 nr_frags;
	__u8 ip_summed;
	__u16 queue;
	__u16 protocol;	/* network order */
	__u16 mac, nh, th; /* offsets from head; mac = data when unset */
	__u16 csum_start, csum_offset;
	__u16 vlan_tci, vlan_proto;
	__u8 vlan_present;
	__u32 data;	/* data - head */
	__u32 tail;	/* tail - head */
	unsigned char *head;
};

/* A field of the sk_buff copied into window @w (which starts at len). The
 * verifier refuses subtracting from a stack pointer, so the two CO-RE
 * offsets are subtracted as numbers first. */
#define VNO_WOFF(T, base, info, field) \
	(__builtin_preserve_field_info(((T *)0)->field, info) - bpf_core_field_offset(T, base))
#define VNO_WF(w, field) \
	(*(typeof(((struct sk_buff *)0)->field) *)((void *)(w) + \
		VNO_WOFF(struct sk_buff, len, BPF_FIELD_BYTE_OFFSET, field)))
/* The same for a bitfield (as libbpf's BPF_CORE_READ_BITFIELD does it). */
#define VNO_WBF(T, w, field) ({                                                      \
	const void *p__ = (const void *)(w) + VNO_WOFF(T, len, BPF_FIELD_BYTE_OFFSET, field); \
	unsigned long long v__;                                                       \
	switch (__builtin_preserve_field_info(((T *)0)->field, BPF_FIELD_BYTE_SIZE)) { \
	case 1: v__ = *(const unsigned char *)p__; break;                             \
	case 2: v__ = *(const unsigned short *)p__; break;                            \
	case 4: v__ = *(const unsigned int *)p__; break;                              \
	default: v__ = *(const unsigned long long *)p__; break;                       \
	}                                                                             \
	v__ <<= __builtin_preserve_field_info(((T *)0)->field, BPF_FIELD_LSHIFT_U64);  \
	v__ >>= __builtin_preserve_field_info(((T *)0)->field, BPF_FIELD_RSHIFT_U64);  \
	v__;                                                                          \
})

static __always_inline void vno_read_meta(const struct sk_buff *skb, struct vno_meta *m,
					  bool direct)
{
	__u8 w[VNO_SKB_WIN] __attribute__((aligned(8))), sh[VNO_SH_WIN] __attribute__((aligned(8)));
	const struct skb_shared_info *si = (const void *)sh;
	__u32 end;

	if (!direct) {
		__builtin_memset(w, 0, sizeof(w));
		bpf_probe_read_kernel(w, sizeof(w),
				      (void *)skb + bpf_core_field_offset(struct sk_buff, len));
	}
/* A field of the skb: a plain load, or from the window. */
#define F(f) (direct ? skb->f : VNO_WF(w, f))
#define BF(T, f) (direct ? BPF_CORE_READ_BITFIELD((T *)skb, f) : VNO_WBF(T, w, f))
	m->head = F(head);
	/* 64-bit kernels keep tail and end as offsets from head
	 * (NET_SKBUFF_DATA_USES_OFFSET), the only kind built for. */
	end = F(end);
	m->tail = F(tail);
	m->data = (unsigned long)F(data) - (unsigned long)m->head;
	m->ip_summed = BF(struct sk_buff, ip_summed);
	m->len = F(len);
	m->data_len = F(data_len);
	m->queue = F(queue_mapping);
	m->protocol = F(protocol);
	m->mac = F(mac_header);
	m->nh = F(network_header);
	m->th = F(transport_header);
	m->csum_start = F(csum_start);
	m->csum_offset = F(csum_offset);
	m->vlan_tci = F(vlan_tci);
	m->vlan_proto = F(vlan_proto);
	if (bpf_core_field_exists(((struct sk_buff___pre62 *)0)->vlan_present))
		m->vlan_present = BF(struct sk_buff___pre62, vlan_present);
	else
		m->vlan_present = m->vlan_proto != 0;
#undef F
#undef BF
	if (direct && cfg_shinfo_direct) {
		/* A plain load with a fault fixup, ~35 ns less than the
		 * helper call below per hop. */
		const struct skb_shared_info *ds = (const void *)(m->head + end);

		m->gso_type = ds->gso_type;
		m->gso_size = ds->gso_size;
		m->gso_segs = ds->gso_segs;
		m->nr_frags = ds->nr_frags;
	} else {
		/* head + end is a plain number to the verifier here. */
		__builtin_memset(sh, 0, sizeof(sh));
		bpf_probe_read_kernel(sh, sizeof(sh), m->head + end);
		m->gso_type = si->gso_type;
		m->gso_size = si->gso_size;
		m->gso_segs = si->gso_segs;
		m->nr_frags = si->nr_frags;
	}
	if (m->mac == (__u16)~0U) /* no MAC header yet: start at data */
		m->mac = m->data;
	/* On receive, skb->len no longer counts the link header that
	 * eth_type_trans pulled; count it so every hop reports wire length. */
	if (m->data > m->mac)
		m->len += m->data - m->mac;
}

static __always_inline bool vno_wanted(const struct vno_meta *m)
{
	return cfg_all_frames || m->gso_size || m->gso_type || m->ip_summed == VNO_CSUM_PARTIAL;
}

/* The state of queue @queue of the device @w, made when @create and new;
 * *@cnt is this CPU's counters of it when it has them (a fixed interface's
 * first queues), else NULL and the counters in the state are shared. */
static __always_inline struct vno_queue_stat *vno_queue(__u32 netns, __u32 ifindex, __u32 idx,
							__u16 queue, bool create,
							struct vno_queue_count **cnt)
{
	struct vno_queue_key k = { .netns = netns, .ifindex = ifindex, .queue = queue };
	struct vno_queue_stat *q, init = {};

	*cnt = NULL;
	if (idx && queue < VNO_FIXED_QUEUES) {
		__u32 i = VNO_QUEUE_FIXED_IDX(idx - 1, queue);

		*cnt = bpf_map_lookup_elem(&queue_counts, &i);
		return *cnt ? bpf_map_lookup_elem(&queues_fixed, &i) : NULL;
	}
	q = bpf_map_lookup_elem(&queues, &k);
	if (q || !create)
		return q;
	bpf_map_update_elem(&queues, &k, &init, BPF_NOEXIST);
	return bpf_map_lookup_elem(&queues, &k);
}

/* Count one in counter @f of a queue vno_queue() gave (@q, @c): this CPU's
 * copy when there is one, else the shared one, atomically. */
#define VNO_QUEUE_COUNT(q, c, f)                         \
	do {                                             \
		if (c)                                   \
			(c)->f++;                        \
		else                                     \
			__sync_fetch_and_add(&(q)->f, 1); \
	} while (0)

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

/* The next place in its device's flight recorder ring (@slot is 1-based),
 * taken; NULL when there is none. */
static __always_inline struct vno_frame *vno_flight_next(__u32 slot)
{
	__u32 s = slot - 1, idx;
	__u64 *head, i;

	if (!cfg_flight_window || s >= VNO_FLIGHT_MAX_DEVS)
		return NULL;
	head = bpf_map_lookup_elem(&flight_head, &s);
	if (!head)
		return NULL;
	/* Not atomic on purpose: a fetching atomic needs BPF ISA v3, and two
	 * CPUs racing here at worst overwrite one slot of a best-effort ring. */
	i = *head;
	*head = i + 1;
	idx = s * cfg_flight_window + (__u32)(i & (cfg_flight_window - 1));
	return bpf_map_lookup_elem(&flight, &idx);
}

/* Keep @f in its device's flight recorder ring. */
static __always_inline void vno_flight_put(const struct vno_frame *f, __u32 slot)
{
	struct vno_frame *dst = vno_flight_next(slot);

	if (dst)
		__builtin_memcpy(dst, f, sizeof(*f));
}


static __always_inline void vno_submit(struct vno_event *ev)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	/* Wake the reader only once a batch is waiting; it also polls on a
	 * short timeout, so a quiet trickle is never stuck. */
	bpf_ringbuf_submit(ev, avail >= cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
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
	__builtin_memset(f->reserved, 0, sizeof(f->reserved));
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
	__u32 n = ev->f.mac_len;

	if (n > cfg_snaplen)
		n = cfg_snaplen;
	/* Last, so the verifier sees the bound of the reservation itself. */
	if (n > room)
		n = room;
	if (n && bpf_probe_read_kernel(ev->data, n, m->head + m->mac))
		n = 0;
	ev->f.cap_len = n;
}

/*
 * A record without an skb, for @dev at @hop: a hang, a driver's completion
 * round, a guest's header. NULL when @dev is not watched, the ring buffer
 * is full, or (except for hangs, which export reports too) in export mode.
 */
static __always_inline struct vno_event *vno_bare(const struct net_device *dev, __u8 hop)
{
	struct vno_event *ev;
	__u32 netns, ifindex;

	if (!dev || (!cfg_events && hop != VNO_HOP_HANG))
		return NULL;
	ifindex = BPF_CORE_READ(dev, ifindex);
	netns = vno_dev_netns(dev, false);
	if (!vno_watched(netns, ifindex))
		return NULL;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
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
	struct vno_event *rb = NULL;
	struct vno_frame *f;
	__u32 room = VNO_SNAP_MAX;

	if (cfg_events) {
		/* Room for the snap length in use: the default 128 bytes make
		 * a record 288 bytes instead of 416. */
		if (cfg_snaplen <= VNO_SNAP_SHORT) {
			rb = bpf_ringbuf_reserve(&events, sizeof(rb->f) + VNO_SNAP_SHORT, 0);
			room = VNO_SNAP_SHORT;
		} else {
			rb = bpf_ringbuf_reserve(&events, sizeof(*rb), 0);
		}
		if (!rb)
			vno_count(VNO_CNT_RB_LOST);
	}
	if (rb) {
		vno_fill(&rb->f, dev, w->netns, w->ifindex, m, hi, direct);
		vno_fill_data(rb, m, room);
		if (w->slot)
			vno_flight_put(&rb->f, w->slot);
		vno_submit(rb);
		return 0;
	}
	/* Export, or the ring buffer full: the flight recorder only, built
	 * in place. */
	f = w->slot ? vno_flight_next(w->slot) : NULL;
	if (f)
		vno_fill(f, dev, w->netns, w->ifindex, m, hi, direct);
	return -1;
}

#endif /* VNO_BPF_H */
