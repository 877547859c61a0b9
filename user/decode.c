// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Ring-buffer sample -> decoded record, and the names every sink prints. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "decode.h"
#include "sbuf.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_TEB 0x6558 /* transparent Ethernet bridging: an Ethernet frame inside */

static const char *const hop_names[VNO_HOP__MAX] = {
	[VNO_HOP_RX] = "rx",	       [VNO_HOP_TC_INGRESS] = "tc-ingress",
	[VNO_HOP_TC_EGRESS] = "tc-egress", [VNO_HOP_XMIT] = "xmit",
	[VNO_HOP_DONE] = "done",	   [VNO_HOP_DROP] = "drop",
	[VNO_HOP_HANG] = "hang",	   [VNO_HOP_DRV_XMIT] = "drv-xmit",
	[VNO_HOP_DRV_DONE] = "drv-done",   [VNO_HOP_BR_FWD] = "br-fwd",
	[VNO_HOP_GUEST] = "guest",
};

const char *vno_hop_name(unsigned hop)
{
	return hop < VNO_HOP__MAX && hop_names[hop] ? hop_names[hop] : "?";
}

int vno_hop_parse(const char *name)
{
	for (int i = 0; i < VNO_HOP__MAX; i++)
		if (hop_names[i] && !strcmp(hop_names[i], name))
			return i;
	return -1;
}

const char *vno_csum_name(unsigned ip_summed)
{
	static const char *const n[VNO_CSUM__MAX] = { "none", "unnecessary", "complete",
						      "partial" };

	return ip_summed < VNO_CSUM__MAX ? n[ip_summed] : "?";
}

/* Built once per record by the capture writer and the line printers: no
 * printf (its format parsing cost more than the rest of the comment). */
size_t vno_csum_str(const struct vno_frame *f, char *buf, size_t len)
{
	struct sbuf b = { .p = buf, .cap = len };

	if (!len)
		return 0;
	buf[0] = '\0';
	if (f->ip_summed == VNO_CSUM_PARTIAL) {
		sb_str(&b, "partial@");
		sb_u64(&b, f->csum_start);
		sb_chr(&b, '+');
		sb_u64(&b, f->csum_offset);
	} else {
		sb_str(&b, vno_csum_name(f->ip_summed));
	}
	return b.len;
}

/* SKB_GSO_* bit names, as of include/linux/skbuff.h in 6.18. Bit 3 was
 * SKB_GSO_TCP_FIXEDID before it moved to bit 30 and bit 3 became internal. */
static const char *const gso_bits[32] = {
	[0] = "tcpv4",	      [1] = "dodgy",	       [2] = "tcp_ecn",
	[3] = "tcp_fixedid_old", [4] = "tcpv6",	       [5] = "fcoe",
	[6] = "gre",	      [7] = "gre_csum",	       [8] = "ipxip4",
	[9] = "ipxip6",	      [10] = "udp_tunnel",     [11] = "udp_tunnel_csum",
	[12] = "partial",     [13] = "tunnel_remcsum", [14] = "sctp",
	[15] = "esp",	      [16] = "udp",	       [17] = "udp_l4",
	[18] = "fraglist",    [19] = "tcp_accecn",     [30] = "tcp_fixedid",
	[31] = "tcp_fixedid_inner",
};

const char *vno_gso_bit_name(unsigned bit)
{
	return bit < 32 ? gso_bits[bit] : NULL;
}

size_t vno_gso_type_str(__u32 gso_type, const char *sep, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (!gso_type)
		return snprintf(buf, len, "none") < (int)len ? 4 : len - 1;
	for (unsigned b = 0; b < 32; b++) {
		if (!(gso_type & (1u << b)))
			continue;
		if (gso_bits[b])
			n = snprintf(buf + off, len - off, "%s%s", off ? sep : "", gso_bits[b]);
		else
			n = snprintf(buf + off, len - off, "%sbit%u", off ? sep : "", b);
		if (n < 0 || (size_t)n >= len - off)
			return len - 1;
		off += n;
	}
	return off;
}

const char *vno_l4_name(unsigned proto)
{
	switch (proto) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 47: return "gre";
	case 50: return "esp";
	case 58: return "icmpv6";
	case 132: return "sctp";
	default: return NULL;
	}
}

void vno_addr_str(const struct vno_frame *f, bool src, char *buf, size_t len)
{
	const __u8 *a = src ? f->saddr : f->daddr;

	if (f->ip_ver == 4)
		inet_ntop(AF_INET, a, buf, len);
	else if (f->ip_ver == 6)
		inet_ntop(AF_INET6, a, buf, len);
	else if (len)
		buf[0] = '\0';
}

void vno_tcp_flags_str(__u8 flags, char *buf, size_t len)
{
	/* tcpdump's order and letters; '.' alone for a bare ACK. */
	static const struct { __u8 bit; char c; } map[] = {
		{ 0x02, 'S' }, { 0x01, 'F' }, { 0x08, 'P' }, { 0x04, 'R' },
		{ 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' }, { 0x10, '.' },
	};
	size_t o = 0;

	if (!len)
		return;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]) && o + 1 < len; i++)
		if (flags & map[i].bit)
			buf[o++] = map[i].c;
	buf[o] = '\0';
}

static inline __u16 rd16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static inline __u32 rd32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* IPv6 extension headers we step over to reach TCP/UDP (RFC 8200 4.1). */
static bool ipv6_ext(__u8 nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51;
}

/* What one pass over an IP packet found: the outer frame's or, inside a
 * tunnel, the inner one's. */
struct l3_hdrs {
	struct vno_l3 v;
	size_t l4off; /* 0: no L4 header (a non-first fragment, or cut) */
};

/* IPv4 or IPv6 (@proto) at p[off..n), and its TCP/UDP/SCTP ports. 0, or
 * -EINVAL when the bytes are not the packet @proto says; a cut sets trunc. */
static int parse_ip(const __u8 *p, size_t n, size_t off, __u16 proto, struct l3_hdrs *h)
{
	size_t l4off = 0;
	__u8 l4 = 0;

	memset(h, 0, sizeof(*h));
	if (proto == ETH_P_IP) {
		unsigned ihl;

		if (n < off + 20)
			goto trunc;
		if ((p[off] >> 4) != 4)
			return -EINVAL;
		ihl = (p[off] & 0xF) * 4u;
		if (ihl < 20)
			return -EINVAL;
		h->v.ip_ver = 4;
		l4 = p[off + 9];
		memcpy(h->v.saddr, p + off + 12, 4);
		memcpy(h->v.daddr, p + off + 16, 4);
		h->v.df = rd16(p + off + 6) & 0x4000;
		/* A non-first fragment has no L4 header. */
		if (rd16(p + off + 6) & 0x1FFF) {
			h->v.l4_proto = l4;
			return 0;
		}
		l4off = off + ihl;
	} else if (proto == ETH_P_IPV6) {
		if (n < off + 40)
			goto trunc;
		if ((p[off] >> 4) != 6)
			return -EINVAL;
		h->v.ip_ver = 6;
		l4 = p[off + 6];
		memcpy(h->v.saddr, p + off + 8, 16);
		memcpy(h->v.daddr, p + off + 24, 16);
		l4off = off + 40;
		for (int i = 0; i < 4 && ipv6_ext(l4); i++) {
			if (n < l4off + 8)
				goto trunc;
			/* The length rule is the current header's (AH counts in
			 * 4-byte words, RFC 4302), not the next one's. */
			size_t hl = l4 == 51 ? (p[l4off + 1] + 2u) * 4 : (p[l4off + 1] + 1u) * 8;

			l4 = p[l4off];
			l4off += hl;
		}
		if (l4 == 44) { /* fragment header: L4 only in the first fragment */
			if (n < l4off + 8)
				goto trunc;
			h->v.l4_proto = p[l4off];
			if (rd16(p + l4off + 2) & 0xFFF8)
				return 0;
			l4 = p[l4off];
			l4off += 8;
		}
	} else {
		return 0;
	}
	h->v.l4_proto = l4;
	h->l4off = l4off;
	if (l4 == 6) {
		if (n < l4off + 14)
			goto trunc;
		h->v.sport = rd16(p + l4off);
		h->v.dport = rd16(p + l4off + 2);
		h->v.tcp_seq = rd32(p + l4off + 4);
		h->v.tcp_flags = p[l4off + 13];
	} else if (l4 == 17 || l4 == 132) {
		if (n < l4off + 4)
			goto trunc;
		h->v.sport = rd16(p + l4off);
		h->v.dport = rd16(p + l4off + 2);
	}
	return 0;
trunc:
	h->v.trunc = true;
	return 0;
}

/* Ethernet and up to two VLAN tags in the header (802.1ad outer, 802.1Q
 * inner) from p[off]: the ethertype after them, *l3off where L3 starts;
 * -1 when cut. The first tag is stored through @tci/@tpid when given. */
static int parse_eth(const __u8 *p, size_t n, size_t off, size_t *l3off, __u16 *tci, __u16 *tpid)
{
	__u16 proto;

	if (n < off + ETH_HLEN)
		return -1;
	proto = rd16(p + off + 12);
	off += ETH_HLEN;
	for (int tags = 0; tags < 2 && (proto == ETH_P_8021Q || proto == ETH_P_8021AD); tags++) {
		if (n < off + 4)
			return -1;
		if (tci && tags == 0) {
			*tpid = proto;
			*tci = rd16(p + off);
		}
		proto = rd16(p + off + 2);
		off += 4;
	}
	*l3off = off;
	return proto;
}

int vno_decode(struct vno_event *ev)
{
	struct vno_frame *f = &ev->f;
	size_t n = f->cap_len, l3off;
	__u16 tci = 0, tpid = 0;
	struct l3_hdrs h;
	int proto, err;

	memset(f->saddr, 0, sizeof(f->saddr));
	memset(f->daddr, 0, sizeof(f->daddr));
	f->ip_ver = 0;
	f->l4_proto = 0;
	f->sport = f->dport = 0;
	f->tcp_flags = 0;
	f->tcp_seq = 0;
	f->encap &= ~VNO_E_IP_DF;
	if (n > VNO_SNAP_MAX)
		return -EINVAL;
	proto = parse_eth(ev->data, n, 0, &l3off, &tci, &tpid);
	if (proto < 0)
		goto trunc;
	/* The tag the skb carries out of band (VNO_F_VLAN_HW) is already in
	 * vlan_tci. */
	if (tpid && !(f->flags & VNO_F_VLAN_HW) && !f->vlan_tci) {
		f->vlan_proto = tpid;
		f->vlan_tci = tci;
	}
	f->l3_proto = (__u16)proto;
	err = parse_ip(ev->data, n, l3off, (__u16)proto, &h);
	if (err)
		return err;
	f->ip_ver = h.v.ip_ver;
	f->l4_proto = h.v.l4_proto;
	memcpy(f->saddr, h.v.saddr, sizeof(f->saddr));
	memcpy(f->daddr, h.v.daddr, sizeof(f->daddr));
	f->sport = h.v.sport;
	f->dport = h.v.dport;
	f->tcp_seq = h.v.tcp_seq;
	f->tcp_flags = h.v.tcp_flags;
	if (h.v.df)
		f->encap |= VNO_E_IP_DF;
	if (!h.v.trunc)
		return 0;
trunc:
	/* Done/drop records carry no bytes; only flag a cut inside a header. */
	if (n)
		f->flags |= VNO_F_TRUNC_HDR;
	return 0;
}

const char *vno_encap_name(unsigned type)
{
	static const char *const n[VNO_ENC__MAX] = {
		[VNO_ENC_NONE] = "none",     [VNO_ENC_VXLAN] = "vxlan", [VNO_ENC_GENEVE] = "geneve",
		[VNO_ENC_GRE] = "gre",	     [VNO_ENC_GRETAP] = "gretap",
		[VNO_ENC_UDP] = "udp-tunnel",
	};

	return type < VNO_ENC__MAX && n[type] ? n[type] : "?";
}

/* The tunnel header at @l4off of the outer frame (@h): its type, key and
 * where the encapsulated frame starts (*inner, *inner_eth: with an Ethernet
 * header, else an IP packet of ethertype *inner_proto). -1 when cut. */
static int tunnel_hdr(const struct vno_frame *f, const __u8 *p, size_t n,
		      const struct l3_hdrs *h, struct vno_encap *e, size_t *inner,
		      bool *inner_eth, __u16 *inner_proto)
{
	size_t o = h->l4off;

	if (h->v.l4_proto == 17) {
		/* RFC 7348 VXLAN (IANA 4789; Linux's historic default 8472,
		 * drivers/net/vxlan/vxlan_core.c), RFC 8926 Geneve (6081). */
		if (h->v.dport == 4789 || h->v.dport == 8472) {
			e->type = VNO_ENC_VXLAN;
		} else if (h->v.dport == 6081) {
			e->type = VNO_ENC_GENEVE;
		} else if ((f->encap & VNO_E_SKB) && f->inner_network_off >= o + 8 + 8 + ETH_HLEN &&
			   f->inner_network_off <= o + 8 + 8 + ETH_HLEN + 8) {
			/* The kernel says encapsulated, on a port of the user's
			 * choosing: VXLAN's layout, inner Ethernet after 8 + 8. */
			e->type = VNO_ENC_VXLAN;
		} else if (f->encap & VNO_E_SKB) {
			e->type = VNO_ENC_UDP;
			*inner = f->inner_network_off;
			*inner_eth = false;
			*inner_proto = f->inner_protocol;
			return 0;
		} else {
			return 0;
		}
		if (n < o + 16)
			return -1;
		if (e->type == VNO_ENC_VXLAN) {
			e->has_key = (p[o + 8] & 0x08) != 0; /* the I flag: VNI valid */
			e->key = (__u32)p[o + 12] << 16 | (__u32)p[o + 13] << 8 | p[o + 14];
			*inner = o + 16;
			*inner_eth = true;
			return 0;
		}
		/* Geneve: Opt Len in 4-byte words, Protocol Type, VNI. */
		e->has_key = true;
		e->key = (__u32)p[o + 12] << 16 | (__u32)p[o + 13] << 8 | p[o + 14];
		*inner = o + 16 + (p[o + 8] & 0x3Fu) * 4;
		*inner_proto = rd16(p + o + 10);
		*inner_eth = *inner_proto == ETH_P_TEB;
		return 0;
	}
	if (h->v.l4_proto == 47) {
		/* RFC 2784/2890 GRE: C, K, S flags, version 0. */
		__u16 fl;

		if (n < o + 4)
			return -1;
		fl = rd16(p + o);
		if (fl & 0x0007)
			return 0; /* version 1 is PPTP's, not a tunnel of a bridge */
		*inner_proto = rd16(p + o + 2);
		*inner_eth = *inner_proto == ETH_P_TEB;
		e->type = *inner_eth ? VNO_ENC_GRETAP : VNO_ENC_GRE;
		o += 4;
		if (fl & 0x8000)
			o += 4;
		if (fl & 0x2000) {
			if (n < o + 4)
				return -1;
			e->has_key = true;
			e->key = rd32(p + o);
			o += 4;
		}
		if (fl & 0x1000)
			o += 4;
		*inner = o;
		return 0;
	}
	return 0;
}

int vno_encap_decode(const struct vno_event *ev, struct vno_encap *e)
{
	const struct vno_frame *f = &ev->f;
	const __u8 *p = ev->data;
	size_t n = f->cap_len < VNO_SNAP_MAX ? f->cap_len : VNO_SNAP_MAX, l3off, inner = 0;
	bool inner_eth = false;
	__u16 inner_proto = 0;
	struct l3_hdrs h = { 0 };
	int proto;

	memset(e, 0, sizeof(*e));
	if (f->hop == VNO_HOP_HANG || f->hop == VNO_HOP_DRV_DONE)
		return 0;
	proto = parse_eth(p, n, 0, &l3off, NULL, NULL);
	if (proto < 0 || parse_ip(p, n, l3off, (__u16)proto, &h) || !h.l4off)
		goto kernel_only;
	if (tunnel_hdr(f, p, n, &h, e, &inner, &inner_eth, &inner_proto) < 0) {
		e->trunc = true;
		return 1;
	}
	if (!e->type)
		goto kernel_only;
	e->inner_off = (__u16)inner;
	if (inner_eth) {
		proto = parse_eth(p, n, inner, &l3off, NULL, NULL);
		if (proto < 0) {
			e->trunc = true;
			return 1;
		}
		inner_proto = (__u16)proto;
	} else {
		l3off = inner;
	}
	e->inner_l3_proto = inner_proto;
	e->inner_network_off = (__u16)l3off;
	if (parse_ip(p, n, l3off, inner_proto, &h) == 0) {
		e->in = h.v;
		e->inner_transport_off = (__u16)h.l4off;
		e->trunc = h.v.trunc;
	}
	/* The kernel's inner headers win over ours: they are what segmentation
	 * and the checksum offload will use. */
	if (f->encap & VNO_E_SKB) {
		e->inner_network_off = f->inner_network_off;
		e->inner_transport_off = f->inner_transport_off;
	}
	return 1;
kernel_only:
	/* No tunnel header we know in the bytes (or no bytes), yet the skb
	 * says it is encapsulated. */
	if (!(f->encap & VNO_E_SKB))
		return 0;
	memset(e, 0, sizeof(*e));
	e->type = VNO_ENC_UDP;
	if (h.v.l4_proto == 47)
		e->type = VNO_ENC_GRE;
	e->inner_l3_proto = f->inner_protocol;
	e->inner_network_off = f->inner_network_off;
	e->inner_transport_off = f->inner_transport_off;
	e->trunc = true;
	return 1;
}

size_t vno_encap_str(const struct vno_encap *e, char *buf, size_t len)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], key[24] = "";
	const char *l4 = vno_l4_name(e->in.l4_proto);
	int af = e->in.ip_ver == 6 ? AF_INET6 : AF_INET, n;

	if (e->has_key)
		snprintf(key, sizeof(key), " %s=%u",
			 e->type == VNO_ENC_GRE || e->type == VNO_ENC_GRETAP ? "key" : "vni", e->key);
	if (!e->in.ip_ver) {
		n = snprintf(buf, len, "encap=%s%s inner=?", vno_encap_name(e->type), key);
		return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
	}
	inet_ntop(af, e->in.saddr, sa, sizeof(sa));
	inet_ntop(af, e->in.daddr, da, sizeof(da));
	if (e->in.ip_ver == 6 && e->in.sport)
		n = snprintf(buf, len, "encap=%s%s inner=%s/[%s]:%u>[%s]:%u", vno_encap_name(e->type),
			     key, l4 ? l4 : "?", sa, e->in.sport, da, e->in.dport);
	else if (e->in.sport || e->in.dport)
		n = snprintf(buf, len, "encap=%s%s inner=%s/%s:%u>%s:%u", vno_encap_name(e->type),
			     key, l4 ? l4 : "?", sa, e->in.sport, da, e->in.dport);
	else
		n = snprintf(buf, len, "encap=%s%s inner=%s/%s>%s", vno_encap_name(e->type), key,
			     l4 ? l4 : "?", sa, da);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}

int vno_event_from_raw(struct vno_event *ev, const void *raw, size_t len)
{
	const struct vno_frame *f = raw;

	if (len < sizeof(*f) || f->version != VNO_RECORD_VERSION)
		return -EINVAL;
	if (f->cap_len > VNO_SNAP_MAX || len < sizeof(*f) + f->cap_len)
		return -EINVAL;
	memcpy(ev, raw, vno_event_len(raw));
	return 0;
}

int vno_encap_csum_start(const struct vno_frame *f, const struct vno_encap *e)
{
	if (!e->type || f->ip_summed != VNO_CSUM_PARTIAL || !e->inner_off ||
	    f->csum_start < e->inner_off)
		return -1;
	return f->csum_start - e->inner_off;
}
