// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Ring-buffer sample -> decoded record, and the names every sink prints. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "decode.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

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

size_t vno_csum_str(const struct vno_frame *f, char *buf, size_t len)
{
	int n;

	if (f->ip_summed == VNO_CSUM_PARTIAL)
		n = snprintf(buf, len, "partial@%u+%u", f->csum_start, f->csum_offset);
	else
		n = snprintf(buf, len, "%s", vno_csum_name(f->ip_summed));
	return n < 0 ? 0 : (size_t)n;
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

int vno_decode(struct vno_event *ev)
{
	struct vno_frame *f = &ev->f;
	const __u8 *p = ev->data;
	size_t n = f->cap_len, off = ETH_HLEN, l4off = 0;
	__u16 proto;
	__u8 l4 = 0;

	memset(f->saddr, 0, sizeof(f->saddr));
	memset(f->daddr, 0, sizeof(f->daddr));
	f->ip_ver = 0;
	f->l4_proto = 0;
	f->sport = f->dport = 0;
	f->tcp_flags = 0;
	f->tcp_seq = 0;
	if (n > VNO_SNAP_MAX)
		return -EINVAL;
	if (n < ETH_HLEN)
		goto trunc;
	proto = rd16(p + 12);
	/* Up to two tags in the header (802.1ad outer, 802.1Q inner). The tag
	 * the skb carries out of band (VNO_F_VLAN_HW) is already in vlan_tci. */
	for (int tags = 0; tags < 2 && (proto == ETH_P_8021Q || proto == ETH_P_8021AD); tags++) {
		if (n < off + 4)
			goto trunc;
		if (!(f->flags & VNO_F_VLAN_HW) && !f->vlan_tci) {
			f->vlan_proto = proto;
			f->vlan_tci = rd16(p + off);
		}
		proto = rd16(p + off + 2);
		off += 4;
	}
	f->l3_proto = proto;
	if (proto == ETH_P_IP) {
		unsigned ihl;

		if (n < off + 20)
			goto trunc;
		if ((p[off] >> 4) != 4)
			return -EINVAL;
		ihl = (p[off] & 0xF) * 4u;
		if (ihl < 20)
			return -EINVAL;
		f->ip_ver = 4;
		l4 = p[off + 9];
		memcpy(f->saddr, p + off + 12, 4);
		memcpy(f->daddr, p + off + 16, 4);
		/* A non-first fragment has no L4 header. */
		if (rd16(p + off + 6) & 0x1FFF) {
			f->l4_proto = l4;
			return 0;
		}
		l4off = off + ihl;
	} else if (proto == ETH_P_IPV6) {
		if (n < off + 40)
			goto trunc;
		if ((p[off] >> 4) != 6)
			return -EINVAL;
		f->ip_ver = 6;
		l4 = p[off + 6];
		memcpy(f->saddr, p + off + 8, 16);
		memcpy(f->daddr, p + off + 24, 16);
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
			f->l4_proto = p[l4off];
			if (rd16(p + l4off + 2) & 0xFFF8)
				return 0;
			l4 = p[l4off];
			l4off += 8;
		}
	} else {
		return 0;
	}
	f->l4_proto = l4;
	if (l4 == 6) {
		if (n < l4off + 14)
			goto trunc;
		f->sport = rd16(p + l4off);
		f->dport = rd16(p + l4off + 2);
		f->tcp_seq = rd32(p + l4off + 4);
		f->tcp_flags = p[l4off + 13];
	} else if (l4 == 17 || l4 == 132) {
		if (n < l4off + 4)
			goto trunc;
		f->sport = rd16(p + l4off);
		f->dport = rd16(p + l4off + 2);
	}
	return 0;
trunc:
	/* Done/drop records carry no bytes; only flag a cut inside a header. */
	if (n)
		f->flags |= VNO_F_TRUNC_HDR;
	return 0;
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
