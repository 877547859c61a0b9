// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decode: names of the offload metadata, header parsing from frame bytes
 * (every header cut short at every length), raw sample validation; json:
 * string escaping and the frame record, read back with jq.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include "decode.h"
#include "json.h"
#include "frames.h"

/* SKB_GSO_* names as include/linux/skbuff.h (6.18) has them: bits 0-19,
 * then 30 and 31, which commit "net: gso: restore ids of outer ip headers
 * correctly" added when it moved TCP_FIXEDID off bit 3. */
static const char *const want_gso[32] = {
	[0] = "tcpv4",		 [1] = "dodgy",		[2] = "tcp_ecn",
	[3] = "tcp_fixedid_old", [4] = "tcpv6",		[5] = "fcoe",
	[6] = "gre",		 [7] = "gre_csum",	[8] = "ipxip4",
	[9] = "ipxip6",		 [10] = "udp_tunnel",	[11] = "udp_tunnel_csum",
	[12] = "partial",	 [13] = "tunnel_remcsum", [14] = "sctp",
	[15] = "esp",		 [16] = "udp",		[17] = "udp_l4",
	[18] = "fraglist",	 [19] = "tcp_accecn",	[30] = "tcp_fixedid",
	[31] = "tcp_fixedid_inner",
};

static void gso_expected(__u32 mask, const char *sep, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned b = 0; b < 32; b++) {
		if (!(mask & (1u << b)))
			continue;
		if (want_gso[b])
			off += snprintf(buf + off, len - off, "%s%s", off ? sep : "", want_gso[b]);
		else
			off += snprintf(buf + off, len - off, "%sbit%u", off ? sep : "", b);
	}
}

Test(decode, gso_every_bit_alone)
{
	char buf[64], want[64];

	for (unsigned b = 0; b < 32; b++) {
		size_t n = vno_gso_type_str(1u << b, "|", buf, sizeof(buf));

		if (want_gso[b]) {
			cr_assert_str_eq(vno_gso_bit_name(b), want_gso[b], "bit %u", b);
			strcpy(want, want_gso[b]);
		} else {
			cr_assert_null(vno_gso_bit_name(b), "bit %u has a name", b);
			snprintf(want, sizeof(want), "bit%u", b);
		}
		cr_assert_str_eq(buf, want, "bit %u", b);
		cr_assert_eq(n, strlen(want), "bit %u: returned %zu", b, n);
	}
	cr_assert_null(vno_gso_bit_name(32));
	cr_assert_null(vno_gso_bit_name(~0u));
}

Test(decode, gso_named_constants_match_names)
{
	char buf[64];

	vno_gso_type_str(VNO_GSO_TCPV4, "|", buf, sizeof(buf));
	cr_assert_str_eq(buf, "tcpv4");
	vno_gso_type_str(VNO_GSO_TCPV6 | VNO_GSO_TCP_ECN, "|", buf, sizeof(buf));
	cr_assert_str_eq(buf, "tcp_ecn|tcpv6");
	vno_gso_type_str(VNO_GSO_UDP_L4, "|", buf, sizeof(buf));
	cr_assert_str_eq(buf, "udp_l4");
	vno_gso_type_str(VNO_GSO_UDP, "|", buf, sizeof(buf));
	cr_assert_str_eq(buf, "udp");
	vno_gso_type_str(VNO_GSO_DODGY | VNO_GSO_TCPV4 | (1u << 30), ",", buf, sizeof(buf));
	cr_assert_str_eq(buf, "tcpv4,dodgy,tcp_fixedid");
	vno_gso_type_str(VNO_GSO_UDP_L4 | (1u << 20) | (1u << 29), " ", buf, sizeof(buf));
	cr_assert_str_eq(buf, "udp_l4 bit20 bit29");
}

Test(decode, gso_none_and_full_mask)
{
	char buf[512], want[512];
	size_t n;

	n = vno_gso_type_str(0, "|", buf, sizeof(buf));
	cr_assert_str_eq(buf, "none");
	cr_assert_eq(n, 4);

	gso_expected(0xFFFFFFFFu, "|", want, sizeof(want));
	n = vno_gso_type_str(0xFFFFFFFFu, "|", buf, sizeof(buf));
	cr_assert_str_eq(buf, want);
	cr_assert_eq(n, strlen(want));
	cr_assert(strstr(buf, "|udp_l4|fraglist|"), "%s", buf);
	cr_assert(strstr(buf, "|tcp_accecn|bit20|bit21|"), "%s", buf);
	cr_assert(strstr(buf, "|bit29|tcp_fixedid|tcp_fixedid_inner"), "%s", buf);

	/* A multi-byte separator. */
	gso_expected(0xFFFFFFFFu, " + ", want, sizeof(want));
	vno_gso_type_str(0xFFFFFFFFu, " + ", buf, sizeof(buf));
	cr_assert_str_eq(buf, want);
}

/* Every buffer size from 0 to past the full string: nothing written past
 * len, always terminated, a prefix of the whole, and the return value is
 * what was written. */
static void gso_truncation(__u32 mask)
{
	char full[512], buf[600];
	size_t flen, n;

	vno_gso_type_str(mask, "|", full, sizeof(full));
	flen = strlen(full);
	for (size_t len = 0; len <= flen + 2; len++) {
		memset(buf, 'Z', sizeof(buf));
		n = vno_gso_type_str(mask, "|", buf, len);
		for (size_t i = len; i < sizeof(buf); i++)
			cr_assert_eq(buf[i], 'Z', "mask %#x len %zu: byte %zu written", mask, len, i);
		if (!len) {
			cr_assert_eq(n, 0);
			continue;
		}
		cr_assert_lt(strlen(buf), len, "mask %#x len %zu: not terminated", mask, len);
		cr_assert(!strncmp(buf, full, strlen(buf)), "mask %#x len %zu: '%s' vs '%s'",
			  mask, len, buf, full);
		cr_assert_eq(n, strlen(buf), "mask %#x len %zu: returned %zu for '%s'", mask, len,
			     n, buf);
		if (len > flen)
			cr_assert_str_eq(buf, full);
	}
}

ParameterizedTestParameters(decode, gso_truncation_is_safe)
{
	static __u32 masks[] = {
		0xFFFFFFFFu, VNO_GSO_TCPV4 | VNO_GSO_DODGY, 1u << 25, VNO_GSO_UDP_L4 | (1u << 31),
		/* The "none" path must keep the same contract as the others. */
		0,
	};

	return cr_make_param_array(__u32, masks, sizeof(masks) / sizeof(masks[0]));
}

ParameterizedTest(__u32 *mask, decode, gso_truncation_is_safe)
{
	gso_truncation(*mask);
}

Test(decode, csum_names)
{
	cr_assert_str_eq(vno_csum_name(VNO_CSUM_NONE), "none");
	cr_assert_str_eq(vno_csum_name(VNO_CSUM_UNNECESSARY), "unnecessary");
	cr_assert_str_eq(vno_csum_name(VNO_CSUM_COMPLETE), "complete");
	cr_assert_str_eq(vno_csum_name(VNO_CSUM_PARTIAL), "partial");
	cr_assert_str_eq(vno_csum_name(VNO_CSUM__MAX), "?");
	cr_assert_str_eq(vno_csum_name(255), "?");
	cr_assert_str_eq(vno_csum_name(~0u), "?");
}

Test(decode, hop_names_round_trip)
{
	static const char *const want[] = { "rx", "tc-ingress", "tc-egress", "xmit", "done",
					     "drop" };

	/* Stored in captures: these never move. */
	for (unsigned h = 0; h < sizeof(want) / sizeof(want[0]); h++)
		cr_assert_str_eq(vno_hop_name(h), want[h]);
	for (unsigned h = 0; h < VNO_HOP__MAX; h++) {
		cr_assert_str_neq(vno_hop_name(h), "?", "hop %u has no name", h);
		cr_assert_eq(vno_hop_parse(vno_hop_name(h)), (int)h);
	}
	cr_assert_str_eq(vno_hop_name(VNO_HOP__MAX), "?");
	cr_assert_str_eq(vno_hop_name(~0u), "?");
	cr_assert_eq(vno_hop_parse("?"), -1);
	cr_assert_eq(vno_hop_parse(""), -1);
	cr_assert_eq(vno_hop_parse("XMIT"), -1);
	cr_assert_eq(vno_hop_parse("tc"), -1);
}

Test(decode, tcp_flags_letters)
{
	char b[16];

	vno_tcp_flags_str(FR_TCP_SYN, b, sizeof(b));
	cr_assert_str_eq(b, "S");
	vno_tcp_flags_str(FR_TCP_SYN | FR_TCP_ACK, b, sizeof(b));
	cr_assert_str_eq(b, "S.");
	vno_tcp_flags_str(FR_TCP_PSH | FR_TCP_ACK, b, sizeof(b));
	cr_assert_str_eq(b, "P.");
	vno_tcp_flags_str(FR_TCP_FIN | FR_TCP_ACK, b, sizeof(b));
	cr_assert_str_eq(b, "F.");
	vno_tcp_flags_str(FR_TCP_RST, b, sizeof(b));
	cr_assert_str_eq(b, "R");
	vno_tcp_flags_str(0xFF, b, sizeof(b));
	cr_assert_str_eq(b, "SFPRUEW.");
	vno_tcp_flags_str(0, b, sizeof(b));
	cr_assert_str_eq(b, "");
	/* Short buffers: terminated, nothing past len. */
	memset(b, 'Z', sizeof(b));
	vno_tcp_flags_str(0xFF, b, 3);
	cr_assert_str_eq(b, "SF");
	cr_assert_eq(b[3], 'Z');
	memset(b, 'Z', sizeof(b));
	vno_tcp_flags_str(0xFF, b, 1);
	cr_assert_str_eq(b, "");
	cr_assert_eq(b[1], 'Z');
	memset(b, 'Z', sizeof(b));
	vno_tcp_flags_str(0xFF, b, 0);
	cr_assert_eq(b[0], 'Z');
}

Test(decode, l4_names)
{
	cr_assert_str_eq(vno_l4_name(6), "tcp");
	cr_assert_str_eq(vno_l4_name(17), "udp");
	cr_assert_str_eq(vno_l4_name(132), "sctp");
	cr_assert_str_eq(vno_l4_name(58), "icmpv6");
	cr_assert_str_eq(vno_l4_name(1), "icmp");
	cr_assert_null(vno_l4_name(0));
	cr_assert_null(vno_l4_name(255));
}

/* Decode-owned fields set to garbage, so a field decode forgot to fill
 * shows up. Metadata fields (vlan, l3_proto) belong to the BPF side. */
static void dirty(struct vno_event *ev)
{
	memset(ev->f.saddr, 0xA5, sizeof(ev->f.saddr));
	memset(ev->f.daddr, 0xA5, sizeof(ev->f.daddr));
	ev->f.sport = ev->f.dport = 0xA5A5;
	ev->f.tcp_seq = 0xA5A5A5A5;
	ev->f.tcp_flags = 0xA5;
	ev->f.ip_ver = 0xA5;
	ev->f.l4_proto = 0xA5;
}

static int decode(struct vno_event *ev)
{
	dirty(ev);
	return vno_decode(ev);
}

static void assert_addr(const struct vno_frame *f, const char *src, const char *dst)
{
	char b[64];

	vno_addr_str(f, true, b, sizeof(b));
	cr_assert_str_eq(b, src);
	vno_addr_str(f, false, b, sizeof(b));
	cr_assert_str_eq(b, dst);
}

static const __u8 zero16[16];

Test(decode, ipv4_tcp)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "198.51.100.7", 6);
	fr_tcp(&ev, 40000, 443, 0xDEADBEEF, FR_TCP_PSH | FR_TCP_ACK);
	fr_payload(&ev, 64, 0x42);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.ip_ver, 4);
	cr_assert_eq(ev.f.l3_proto, FR_ETH_IP);
	cr_assert_eq(ev.f.l4_proto, 6);
	assert_addr(&ev.f, "192.0.2.1", "198.51.100.7");
	cr_assert_eq(memcmp(ev.f.saddr + 4, zero16, 12), 0, "IPv4 address tail not cleared");
	cr_assert_eq(memcmp(ev.f.daddr + 4, zero16, 12), 0);
	cr_assert_eq(ev.f.sport, 40000);
	cr_assert_eq(ev.f.dport, 443);
	cr_assert_eq(ev.f.tcp_seq, 0xDEADBEEF);
	cr_assert_eq(ev.f.tcp_flags, FR_TCP_PSH | FR_TCP_ACK);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0);
	cr_assert_eq(ev.f.vlan_tci, 0);
	cr_assert_eq(ev.f.vlan_proto, 0);
	/* The DF bit, for the anomaly rules; the skb's own encap bit kept. */
	cr_assert_eq(ev.f.encap, VNO_E_IP_DF);
	/* Decoding is idempotent: sinks may decode a record again. */
	ev.f.encap |= VNO_E_SKB;
	cr_assert_eq(vno_decode(&ev), 0);
	cr_assert_eq(ev.f.sport, 40000);
	cr_assert_eq(ev.f.tcp_seq, 0xDEADBEEF);
	cr_assert_eq(ev.f.encap, VNO_E_IP_DF | VNO_E_SKB);
}

Test(decode, ipv4_df_only_when_set)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4_ex(&ev, "192.0.2.1", "198.51.100.7", 6, 5, 0);
	fr_tcp(&ev, 40000, 443, 1, FR_TCP_ACK);
	ev.f.encap = VNO_E_IP_DF; /* a stale bit is cleared */
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.encap, 0);
	/* IPv6 has no DF bit: the rules take the version itself. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::1", "2001:db8::2", 6);
	fr_tcp(&ev, 40000, 443, 1, FR_TCP_ACK);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.encap, 0);
}

Test(decode, ipv4_options_move_tcp)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4_ex(&ev, "10.0.0.1", "10.0.0.2", 6, 15, FR_IP_DF); /* 40 option bytes */
	fr_tcp(&ev, 22, 51000, 7, FR_TCP_SYN | FR_TCP_ACK);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.sport, 22);
	cr_assert_eq(ev.f.dport, 51000);
	cr_assert_eq(ev.f.tcp_seq, 7);
	cr_assert_eq(ev.f.tcp_flags, FR_TCP_SYN | FR_TCP_ACK);
}

Test(decode, ipv4_udp_sctp_icmp)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "203.0.113.9", "192.0.2.200", 17);
	fr_udp(&ev, 4789, 53);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l4_proto, 17);
	cr_assert_eq(ev.f.sport, 4789);
	cr_assert_eq(ev.f.dport, 53);
	cr_assert_eq(ev.f.tcp_seq, 0, "UDP has no sequence number");
	cr_assert_eq(ev.f.tcp_flags, 0);

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "203.0.113.9", "192.0.2.200", 132);
	fr_sctp(&ev, 2905, 36412);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l4_proto, 132);
	cr_assert_eq(ev.f.sport, 2905);
	cr_assert_eq(ev.f.dport, 36412);

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "203.0.113.9", "192.0.2.200", 1);
	fr_payload(&ev, 8, 0x08); /* echo request type 8 */
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l4_proto, 1);
	cr_assert_eq(ev.f.sport, 0);
	cr_assert_eq(ev.f.dport, 0);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0);
}

Test(decode, ipv6_udp)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::1", "2001:db8:0:1::ff", 17);
	fr_udp(&ev, 5000, 443);
	fr_payload(&ev, 32, 0);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.ip_ver, 6);
	cr_assert_eq(ev.f.l3_proto, FR_ETH_IPV6);
	cr_assert_eq(ev.f.l4_proto, 17);
	assert_addr(&ev.f, "2001:db8::1", "2001:db8:0:1::ff");
	cr_assert_eq(ev.f.sport, 5000);
	cr_assert_eq(ev.f.dport, 443);
	cr_assert_eq(ev.f.tcp_seq, 0);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0);
}

Test(decode, ipv6_hop_by_hop_then_tcp)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "fe80::1", "ff02::16", 0);
	fr_ipv6_opts(&ev, 6, 0);
	fr_tcp(&ev, 179, 33000, 123456789, FR_TCP_ACK);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l4_proto, 6);
	assert_addr(&ev.f, "fe80::1", "ff02::16");
	cr_assert_eq(ev.f.sport, 179);
	cr_assert_eq(ev.f.dport, 33000);
	cr_assert_eq(ev.f.tcp_seq, 123456789);
	cr_assert_eq(ev.f.tcp_flags, FR_TCP_ACK);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0);
}

Test(decode, ipv6_ah_then_tcp)
{
	struct vno_event ev;

	/* IPsec AH in transport mode: 24 bytes (length field 4). */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::a", "2001:db8::b", 51);
	fr_ipv6_ah(&ev, 6, 24);
	fr_tcp(&ev, 500, 4500, 77, FR_TCP_SYN);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l4_proto, 6, "l4_proto %u", ev.f.l4_proto);
	cr_assert_eq(ev.f.sport, 500, "sport %u", ev.f.sport);
	cr_assert_eq(ev.f.dport, 4500);
	cr_assert_eq(ev.f.tcp_seq, 77);
}

Test(decode, ipv6_ext_chain)
{
	struct vno_event ev;

	/* Hop-by-hop (16 bytes), routing, destination options, AH: their
	 * lengths are in different units (RFC 8200 4.3, RFC 4302 2.2). */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::a", "2001:db8::b", 0);
	fr_ipv6_opts(&ev, 43, 1);
	fr_ipv6_opts(&ev, 60, 0);
	fr_ipv6_opts(&ev, 51, 2);
	fr_ipv6_ah(&ev, 17, 24);
	fr_udp(&ev, 1111, 2222);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l4_proto, 17, "l4_proto %u", ev.f.l4_proto);
	cr_assert_eq(ev.f.sport, 1111, "sport %u", ev.f.sport);
	cr_assert_eq(ev.f.dport, 2222);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0);
}

Test(decode, ipv6_fragments)
{
	struct vno_event ev;

	/* First fragment: the L4 header is there. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::1", "2001:db8::2", 44);
	fr_ipv6_frag(&ev, 17, 0, 1);
	fr_udp(&ev, 7000, 7001);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l4_proto, 17);
	cr_assert_eq(ev.f.sport, 7000);
	cr_assert_eq(ev.f.dport, 7001);

	/* Later fragment: payload bytes must not be read as ports. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::1", "2001:db8::2", 0);
	fr_ipv6_opts(&ev, 44, 0);
	fr_ipv6_frag(&ev, 6, 185, 0);
	fr_payload(&ev, 40, 0x77);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.ip_ver, 6);
	cr_assert_eq(ev.f.l4_proto, 6);
	cr_assert_eq(ev.f.sport, 0);
	cr_assert_eq(ev.f.dport, 0);
	cr_assert_eq(ev.f.tcp_seq, 0);
	cr_assert_eq(ev.f.tcp_flags, 0);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0);
	assert_addr(&ev.f, "2001:db8::1", "2001:db8::2");
}

Test(decode, vlan_8021q_from_header)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_8021Q);
	fr_vlan(&ev, 0x2000 | 100, FR_ETH_IP); /* PCP 1, VID 100 */
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 6);
	fr_tcp(&ev, 1, 2, 3, FR_TCP_ACK);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.vlan_tci, 0x2000 | 100);
	cr_assert_eq(ev.f.vlan_tci & 0xFFF, 100);
	cr_assert_eq(ev.f.vlan_proto, FR_ETH_8021Q);
	cr_assert_eq(ev.f.l3_proto, FR_ETH_IP);
	cr_assert_eq(ev.f.ip_ver, 4);
	assert_addr(&ev.f, "192.0.2.1", "192.0.2.2");
	cr_assert_eq(ev.f.sport, 1);
	cr_assert_eq(ev.f.dport, 2);
	cr_assert_eq(ev.f.tcp_seq, 3);
}

Test(decode, vlan_hw_tag_kept)
{
	struct vno_event ev;

	/* Tag 5 out of band in skb->vlan_tci, another (100) in the header. */
	fr_init(&ev);
	ev.f.flags = VNO_F_VLAN_HW;
	ev.f.vlan_tci = 5;
	ev.f.vlan_proto = FR_ETH_8021Q;
	fr_eth(&ev, FR_ETH_8021Q);
	fr_vlan(&ev, 100, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::1", "2001:db8::2", 6);
	fr_tcp(&ev, 80, 8080, 99, FR_TCP_FIN | FR_TCP_ACK);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.vlan_tci, 5);
	cr_assert_eq(ev.f.vlan_proto, FR_ETH_8021Q);
	cr_assert(ev.f.flags & VNO_F_VLAN_HW);
	cr_assert_eq(ev.f.l3_proto, FR_ETH_IPV6);
	cr_assert_eq(ev.f.sport, 80);
	cr_assert_eq(ev.f.dport, 8080);
	cr_assert_eq(ev.f.tcp_flags, FR_TCP_FIN | FR_TCP_ACK);

	/* HW tag with VID 0 (priority only): still the HW one. */
	fr_init(&ev);
	ev.f.flags = VNO_F_VLAN_HW;
	ev.f.vlan_tci = 0xE000;
	ev.f.vlan_proto = FR_ETH_8021Q;
	fr_eth(&ev, FR_ETH_8021Q);
	fr_vlan(&ev, 300, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 17);
	fr_udp(&ev, 1, 2);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.vlan_tci, 0xE000);

	/* HW tag only, untagged header. */
	fr_init(&ev);
	ev.f.flags = VNO_F_VLAN_HW;
	ev.f.vlan_tci = 42;
	ev.f.vlan_proto = FR_ETH_8021AD;
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 17);
	fr_udp(&ev, 1, 2);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.vlan_tci, 42);
	cr_assert_eq(ev.f.vlan_proto, FR_ETH_8021AD);
	cr_assert_eq(ev.f.dport, 2);
}

Test(decode, qinq)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_8021AD);
	fr_vlan(&ev, 10, FR_ETH_8021Q);
	fr_vlan(&ev, 20, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::1", "2001:db8::2", 17);
	fr_udp(&ev, 3000, 3001);
	cr_assert_eq(decode(&ev), 0);
	/* The outer (service) tag is the one reported. */
	cr_assert_eq(ev.f.vlan_tci, 10);
	cr_assert_eq(ev.f.vlan_proto, FR_ETH_8021AD);
	cr_assert_eq(ev.f.l3_proto, FR_ETH_IPV6);
	cr_assert_eq(ev.f.ip_ver, 6);
	cr_assert_eq(ev.f.sport, 3000);
	cr_assert_eq(ev.f.dport, 3001);

	/* 802.1Q in 802.1Q (old-style QinQ) as well. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_8021Q);
	fr_vlan(&ev, 11, FR_ETH_8021Q);
	fr_vlan(&ev, 21, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 6);
	fr_tcp(&ev, 5, 6, 7, FR_TCP_SYN);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.vlan_tci, 11);
	cr_assert_eq(ev.f.l3_proto, FR_ETH_IP);
	cr_assert_eq(ev.f.dport, 6);
}

Test(decode, three_tags_stop_at_two)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_8021AD);
	fr_vlan(&ev, 1, FR_ETH_8021Q);
	fr_vlan(&ev, 2, FR_ETH_8021Q);
	fr_vlan(&ev, 3, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 6);
	fr_tcp(&ev, 5, 6, 7, FR_TCP_SYN);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l3_proto, FR_ETH_8021Q);
	cr_assert_eq(ev.f.ip_ver, 0);
	cr_assert_eq(ev.f.sport, 0);
	cr_assert_eq(memcmp(ev.f.saddr, zero16, 16), 0);
}

Test(decode, ipv4_fragments)
{
	struct vno_event ev;

	/* Non-first fragment (offset 1480): bytes after the IP header are
	 * payload that happens to look like ports. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4_ex(&ev, "192.0.2.1", "192.0.2.2", 17, 5, 185);
	fr_udp(&ev, 1234, 5678);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.ip_ver, 4);
	cr_assert_eq(ev.f.l4_proto, 17);
	assert_addr(&ev.f, "192.0.2.1", "192.0.2.2");
	cr_assert_eq(ev.f.sport, 0);
	cr_assert_eq(ev.f.dport, 0);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0);

	/* Last fragment, TCP, offset 8: same. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4_ex(&ev, "192.0.2.1", "192.0.2.2", 6, 5, 1);
	fr_tcp(&ev, 1234, 5678, 42, FR_TCP_SYN);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l4_proto, 6);
	cr_assert_eq(ev.f.sport, 0);
	cr_assert_eq(ev.f.tcp_seq, 0);
	cr_assert_eq(ev.f.tcp_flags, 0);

	/* A non-first fragment cut right after the IP header is complete,
	 * not truncated. */
	ev.f.cap_len = 34;
	ev.f.flags = 0;
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0);
	cr_assert_eq(ev.f.ip_ver, 4);

	/* First fragment (MF, offset 0): ports are there. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4_ex(&ev, "192.0.2.1", "192.0.2.2", 17, 5, FR_IP_MF);
	fr_udp(&ev, 1234, 5678);
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.sport, 1234);
	cr_assert_eq(ev.f.dport, 5678);
}

Test(decode, non_ip_ethertype)
{
	struct vno_event ev;
	__u8 *arp;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_ARP);
	arp = ev.data + ev.f.cap_len;
	fr_payload(&ev, 28, 0);
	arp[0] = 0x45; /* would look like IPv4 to a sloppy parser */
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.l3_proto, FR_ETH_ARP);
	cr_assert_eq(ev.f.ip_ver, 0);
	cr_assert_eq(ev.f.l4_proto, 0);
	cr_assert_eq(ev.f.sport, 0);
	cr_assert_eq(ev.f.dport, 0);
	cr_assert_eq(ev.f.tcp_seq, 0);
	cr_assert_eq(memcmp(ev.f.saddr, zero16, 16), 0);
	cr_assert_eq(memcmp(ev.f.daddr, zero16, 16), 0);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0);

	char b[8] = "x";

	vno_addr_str(&ev.f, true, b, sizeof(b));
	cr_assert_str_eq(b, "");
}

Test(decode, bad_ip_headers)
{
	struct vno_event ev;

	/* Ethertype says IPv4, version nibble says 6. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 6);
	fr_tcp(&ev, 1, 2, 3, 4);
	ev.data[14] = 0x65;
	cr_assert_eq(decode(&ev), -EINVAL);
	cr_assert_eq(ev.f.ip_ver, 0);
	cr_assert_eq(ev.f.sport, 0);

	/* IHL below 5 words. */
	ev.data[14] = 0x44;
	cr_assert_eq(decode(&ev), -EINVAL);
	cr_assert_eq(ev.f.ip_ver, 0);
	cr_assert_eq(ev.f.sport, 0);

	/* Ethertype IPv6, version 4. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "::1", "::2", 17);
	fr_udp(&ev, 1, 2);
	ev.data[14] = 0x45;
	cr_assert_eq(decode(&ev), -EINVAL);
	cr_assert_eq(ev.f.ip_ver, 0);
	cr_assert_eq(ev.f.sport, 0);
}

Test(decode, cap_len_over_snap_max_rejected)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 6);
	fr_tcp(&ev, 1, 2, 3, 4);
	ev.f.cap_len = VNO_SNAP_MAX + 1;
	cr_assert_eq(decode(&ev), -EINVAL);
	cr_assert_eq(ev.f.ip_ver, 0);
	cr_assert_eq(ev.f.sport, 0);
	cr_assert_eq(memcmp(ev.f.saddr, zero16, 16), 0);
	ev.f.cap_len = 0xFFFF;
	cr_assert_eq(decode(&ev), -EINVAL);
	/* Exactly VNO_SNAP_MAX is a full snap, not an error. */
	ev.f.cap_len = VNO_SNAP_MAX;
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.dport, 2);
}

Test(decode, empty_record_is_not_truncated)
{
	struct vno_event ev = fr_meta(VNO_HOP_DONE, 1, 2, "eth0");

	ev.f.l3_proto = FR_ETH_IP;
	cr_assert_eq(decode(&ev), 0);
	cr_assert_eq(ev.f.flags & VNO_F_TRUNC_HDR, 0, "done records carry no bytes");
	cr_assert_eq(ev.f.ip_ver, 0);
	cr_assert_eq(ev.f.l4_proto, 0);
	cr_assert_eq(ev.f.sport, 0);
	cr_assert_eq(ev.f.tcp_seq, 0);
	cr_assert_eq(memcmp(ev.f.saddr, zero16, 16), 0);
}

/*
 * Cutting a frame at every length from 0 to its end. @need is the length
 * from which every field decode fills is present (the L4 bytes it reads:
 * 14 of TCP, 4 of UDP/SCTP), @ip_end where the fixed IP header ends (the
 * addresses are known from there).
 */
struct cut_case {
	const char *name;
	void (*build)(struct vno_event *ev);
	size_t need, ip_end;
};

static void build_v4_tcp(struct vno_event *ev)
{
	fr_eth(ev, FR_ETH_IP);
	fr_ipv4(ev, "192.0.2.1", "198.51.100.7", 6);
	fr_tcp(ev, 40000, 443, 0x01020304, FR_TCP_PSH | FR_TCP_ACK);
}

static void build_v4opt_tcp(struct vno_event *ev)
{
	fr_eth(ev, FR_ETH_IP);
	fr_ipv4_ex(ev, "192.0.2.1", "198.51.100.7", 6, 8, FR_IP_DF);
	fr_tcp(ev, 40000, 443, 0x01020304, FR_TCP_SYN);
}

static void build_v6_udp(struct vno_event *ev)
{
	fr_eth(ev, FR_ETH_IPV6);
	fr_ipv6(ev, "2001:db8::1", "2001:db8::2", 17);
	fr_udp(ev, 5000, 5001);
}

static void build_vlan_v4_tcp(struct vno_event *ev)
{
	fr_eth(ev, FR_ETH_8021Q);
	fr_vlan(ev, 100, FR_ETH_IP);
	fr_ipv4(ev, "192.0.2.1", "198.51.100.7", 6);
	fr_tcp(ev, 40000, 443, 0xFFFFFFFF, FR_TCP_ACK);
}

static void build_qinq_v6_tcp(struct vno_event *ev)
{
	fr_eth(ev, FR_ETH_8021AD);
	fr_vlan(ev, 10, FR_ETH_8021Q);
	fr_vlan(ev, 20, FR_ETH_IPV6);
	fr_ipv6(ev, "2001:db8::1", "2001:db8::2", 6);
	fr_tcp(ev, 1, 65535, 1, FR_TCP_SYN);
}

static void build_v6_hbh_tcp(struct vno_event *ev)
{
	fr_eth(ev, FR_ETH_IPV6);
	fr_ipv6(ev, "2001:db8::1", "2001:db8::2", 0);
	fr_ipv6_opts(ev, 6, 0);
	fr_tcp(ev, 443, 40000, 5, FR_TCP_ACK | FR_TCP_PSH);
}

static void build_v6_chain_frag_tcp(struct vno_event *ev)
{
	fr_eth(ev, FR_ETH_IPV6);
	fr_ipv6(ev, "2001:db8::1", "2001:db8::2", 0);
	fr_ipv6_opts(ev, 60, 1);
	fr_ipv6_opts(ev, 44, 0);
	fr_ipv6_frag(ev, 6, 0, 1);
	fr_tcp(ev, 443, 40000, 5, FR_TCP_ACK);
}

static void build_v4_sctp(struct vno_event *ev)
{
	fr_eth(ev, FR_ETH_IP);
	fr_ipv4(ev, "192.0.2.1", "198.51.100.7", 132);
	fr_sctp(ev, 38412, 38412);
}

static const struct cut_case cut_cases[] = {
	{ "ipv4/tcp", build_v4_tcp, 14 + 20 + 14, 14 + 20 },
	{ "ipv4+options/tcp", build_v4opt_tcp, 14 + 32 + 14, 14 + 20 },
	{ "ipv6/udp", build_v6_udp, 14 + 40 + 4, 14 + 40 },
	{ "vlan/ipv4/tcp", build_vlan_v4_tcp, 18 + 20 + 14, 18 + 20 },
	{ "qinq/ipv6/tcp", build_qinq_v6_tcp, 22 + 40 + 14, 22 + 40 },
	{ "ipv6/hbh/tcp", build_v6_hbh_tcp, 14 + 40 + 8 + 14, 14 + 40 },
	{ "ipv6/hbh/dst/frag/tcp", build_v6_chain_frag_tcp, 14 + 40 + 16 + 8 + 8 + 14, 14 + 40 },
	{ "ipv4/sctp", build_v4_sctp, 14 + 20 + 4, 14 + 20 },
};

#define ZERO_OR(field, ref)                                                              \
	cr_assert((field) == 0 || (field) == (ref), "%s cut at %zu: " #field " = %#llx",  \
		  c->name, len, (unsigned long long)(field))

static void cut_everywhere(const struct cut_case *c)
{
	struct vno_event full, ref, ev;
	size_t flen;

	fr_init(&full);
	c->build(&full);
	flen = full.f.cap_len;
	cr_assert_geq(flen, c->need, "%s: bad case", c->name);
	ref = full;
	cr_assert_eq(vno_decode(&ref), 0, "%s", c->name);
	cr_assert_eq(ref.f.flags & VNO_F_TRUNC_HDR, 0, "%s whole", c->name);
	cr_assert_neq(ref.f.ip_ver, 0, "%s whole", c->name);
	cr_assert(ref.f.sport && ref.f.dport, "%s whole", c->name);

	for (size_t len = 0; len <= flen; len++) {
		ev = full;
		ev.f.cap_len = (__u16)len;
		memset(ev.data + len, 0xEE, sizeof(ev.data) - len);
		cr_assert_eq(decode(&ev), 0, "%s cut at %zu", c->name, len);
		cr_assert_eq(!!(ev.f.flags & VNO_F_TRUNC_HDR), len > 0 && len < c->need,
			     "%s cut at %zu: TRUNC_HDR %s", c->name, len,
			     ev.f.flags & VNO_F_TRUNC_HDR ? "set" : "clear");
		ZERO_OR(ev.f.ip_ver, ref.f.ip_ver);
		ZERO_OR(ev.f.l3_proto, ref.f.l3_proto);
		ZERO_OR(ev.f.l4_proto, ref.f.l4_proto);
		ZERO_OR(ev.f.sport, ref.f.sport);
		ZERO_OR(ev.f.dport, ref.f.dport);
		ZERO_OR(ev.f.tcp_seq, ref.f.tcp_seq);
		ZERO_OR(ev.f.tcp_flags, ref.f.tcp_flags);
		ZERO_OR(ev.f.vlan_tci, ref.f.vlan_tci);
		ZERO_OR(ev.f.vlan_proto, ref.f.vlan_proto);
		cr_assert(!memcmp(ev.f.saddr, zero16, 16) || !memcmp(ev.f.saddr, ref.f.saddr, 16),
			  "%s cut at %zu: saddr garbage", c->name, len);
		cr_assert(!memcmp(ev.f.daddr, zero16, 16) || !memcmp(ev.f.daddr, ref.f.daddr, 16),
			  "%s cut at %zu: daddr garbage", c->name, len);
		/* The addresses only once the IP header is all there. */
		cr_assert_eq(ev.f.ip_ver != 0, len >= c->ip_end, "%s cut at %zu: ip_ver %u",
			     c->name, len, ev.f.ip_ver);
		if (len >= c->ip_end) {
			cr_assert_eq(memcmp(ev.f.saddr, ref.f.saddr, 16), 0, "%s at %zu", c->name, len);
			cr_assert_eq(memcmp(ev.f.daddr, ref.f.daddr, 16), 0, "%s at %zu", c->name, len);
		}
		if (len >= c->need) {
			cr_assert_eq(ev.f.sport, ref.f.sport, "%s at %zu", c->name, len);
			cr_assert_eq(ev.f.dport, ref.f.dport, "%s at %zu", c->name, len);
			cr_assert_eq(ev.f.tcp_seq, ref.f.tcp_seq, "%s at %zu", c->name, len);
			cr_assert_eq(ev.f.tcp_flags, ref.f.tcp_flags, "%s at %zu", c->name, len);
			cr_assert_eq(ev.f.l4_proto, ref.f.l4_proto, "%s at %zu", c->name, len);
		} else {
			cr_assert_eq(ev.f.sport, 0, "%s at %zu: ports before they are there",
				     c->name, len);
			cr_assert_eq(ev.f.tcp_flags, 0, "%s at %zu", c->name, len);
		}
	}
}

/* By index: Criterion copies parameters into each test's own process, where
 * the build functions' addresses may differ. */
#define N_CUT_CASES (sizeof(cut_cases) / sizeof(cut_cases[0]))

ParameterizedTestParameters(decode, truncated_at_every_length)
{
	static size_t idx[N_CUT_CASES];

	for (size_t i = 0; i < N_CUT_CASES; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, N_CUT_CASES);
}

ParameterizedTest(size_t *i, decode, truncated_at_every_length)
{
	cut_everywhere(&cut_cases[*i]);
}

Test(decode, huge_ext_header_lengths_stay_in_bounds)
{
	struct vno_event ev;

	/* Hop-by-hop claiming 2048 bytes, then a routing header claiming
	 * the same: offsets far past cap_len must end in TRUNC, not a read. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::1", "2001:db8::2", 0);
	fr_ipv6_opts(&ev, 43, 0);
	ev.data[14 + 40 + 1] = 255;
	fr_payload(&ev, 100, 0xFF);
	cr_assert_eq(decode(&ev), 0);
	cr_assert(ev.f.flags & VNO_F_TRUNC_HDR);
	cr_assert_eq(ev.f.ip_ver, 6);
	cr_assert_eq(ev.f.sport, 0);

	/* Five chained extension headers: more than decode walks; it gives up
	 * without inventing ports. */
	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::1", "2001:db8::2", 0);
	for (int i = 0; i < 4; i++)
		fr_ipv6_opts(&ev, 60, 0);
	fr_ipv6_opts(&ev, 6, 0);
	fr_tcp(&ev, 1, 2, 3, FR_TCP_SYN);
	cr_assert_eq(decode(&ev), 0);
	cr_assert(ev.f.sport == 0 || ev.f.sport == 1);
	cr_assert(ev.f.l4_proto == 60 || ev.f.l4_proto == 6);
}

/* Raw ring-buffer samples. */
static union {
	struct vno_event ev;
	__u8 b[sizeof(struct vno_event) + 64];
} raw;

static void raw_sample(size_t cap)
{
	memset(&raw, 0, sizeof(raw));
	fr_init(&raw.ev);
	raw.ev.f.hop = VNO_HOP_XMIT;
	raw.ev.f.ifindex = 7;
	for (size_t i = 0; i < cap; i++)
		raw.ev.data[i] = (__u8)i;
	raw.ev.f.cap_len = (__u16)cap;
}

Test(decode, event_from_raw)
{
	struct vno_event ev;
	size_t fsz = sizeof(struct vno_frame);

	raw_sample(60);
	memset(&ev, 0x5A, sizeof(ev));
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, fsz + 60), 0);
	cr_assert_eq(ev.f.ifindex, 7);
	cr_assert_eq(ev.f.cap_len, 60);
	cr_assert_eq(memcmp(ev.data, raw.ev.data, 60), 0);
	cr_assert_eq(ev.data[60], 0x5A, "copied past cap_len");
	/* Ring buffer samples are padded to 8 bytes: longer is fine. */
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, fsz + 64), 0);
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, sizeof(raw.b)), 0);

	/* A record with no frame bytes (done/drop). */
	raw_sample(0);
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, fsz), 0);
	cr_assert_eq(ev.f.cap_len, 0);

	/* A full snap. */
	raw_sample(VNO_SNAP_MAX);
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, fsz + VNO_SNAP_MAX), 0);
	cr_assert_eq(ev.data[VNO_SNAP_MAX - 1], (__u8)(VNO_SNAP_MAX - 1));
}

Test(decode, event_from_raw_rejects)
{
	struct vno_event ev;
	size_t fsz = sizeof(struct vno_frame);

	raw_sample(60);
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, 0), -EINVAL);
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, 8), -EINVAL);
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, fsz - 1), -EINVAL);
	/* Record there, frame bytes cut short. */
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, fsz), -EINVAL);
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, fsz + 59), -EINVAL);
	/* Foreign versions. */
	raw.ev.f.version = 0;
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, fsz + 60), -EINVAL);
	raw.ev.f.version = VNO_RECORD_VERSION + 1;
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, fsz + 60), -EINVAL);
	raw.ev.f.version = 0xFF;
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, sizeof(raw.b)), -EINVAL);
	/* cap_len beyond what any record may carry, even if len covers it. */
	raw_sample(0);
	raw.ev.f.cap_len = VNO_SNAP_MAX + 1;
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, sizeof(raw.b)), -EINVAL);
	raw.ev.f.cap_len = 0xFFFF;
	cr_assert_eq(vno_event_from_raw(&ev, raw.b, sizeof(raw.b)), -EINVAL);
}

/* json: strings and frame records, read back by jq. */

static char *to_json_str(const char *s)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	cr_assert_not_null(f);
	json_str(f, s);
	fclose(f);
	return buf;
}

Test(json, str_escapes)
{
	cr_assert_str_eq(to_json_str(""), "\"\"");
	cr_assert_str_eq(to_json_str("eth0"), "\"eth0\"");
	cr_assert_str_eq(to_json_str("a\"b"), "\"a\\\"b\"");
	cr_assert_str_eq(to_json_str("a\\b"), "\"a\\\\b\"");
	cr_assert_str_eq(to_json_str("\\\""), "\"\\\\\\\"\"");
	cr_assert_str_eq(to_json_str("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
	cr_assert_str_eq(to_json_str("\x01\x1f"), "\"\\u0001\\u001f\"");
	cr_assert_str_eq(to_json_str("\b\f"), "\"\\u0008\\u000c\"");
	/* UTF-8 needs no escaping; DEL and the C1 controls get one all the
	 * same, so no line carries a raw control byte; bytes that are not
	 * UTF-8 (a JSON text must be) read as the text \xNN. */
	cr_assert_str_eq(to_json_str("caf\xc3\xa9 \xf0\x9f\x98\x80"),
			 "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	cr_assert_str_eq(to_json_str("\x7f"), "\"\\u007f\"");
	cr_assert_str_eq(to_json_str("\xc2\x9b"), "\"\\u009b\"");
	cr_assert_str_eq(to_json_str("a\xff\xc3"), "\"a\\\\xff\\\\xc3\"");
	cr_assert_str_eq(to_json_str("\xc0\xaf\xed\xa0\x80"),
			 "\"\\\\xc0\\\\xaf\\\\xed\\\\xa0\\\\x80\"");
}

Test(json, str_round_trips_through_jq)
{
	char s[160], out[1024];
	size_t n = 0;

	/* Every control byte, quote and backslash, in one string. */
	for (int c = 1; c < 0x20; c++)
		s[n++] = (char)c;
	s[n++] = '"';
	s[n++] = '\\';
	s[n++] = '/';
	strcpy(s + n, "end");
	cr_assert_eq(jq_run(to_json_str(s), ".", out, sizeof(out)), 0, "jq: %s", out);
	cr_assert_str_eq(out, s);
}

Test(json, long_str_round_trips_through_jq)
{
	char s[300], out[2048];

	/* Longer than json_str escapes in one go (64 bytes), with escapes
	 * on both sides of each 64-byte boundary. */
	for (size_t i = 0; i < sizeof(s) - 1; i++)
		s[i] = i % 64 == 63 || i % 64 == 0 ? "\"\n\x01\\"[i % 4] : (char)('a' + i % 26);
	s[sizeof(s) - 1] = '\0';
	cr_assert_eq(jq_run(to_json_str(s), ".", out, sizeof(out)), 0, "jq: %s", out);
	cr_assert_str_eq(out, s);
}

Test(json, error_line)
{
	char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	json_error(f, "eno1: no such \"interface\"");
	fclose(f);
	cr_assert_str_eq(buf, "{\"error\":\"eno1: no such \\\"interface\\\"\"}\n");
	cr_assert_jq(buf, ".error == \"eno1: no such \\\"interface\\\"\"");
}

static char *frame_json(const struct vno_event *ev)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	cr_assert_not_null(f);
	json_frame(f, ev);
	fclose(f);
	cr_assert_eq(buf[strlen(buf) - 1], '\n', "one line per record");
	cr_assert_eq(strchr(buf, '\n'), buf + strlen(buf) - 1, "newline inside a record");
	return buf;
}

Test(json, frame_ipv4_tcp)
{
	struct vno_event ev = fr_meta(VNO_HOP_XMIT, 4026531840u, 3, "ta\"p\\0");
	char *j;

	ev.f.len = 14 + 20 + 20 + 1448 * 10;
	ev.f.gso_size = 1448;
	ev.f.gso_segs = 10;
	ev.f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY | (1u << 20);
	ev.f.ip_summed = VNO_CSUM_PARTIAL;
	ev.f.csum_start = 38;
	ev.f.csum_offset = 16;
	ev.f.transport_off = 38;
	ev.f.pkt_id = 0xABCDEF;
	fr_eth(&ev, FR_ETH_8021Q);
	fr_vlan(&ev, 0x2000 | 100, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "198.51.100.7", 6);
	fr_tcp(&ev, 40000, 443, 4000000000u, FR_TCP_PSH | FR_TCP_ACK);
	cr_assert_eq(vno_decode(&ev), 0);
	j = frame_json(&ev);
	cr_assert_jq(j, ".type == \"frame\" and .hop == \"xmit\" and .dev == \"ta\\\"p\\\\0\"");
	cr_assert_jq(j, ".netns == 4026531840 and .ifindex == 3 and .gso_size == 1448 and "
			".gso_segs == 10");
	cr_assert_jq(j, ".gso_type == [\"tcpv4\",\"dodgy\",\"bit20\"] and "
			".gso_type_raw == 1048579 and .ip_summed == \"partial\"");
	cr_assert_jq(j, ".l3 == \"ipv4\" and .l4 == \"tcp\" and .saddr == \"192.0.2.1\" and "
			".daddr == \"198.51.100.7\" and .sport == 40000 and .dport == 443");
	cr_assert_jq(j, ".vlan == 100 and .tcp_flags == \"P.\" and .tcp_seq == 4000000000");
	cr_assert_jq(j, ".pkt_id == \"0000000000abcdef\" and .drop_reason == null and "
			".transport_off == 38");
}

static const char *fake_reason(unsigned r)
{
	return r == 2 ? "NOT_\"SPECIFIED\"" : NULL;
}

Test(json, frame_ipv6_udp_dropped)
{
	struct vno_event ev = fr_meta(VNO_HOP_DROP, 1, 9, "veth0");
	char *j;

	ev.f.flags = VNO_F_FREED;
	ev.f.drop_reason = 77;
	ev.f.ip_summed = 9;
	ev.f.transport_off = 0xFFFF;
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::1", "2001:db8::2", 17);
	fr_udp(&ev, 53, 5353);
	cr_assert_eq(vno_decode(&ev), 0);
	j = frame_json(&ev);
	cr_assert_jq(j, ".l3 == \"ipv6\" and .l4 == \"udp\" and .saddr == \"2001:db8::1\" and "
			".sport == 53 and .dport == 5353 and .vlan == null");
	cr_assert_jq(j, ".gso_type == [] and .ip_summed == \"?\" and .transport_off == null");
	cr_assert_jq(j, ".drop_reason == \"77\" and (has(\"tcp_flags\") | not)");

	vno_drop_reason_name = fake_reason;
	ev.f.drop_reason = 2;
	j = frame_json(&ev);
	vno_drop_reason_name = NULL;
	cr_assert_jq(j, ".drop_reason == \"NOT_\\\"SPECIFIED\\\"\"");
}

Test(json, frame_non_ip)
{
	struct vno_event ev = fr_meta(VNO_HOP_TC_EGRESS, 1, 2, "br0");
	char *j;

	fr_eth(&ev, FR_ETH_ARP);
	fr_payload(&ev, 28, 0);
	cr_assert_eq(vno_decode(&ev), 0);
	j = frame_json(&ev);
	cr_assert_jq(j, ".l3 == \"0x0806\" and .l4 == null and .saddr == null and "
			".sport == null");

	/* No bytes at all. */
	ev = fr_meta(VNO_HOP_DONE, 1, 2, "0123456789abcdef");
	cr_assert_eq(vno_decode(&ev), 0);
	j = frame_json(&ev);
	cr_assert_jq(j, ".l3 == null and .dev == \"0123456789abcdef\" and .hop == \"done\"");
}
