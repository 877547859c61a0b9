/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading an sk_buff: the gso and checksum metadata, headers and VLAN tag
 * a hook needs of it (struct vno_meta), through plain loads or one probe
 * read, and whether it carries an offload worth a record.
 */
#ifndef VNO_BPF_META_H
#define VNO_BPF_META_H

#include "maps.h"

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
	__u8 encapsulation;
	__u16 inner_protocol;	/* network order */
	__u16 inner_nh, inner_th; /* offsets from head, with encapsulation */
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

/*
 * The fields of one part of struct vno_meta: VNO_META_CORE, what every hop
 * needs to count the frame and decide whether it is wanted (lengths, the
 * checksum state, the gso metadata in skb_shared_info, the MAC header),
 * and VNO_META_REST, what only a record needs (headers, checksum offsets,
 * queue, VLAN, inner headers). A hop reads the rest only for a frame it
 * records, and a release never: most skbs carry no offload and are not
 * recorded. @w is the window (see above) when not @direct.
 */
#define VNO_META_CORE 1
#define VNO_META_REST 2

static __always_inline void vno_meta_fields(const struct sk_buff *skb, const void *w,
					    struct vno_meta *m, bool direct, int part)
{
/* A field of the skb: a plain load, or from the window. */
#define F(f) (direct ? skb->f : VNO_WF(w, f))
#define BF(T, f) (direct ? BPF_CORE_READ_BITFIELD((T *)skb, f) : VNO_WBF(T, w, f))
	if (part == VNO_META_CORE) {
		__u8 sh[VNO_SH_WIN] __attribute__((aligned(8)));
		const struct skb_shared_info *si = (const void *)sh;
		/* 64-bit kernels keep tail and end as offsets from head
		 * (NET_SKBUFF_DATA_USES_OFFSET), the only kind built for. */
		__u32 end = F(end);

		m->head = F(head);
		m->data = (unsigned long)F(data) - (unsigned long)m->head;
		m->ip_summed = BF(struct sk_buff, ip_summed);
		m->len = F(len);
		m->data_len = F(data_len);
		m->mac = F(mac_header);
		if (direct && cfg_shinfo_direct) {
			/* A plain load with a fault fixup, ~35 ns less than
			 * the helper call below per hop. */
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
		 * eth_type_trans pulled; count it so every hop reports wire
		 * length. */
		if (m->data > m->mac)
			m->len += m->data - m->mac;
		return;
	}
	m->tail = F(tail);
	m->queue = F(queue_mapping);
	m->protocol = F(protocol);
	m->nh = F(network_header);
	m->th = F(transport_header);
	m->csum_start = F(csum_start);
	m->csum_offset = F(csum_offset);
	m->vlan_tci = F(vlan_tci);
	m->vlan_proto = F(vlan_proto);
	/* Set by the tunnel driver before it pushes the outer headers
	 * (iptunnel_handle_offloads, skb_reset_inner_headers in
	 * vxlan_xmit_one / geneve_xmit_skb / __gre_xmit), so the underlay's
	 * xmit sees both layers. */
	m->encapsulation = BF(struct sk_buff, encapsulation);
	m->inner_protocol = F(inner_protocol);
	m->inner_nh = F(inner_network_header);
	m->inner_th = F(inner_transport_header);
	if (bpf_core_field_exists(((struct sk_buff___pre62 *)0)->vlan_present))
		m->vlan_present = BF(struct sk_buff___pre62, vlan_present);
	else
		m->vlan_present = m->vlan_proto != 0;
#undef F
#undef BF
}

/* The core part of @skb's metadata. Without @direct the one probe read of
 * the window brings every field, so the rest is taken from it here too and
 * vno_read_meta_rest has nothing left to do. */
static __always_inline void vno_read_meta_core(const struct sk_buff *skb, struct vno_meta *m,
					       bool direct)
{
	__u8 w[VNO_SKB_WIN] __attribute__((aligned(8)));

	if (direct) {
		vno_meta_fields(skb, NULL, m, true, VNO_META_CORE);
		return;
	}
	__builtin_memset(w, 0, sizeof(w));
	bpf_probe_read_kernel(w, sizeof(w), (void *)skb + bpf_core_field_offset(struct sk_buff, len));
	vno_meta_fields(skb, w, m, false, VNO_META_REST);
	vno_meta_fields(skb, w, m, false, VNO_META_CORE);
}

/* The rest, for a frame that will be recorded (after vno_read_meta_core). */
static __always_inline void vno_read_meta_rest(const struct sk_buff *skb, struct vno_meta *m,
					       bool direct)
{
	if (direct)
		vno_meta_fields(skb, NULL, m, true, VNO_META_REST);
}

/* Both parts. */
static __always_inline void vno_read_meta(const struct sk_buff *skb, struct vno_meta *m,
					  bool direct)
{
	vno_read_meta_core(skb, m, direct);
	vno_read_meta_rest(skb, m, direct);
}

/* Did the kernel mark the skb encapsulated, with inner headers past the
 * outer MAC header (the record's encap bit, the larger snap)? */
static __always_inline bool vno_meta_encap(const struct vno_meta *m)
{
	return m->encapsulation && m->inner_nh > m->mac;
}

static __always_inline bool vno_wanted(const struct vno_meta *m)
{
	return cfg_all_frames || m->gso_size || m->gso_type || m->ip_summed == VNO_CSUM_PARTIAL;
}

#endif /* VNO_BPF_META_H */
