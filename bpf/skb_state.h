/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The per-skb state table: an skb's packet id, where it came in, when it
 * was handed over, found again by its address at every hop.
 */
#ifndef VNO_BPF_SKB_STATE_H
#define VNO_BPF_SKB_STATE_H

#include "maps.h"
#include "stats.h"
#include "queue.h"

/*
 * struct vno_skb_state (vno.h) in a two-way set-associative table, the set
 * from the skb's address, which the slot holds with the skb's head to say
 * whose it is, and a 16-bit tag of the address per slot in id_tags, so a
 * release of an skb never tracked reads one word and no slot. Array
 * lookups, no hash map and no lock: an LRU hash
 * insert cost ~400 ns per skb here, and skbs freed without a tracepoint
 * (TCP coalescing, pure ACKs, UDP delivery) keep any table full, so every
 * insert would evict. A new skb takes the slot of a gone skb at its address,
 * else an empty slot of its set, else one not in flight, else the older;
 * what it displaces is only forgotten (a new packet id if that skb shows up
 * again; an in-flight frame displaced is counted). Two CPUs racing for one
 * slot at worst mix two skbs' state: it is best effort, like the flight
 * recorder. The table is the ids map (maps.h), VNO_IDS_BITS wide.
 */

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

/* The set of the skb at @addr: its first slot (the second is i | 1, in
 * the same id_tags word) and the tag its slot carries there, never 0. */
struct vno_set {
	__u32 i;
	__u16 tag;
};

static __always_inline struct vno_set vno_set_of(__u64 addr)
{
	__u64 h = addr * 0x9E3779B97F4A7C15ULL;
	struct vno_set s;

	s.i = (__u32)(h >> (64 - VNO_IDS_BITS)) & ~1u;
	s.tag = (__u16)(h >> (64 - VNO_IDS_BITS - 16)) | 1;
	return s;
}

/* Slot @j's tag set to @tag (0: empty). Plain, like the slots: two CPUs
 * writing one word at once may lose one's tag, and that skb is then not
 * found again, as when its slot is taken. */
static __always_inline void vno_set_tag(__u32 j, __u16 tag)
{
	__u32 k = j >> 2, sh = (j & 3) * 16;
	__u64 *t = bpf_map_lookup_elem(&id_tags, &k);

	if (t)
		*t = (*t & ~(0xFFFFULL << sh)) | ((__u64)tag << sh);
}

/* The slot of the skb at @addr, or NULL; its index in @slot. With
 * @match_head, @head must match too (a release matches on the address
 * alone: a driver may give the skb a new head after xmit). When there is
 * no such slot and @victim is asked, the slot a new state for it would
 * take. Without @victim, a set whose tags are not the skb's is left
 * unread. */
static __always_inline struct vno_skb_state *vno_state_get(__u64 addr, __u64 head,
							   bool match_head,
							   struct vno_skb_state **victim,
							   __u32 *slot)
{
	struct vno_set s = vno_set_of(addr);
	__u32 j = s.i | 1, k = s.i >> 2, tags;
	__u64 *t = bpf_map_lookup_elem(&id_tags, &k);
	struct vno_skb_state *a, *b;

	if (!t || !addr)
		return NULL;
	tags = (__u32)(*t >> ((s.i & 3) * 16));
	if (!victim && (__u16)tags != s.tag && (__u16)(tags >> 16) != s.tag)
		return NULL;
	a = bpf_map_lookup_elem(&ids, &s.i);
	b = bpf_map_lookup_elem(&ids, &j);
	if (!a || !b)
		return NULL;
	*slot = s.i;
	if (a->addr == addr && (!match_head || a->head == head))
		return a;
	*slot = j;
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
	*slot = *victim == a ? s.i : j;
	return NULL;
}

/* The frame in flight in @st will never be seen released: count it on the
 * queue it was handed to. */
static __always_inline void vno_state_unseen(const struct vno_skb_state *st)
{
	struct vno_queue_count *c;
	struct vno_queue_stat *q = vno_queue(st->xmit_netns, st->xmit_if, st->xmit_idx,
					     st->queue, false, &c);

	if (q)
		VNO_QUEUE_COUNT(q, c, unseen);
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
	__u32 slot = 0;

	cur = vno_state_get(addr, head, true, &st, &slot);
	if (cur) {
		if (!((hop == VNO_HOP_XMIT || hop == VNO_HOP_TC_EGRESS) && cur->xmit_if == ifindex) &&
		    !(hop == VNO_HOP_RX && cur->rx_if == ifindex)) {
			/* Handed on by the device it was in flight on (a tunnel
			 * or VLAN device's xmit calls the lower device's): done
			 * there, or that queue would look stalled. */
			if (hop == VNO_HOP_XMIT && cur->xmit_ts) {
				vno_queue_release(cur->xmit_netns, cur->xmit_if, cur->xmit_idx,
						  cur->queue, false, now);
				cur->xmit_ts = 0;
			}
			if (hop == VNO_HOP_XMIT)
				cur->xmit_if = ifindex;
			else if (hop == VNO_HOP_RX)
				cur->rx_if = ifindex;
			return cur;
		}
		st = cur;
		/* Gone without a tracepoint while in flight. */
		if (st->xmit_ts)
			vno_state_unseen(st);
	} else if (!st) {
		return NULL;
	} else if (st->addr && st->xmit_ts) {
		/* Another skb at this address (the one in flight was freed
		 * untraced) or a full set displacing one still in flight. */
		if (st->addr != addr)
			vno_count(VNO_CNT_INFLIGHT_FULL);
		vno_state_unseen(st);
	}
	/* splitmix64 finaliser over address, time and a per-run key: unique
	 * per skb, reveals no kernel address. */
	z = addr ^ cfg_id_key ^ now;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	st->addr = addr;
	vno_set_tag(slot, vno_set_of(addr).tag);
	st->head = head;
	st->id = z ^ (z >> 31);
	st->born = now;
	st->tc_ts = 0;
	st->xmit_ts = 0;
	st->origin = origin;
	st->kept = 0;
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

/* The skb is gone: its slot (@slot, from vno_state_get) is free. */
static __always_inline void vno_state_drop(struct vno_skb_state *st, __u32 slot)
{
	st->addr = 0;
	st->xmit_ts = 0;
	vno_set_tag(slot, 0);
}

#endif /* VNO_BPF_SKB_STATE_H */
