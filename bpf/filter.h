/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The filter's BPF stage (-f, -m): frames it leaves out cost no ring
 * record. -f runs as the classic BPF of pcap_compile translated into eBPF
 * by the loader (user/cbpf_ebpf.c) in place of the placeholder block below;
 * -m predicates on fields known here (dev by exact names) come from rodata. A frame kept at one
 * hop is kept at its later hops (the kept bit of its per-skb state); where
 * it enters a device again (rx, tc-ingress) it is judged afresh, as user
 * space does (user/filter.c), which checks every frame that passes again.
 */
#ifndef VNO_BPF_FILTER_H
#define VNO_BPF_FILTER_H

#include "maps.h"
#include "meta.h"
#include "stats.h"

#define VNO_STR_(x) #x
#define VNO_STR(x) VNO_STR_(x)

/* The fields of a frame the predicates test, as the record holds them. */
struct vno_fv {
	__u32 len, gso_type, gso_size, gso_segs, ip_summed, csum_start, csum_offset, queue, hop;
	const void *dev_name; /* the device's name (kernel memory), read when a
			       * dev predicate asks */
};

/* Is the device name at @kname one of the exact names of @p (16 bytes each
 * in v[], NUL-padded)? The name is read up to its NUL into a zeroed
 * buffer: what follows the NUL in the kernel's copy may be a former name. */
static __always_inline bool vno_dev_in(const volatile struct vno_bpf_pred *p, const void *kname)
{
	__u64 name[2] = {};

	if (bpf_probe_read_kernel_str(name, sizeof(name), kname) < 0)
		return false;
	for (__u32 j = 0; j < VNO_BPF_PRED_VALS / 4; j++) {
		if (j >= p->n)
			break;
		if (name[0] == ((__u64)p->v[4 * j + 1] << 32 | p->v[4 * j]) &&
		    name[1] == ((__u64)p->v[4 * j + 3] << 32 | p->v[4 * j + 2]))
			return true;
	}
	return false;
}

static __always_inline __u32 vno_fv_get(const struct vno_fv *v, __u8 field)
{
	switch (field) {
	case VNO_MF_GSO_SIZE: return v->gso_size;
	case VNO_MF_GSO_SEGS: return v->gso_segs;
	case VNO_MF_GSO_TYPE: return v->gso_type;
	case VNO_MF_IP_SUMMED: return v->ip_summed;
	case VNO_MF_CSUM_START: return v->csum_start;
	case VNO_MF_CSUM_OFFSET: return v->csum_offset;
	case VNO_MF_LEN: return v->len;
	case VNO_MF_QUEUE: return v->queue;
	default: return v->hop;
	}
}

/* Every -m predicate of the table holds (vno_match_eval in user space). */
static __always_inline bool vno_preds_hold(const struct vno_fv *fv)
{
	for (__u32 i = 0; i < VNO_BPF_PREDS; i++) {
		const volatile struct vno_bpf_pred *p;
		__u32 v, op, n;
		bool ok = false;

		if (i >= cfg_n_preds)
			break;
		p = &cfg_preds[i];
		op = p->op;
		n = p->n;
		if (p->field == VNO_MF_DEV) {
			/* ==, in: one of the names; !=: none of them. */
			if (vno_dev_in(p, fv->dev_name) == (op == VNO_MO_NE))
				return false;
			continue;
		}
		v = vno_fv_get(fv, p->field);
		switch (op) {
		case VNO_MO_EQ: ok = v == p->v[0]; break;
		case VNO_MO_NE: ok = v != p->v[0]; break;
		case VNO_MO_LT: ok = v < p->v[0]; break;
		case VNO_MO_LE: ok = v <= p->v[0]; break;
		case VNO_MO_GT: ok = v > p->v[0]; break;
		case VNO_MO_GE: ok = v >= p->v[0]; break;
		case VNO_MO_HAS: ok = (v & p->v[0]) == p->v[0]; break;
		case VNO_MO_IN:
			for (__u32 j = 0; j < VNO_BPF_PRED_VALS; j++) {
				if (j >= n)
					break;
				if (v == p->v[j]) {
					ok = true;
					break;
				}
			}
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/*
 * The translated -f over @cap bytes at @buf, @wire the wire length:
 * non-zero when it matches. Until the loader writes the translation over
 * it, the block is the marker (r0 = VNO_FILTER_MARK, non-zero: a match)
 * and no-ops; it only runs when cfg_filter_pcap says it was written.
 * Registers as user/cbpf_ebpf.h says; the inputs are 64-bit so the
 * compiler names them as r registers.
 */
static __always_inline __u64 vno_cbpf_run(void *buf, __u64 cap, __u64 wire)
{
	__u64 ret;

	asm volatile("r1 = %[buf]\n\t"
		     "r2 = %[cap]\n\t"
		     "r3 = %[wire]\n\t"
		     "r0 = " VNO_STR(VNO_FILTER_MARK) " ll\n\t"
		     ".rept " VNO_STR(VNO_FILTER_INSNS - 2) "\n\t"
		     "goto +0\n\t"
		     ".endr\n\t"
		     "%[ret] = r0"
		     : [ret] "=r"(ret)
		     : [buf] "r"(buf), [cap] "r"(cap), [wire] "r"(wire)
		     : "r0", "r1", "r2", "r3", "r4", "r5", "memory");
	return ret;
}

/* min(@v, @max) in a form the verifier follows to the helper call that
 * uses it (what the compiler makes of a plain min, it may not). */
#define VNO_BOUND(v, max)                                                       \
	({                                                                      \
		__u64 b__ = (v);                                                \
		asm volatile("if %[b] <= " VNO_STR(max) " goto +1\n\t"           \
			     "%[b] = " VNO_STR(max) : [b] "+r"(b__));            \
		b__;                                                            \
	})

/* The frame bytes -f was matched on, for the record to take instead of
 * reading the skb a second time (emit.h, vno_fill_data_snap): @n of the
 * frame's bytes are in @b, with 4 bytes of VLAN tag after the first 12 when
 * @tag (the tag the record keeps in its vlan fields, not in its bytes). */
struct vno_snap {
	const struct vno_filter_buf *b; /* NULL: not read */
	__u32 n;
	bool tag;
};

/* The same against a bound held in a register (a reservation's size the
 * verifier knows on each path): the compiler cannot move the clamp away
 * from the use. */
#define VNO_BOUND_REG(v, max)                                                   \
	({                                                                      \
		__u64 b__ = (v), m__ = (max);                                   \
		asm volatile("if %[b] <= %[m] goto +1\n\t"                     \
			     "%[b] = %[m]" : [b] "+r"(b__) : [m] "r"(m__));      \
		b__;                                                            \
	})

/* Does -f match the frame @m, as user space would match its record's
 * bytes (vno_filter__pcap_match): the first min(linear bytes, snaplen)
 * from the MAC header, an out-of-band VLAN tag put back after the MAC
 * addresses. The bytes read are left in @snap. */
static __always_inline bool vno_pcap_match(const struct vno_meta *m, struct vno_snap *snap)
{
	struct vno_filter_buf *b;
	__u32 zero = 0, wire;
	__u64 n, rest;

	b = bpf_map_lookup_elem(&filter_buf, &zero);
	if (!b)
		return true; /* cannot tell: user space decides */
	n = m->tail > m->mac ? m->tail - m->mac : 0;
	/* The bytes the record keeps (emit.h), so the match is the same. */
	if (n > vno_snaplen(vno_meta_encap(m)))
		n = vno_snaplen(vno_meta_encap(m));
	n = VNO_BOUND(n, VNO_SNAP_MAX);
	if (m->vlan_present && m->vlan_proto && n >= 12) {
		if (bpf_probe_read_kernel(b->data, 12, m->head + m->mac))
			return false;
		*(__u16 *)&b->data[12] = m->vlan_proto; /* network order already */
		b->data[14] = m->vlan_tci >> 8;
		b->data[15] = m->vlan_tci & 0xFF;
		rest = VNO_BOUND(n - 12, 244); /* VNO_SNAP_MAX - 12 */
		if (rest && bpf_probe_read_kernel(b->data + 16, rest, m->head + m->mac + 12))
			return false;
		snap->tag = true;
		snap->n = rest + 12;
		n = rest + 16;
	} else if (n && bpf_probe_read_kernel(b->data, n, m->head + m->mac)) {
		n = 0;
	} else {
		snap->n = n;
	}
	if (!n)
		return false; /* no bytes: as pcap_match with cap_len 0 */
	snap->b = b;
	wire = m->len > n ? m->len : n;
	return vno_cbpf_run(b, n, wire) != 0;
}

/*
 * Does the frame @m seen at @hop pass the filter's BPF stage? @kept is its
 * per-skb kept bit (NULL: no state), read and updated with hop keeping.
 * Counts what it leaves out. @snap gets the bytes -f read, if it ran.
 */
static __always_inline bool vno_filter_pass(const struct vno_meta *m, __u8 hop, __u8 *kept,
					    const void *dev_name, struct vno_snap *snap)
{
	bool fresh = hop == VNO_HOP_RX || hop == VNO_HOP_TC_INGRESS;
	bool last = hop == VNO_HOP_DONE || hop == VNO_HOP_DROP;
	struct vno_fv fv;
	bool ok;

	if (!cfg_filter_pcap && !cfg_n_preds)
		return true;
	if (kept && *kept && !fresh)
		return true;
	fv.len = m->len;
	fv.gso_type = m->gso_type;
	fv.gso_size = m->gso_size;
	fv.gso_segs = m->gso_segs;
	fv.ip_summed = m->ip_summed;
	fv.csum_start = m->ip_summed == VNO_CSUM_PARTIAL ? (__u16)(m->csum_start - m->mac) : 0;
	fv.csum_offset = m->ip_summed == VNO_CSUM_PARTIAL ? m->csum_offset : 0;
	fv.queue = m->queue;
	fv.hop = hop;
	fv.dev_name = dev_name;
	ok = vno_preds_hold(&fv);
	if (ok && cfg_filter_pcap)
		ok = vno_pcap_match(m, snap);
	if (kept)
		*kept = ok && !last;
	if (!ok)
		vno_count(VNO_CNT_FILTERED);
	return ok;
}

/* The same for a completion, which carries no frame bytes: kept when the
 * frame was kept at xmit, or, without -f, when the predicates hold for
 * what the record says (@fv). */
static __always_inline bool vno_filter_pass_done(const struct vno_fv *fv, __u8 kept)
{
	bool ok;

	if (!cfg_filter_pcap && !cfg_n_preds)
		return true;
	ok = kept || (!cfg_filter_pcap && vno_preds_hold(fv));
	if (!ok)
		vno_count(VNO_CNT_FILTERED);
	return ok;
}

#endif /* VNO_BPF_FILTER_H */
