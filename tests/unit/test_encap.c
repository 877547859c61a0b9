// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Encapsulated frames, crafted byte by byte: VXLAN (RFC 7348) over IPv4,
 * Geneve (RFC 8926) with options over IPv6, GRE (RFC 2784/2890) with a
 * key carrying IPv4, GRETAP with checksum, key and sequence; VXLAN on a port
 * of the user's choosing known only from the skb's inner headers; every
 * cut of the bytes. vno_encap_decode() and the JSON encap object, read back
 * with jq.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "decode.h"
#include "json.h"
#include "frames.h"

#define ETH_P_TEB 0x6558

/* VXLAN header: flags (I = 0x08), reserved, VNI, reserved. */
static size_t fr_vxlan(struct vno_event *ev, __u32 vni, bool i_flag)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, 8);

	p[0] = i_flag ? 0x08 : 0;
	p[4] = (__u8)(vni >> 16);
	p[5] = (__u8)(vni >> 8);
	p[6] = (__u8)vni;
	return off;
}

/* Geneve: version 0, @optlen bytes of options (a multiple of 4), protocol. */
static size_t fr_geneve(struct vno_event *ev, __u32 vni, __u16 proto, unsigned optlen)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, 8 + optlen);

	p[0] = (__u8)(optlen / 4);
	fr_wr16(p + 2, proto);
	p[4] = (__u8)(vni >> 16);
	p[5] = (__u8)(vni >> 8);
	p[6] = (__u8)vni;
	memset(p + 8, 0xAB, optlen);
	return off;
}

/* GRE: @flags (C 0x8000, K 0x2000, S 0x1000), protocol, then checksum,
 * key and sequence words as the flags say. */
static size_t fr_gre(struct vno_event *ev, __u16 flags, __u16 proto, __u32 key)
{
	size_t off = ev->f.cap_len, n = 4;
	__u8 *p;

	n += (flags & 0x8000) ? 4 : 0;
	n += (flags & 0x2000) ? 4 : 0;
	n += (flags & 0x1000) ? 4 : 0;
	p = fr_put(ev, n);
	fr_wr16(p, flags);
	fr_wr16(p + 2, proto);
	if (flags & 0x2000)
		fr_wr32(p + 4 + ((flags & 0x8000) ? 4 : 0), key);
	return off;
}

/* The guest's frame as it left the VXLAN device over IPv4 to up0: 14 + 20 +
 * 8 + 8 outer, then the inner Ethernet, IPv4 and TCP (csum at 84 + 16). */
static void vxlan4(struct vno_event *ev, __u16 dport)
{
	fr_init(ev);
	fr_eth(ev, FR_ETH_IP);
	fr_ipv4(ev, "198.51.100.1", "198.51.100.2", 17);
	fr_udp(ev, 45317, dport);
	fr_vxlan(ev, 42, true);
	fr_eth(ev, FR_ETH_IP);
	fr_ipv4(ev, "192.0.2.1", "192.0.2.2", 6);
	fr_tcp(ev, 40000, 5002, 1000000, FR_TCP_PSH | FR_TCP_ACK);
	fr_payload(ev, 16, 0x42);
	ev->f.hop = VNO_HOP_XMIT;
	ev->f.ip_summed = VNO_CSUM_PARTIAL;
	ev->f.csum_start = 84;
	ev->f.csum_offset = 16;
	ev->f.gso_size = 1398;
	ev->f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY | (1u << 11);
	ev->f.encap = VNO_E_SKB;
	ev->f.inner_protocol = FR_ETH_IP;
	ev->f.inner_network_off = 64;
	ev->f.inner_transport_off = 84;
	cr_assert_eq(vno_decode(ev), 0);
}

static void assert_ip(int af, const __u8 *a, const char *want)
{
	__u8 w[16] = { 0 };

	fr_addr(af, want, w);
	cr_assert_eq(memcmp(a, w, af == AF_INET ? 4 : 16), 0, "address is not %s", want);
}

static char *frame_json(const struct vno_event *ev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	json_frame(f, ev);
	fclose(f);
	return buf;
}

Test(encap, vxlan_over_ipv4)
{
	struct vno_event ev;
	struct vno_encap e;
	char s[160], *js;

	vxlan4(&ev, 4789);
	/* The outer frame is what the record's own fields say. */
	cr_assert_eq(ev.f.l4_proto, 17);
	cr_assert_eq(ev.f.dport, 4789);
	cr_assert_eq(vno_encap_decode(&ev, &e), 1);
	cr_assert_eq(e.type, VNO_ENC_VXLAN);
	cr_assert(e.has_key);
	cr_assert_eq(e.key, 42);
	cr_assert_eq(e.inner_off, 50);
	cr_assert_eq(e.inner_network_off, 64);
	cr_assert_eq(e.inner_transport_off, 84);
	cr_assert_eq(e.in.ip_ver, 4);
	cr_assert_eq(e.in.l4_proto, 6);
	assert_ip(AF_INET, e.in.saddr, "192.0.2.1");
	assert_ip(AF_INET, e.in.daddr, "192.0.2.2");
	cr_assert_eq(e.in.sport, 40000);
	cr_assert_eq(e.in.dport, 5002);
	cr_assert_eq(e.in.tcp_flags, FR_TCP_PSH | FR_TCP_ACK);
	cr_assert_eq(e.in.tcp_seq, 1000000);
	cr_assert_not(e.trunc);
	/* The checksum as the guest wrote it: 34 + 16 from its Ethernet header. */
	cr_assert_eq(vno_encap_csum_start(&ev.f, &e), 34);
	vno_encap_str(&e, s, sizeof(s));
	cr_assert_str_eq(s, "encap=vxlan vni=42 inner=tcp/192.0.2.1:40000>192.0.2.2:5002");
	js = frame_json(&ev);
	cr_assert_jq(js, ".encap.type == \"vxlan\" and .encap.vni == 42 and .encap.skb_encapsulation"
			 " and .encap.saddr == \"198.51.100.1\" and .encap.daddr == \"198.51.100.2\""
			 " and .encap.sport == 45317 and .encap.dport == 4789"
			 " and .encap.inner == {\"offset\":50,\"network_off\":64,\"transport_off\":84,"
			 "\"l3\":\"ipv4\",\"l4\":\"tcp\",\"saddr\":\"192.0.2.1\",\"daddr\":\"192.0.2.2\","
			 "\"sport\":40000,\"dport\":5002,\"tcp_flags\":\"P.\",\"tcp_seq\":1000000,"
			 "\"csum_start\":34,\"csum_offset\":16,\"truncated\":false}");
	free(js);
}

Test(encap, vxlan_legacy_port_and_no_i_flag)
{
	struct vno_event ev;
	struct vno_encap e;
	char *js;

	vxlan4(&ev, 8472);
	/* The I flag clear: the VNI is not valid (RFC 7348 5). */
	ev.data[42] = 0;
	cr_assert_eq(vno_encap_decode(&ev, &e), 1);
	cr_assert_eq(e.type, VNO_ENC_VXLAN);
	cr_assert_not(e.has_key);
	js = frame_json(&ev);
	cr_assert_jq(js, ".encap.vni == null and .encap.inner.dport == 5002");
	free(js);
}

Test(encap, vxlan_on_another_port_from_the_skb)
{
	struct vno_event ev;
	struct vno_encap e;

	/* ip link add … type vxlan dstport 4790: only the kernel's inner
	 * headers say it is a tunnel, and their place says VXLAN. */
	vxlan4(&ev, 4790);
	cr_assert_eq(vno_encap_decode(&ev, &e), 1);
	cr_assert_eq(e.type, VNO_ENC_VXLAN);
	cr_assert_eq(e.key, 42);
	cr_assert_eq(e.in.dport, 5002);
	/* Without the skb's word the same bytes are plain UDP. */
	ev.f.encap = 0;
	ev.f.inner_network_off = ev.f.inner_transport_off = 0;
	cr_assert_eq(vno_encap_decode(&ev, &e), 0);
	cr_assert_eq(e.type, VNO_ENC_NONE);
}

Test(encap, geneve_over_ipv6_with_options)
{
	struct vno_event ev;
	struct vno_encap e;
	char *js;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8::a", "2001:db8::b", 17);
	fr_udp(&ev, 1234, 6081);
	fr_geneve(&ev, 0xABCDEF, ETH_P_TEB, 8);
	fr_eth(&ev, FR_ETH_IPV6);
	fr_ipv6(&ev, "2001:db8:1::1", "2001:db8:1::2", 17);
	fr_udp(&ev, 5353, 9999);
	ev.f.hop = VNO_HOP_XMIT;
	cr_assert_eq(vno_decode(&ev), 0);
	cr_assert_eq(vno_encap_decode(&ev, &e), 1);
	cr_assert_eq(e.type, VNO_ENC_GENEVE);
	cr_assert_eq(e.key, 0xABCDEF);
	cr_assert_eq(e.inner_off, 14 + 40 + 8 + 8 + 8);
	cr_assert_eq(e.inner_network_off, e.inner_off + 14);
	cr_assert_eq(e.inner_transport_off, e.inner_network_off + 40);
	cr_assert_eq(e.in.ip_ver, 6);
	assert_ip(AF_INET6, e.in.saddr, "2001:db8:1::1");
	assert_ip(AF_INET6, e.in.daddr, "2001:db8:1::2");
	cr_assert_eq(e.in.sport, 5353);
	cr_assert_eq(e.in.dport, 9999);
	js = frame_json(&ev);
	cr_assert_jq(js, ".encap.type == \"geneve\" and .encap.vni == 11259375"
			 " and .encap.skb_encapsulation == false and .encap.saddr == \"2001:db8::a\""
			 " and .encap.inner.l3 == \"ipv6\" and .encap.inner.l4 == \"udp\""
			 " and .encap.inner.tcp_flags == null and .encap.inner.csum_start == null");
	free(js);
}

Test(encap, gre_with_key_carrying_ipv4)
{
	struct vno_event ev;
	struct vno_encap e;
	char s[160], *js;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "198.51.100.1", "198.51.100.2", 47);
	fr_gre(&ev, 0x2000, FR_ETH_IP, 7);
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 6);
	fr_tcp(&ev, 40000, 22, 5, FR_TCP_SYN);
	ev.f.hop = VNO_HOP_XMIT;
	cr_assert_eq(vno_decode(&ev), 0);
	cr_assert_eq(vno_encap_decode(&ev, &e), 1);
	cr_assert_eq(e.type, VNO_ENC_GRE);
	cr_assert(e.has_key);
	cr_assert_eq(e.key, 7);
	cr_assert_eq(e.inner_off, 14 + 20 + 8);
	cr_assert_eq(e.inner_network_off, e.inner_off);
	cr_assert_eq(e.in.dport, 22);
	vno_encap_str(&e, s, sizeof(s));
	cr_assert_str_eq(s, "encap=gre key=7 inner=tcp/192.0.2.1:40000>192.0.2.2:22");
	js = frame_json(&ev);
	cr_assert_jq(js, ".encap.type == \"gre\" and .encap.key == 7 and (.encap | has(\"vni\") | not)"
			 " and .encap.sport == null and .encap.inner.tcp_flags == \"S\"");
	free(js);
}

Test(encap, gretap_with_csum_key_seq)
{
	struct vno_event ev;
	struct vno_encap e;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "198.51.100.1", "198.51.100.2", 47);
	fr_gre(&ev, 0x8000 | 0x2000 | 0x1000, ETH_P_TEB, 0x01020304);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 17);
	fr_udp(&ev, 1000, 2000);
	ev.f.hop = VNO_HOP_XMIT;
	cr_assert_eq(vno_decode(&ev), 0);
	cr_assert_eq(vno_encap_decode(&ev, &e), 1);
	cr_assert_eq(e.type, VNO_ENC_GRETAP);
	cr_assert_eq(e.key, 0x01020304);
	cr_assert_eq(e.inner_off, 14 + 20 + 16);
	cr_assert_eq(e.in.sport, 1000);
	cr_assert_eq(e.in.dport, 2000);
	/* GRE version 1 (PPTP's enhanced GRE) is no tunnel of a bridge. */
	ev.data[14 + 20 + 1] |= 1;
	cr_assert_eq(vno_encap_decode(&ev, &e), 0);
}

Test(encap, every_cut)
{
	struct vno_event full, ev;
	struct vno_encap e;

	vxlan4(&full, 4789);
	for (unsigned n = 0; n <= full.f.cap_len; n++) {
		ev = full;
		ev.f.cap_len = (__u16)n;
		/* Poison past the cut: nothing may be read from there. */
		memset(ev.data + n, 0xEE, sizeof(ev.data) - n);
		vno_decode(&ev);
		int r = vno_encap_decode(&ev, &e);

		/* The skb says encapsulated: always a tunnel, cut or not. */
		cr_assert_eq(r, 1, "cut at %u", n);
		if (n < 14 + 20 + 8 + 16)
			cr_assert(e.trunc || e.type == VNO_ENC_UDP, "cut at %u", n);
		if (n < 84 + 14)
			cr_assert(e.trunc, "cut at %u: inner TCP header incomplete", n);
		else
			cr_assert_not(e.trunc, "cut at %u", n);
		if (e.in.ip_ver == 4 && !e.trunc)
			cr_assert_eq(e.in.dport, 5002);
		free(frame_json(&ev));
	}
}

Test(encap, plain_frame_is_not_a_tunnel)
{
	struct vno_event ev;
	struct vno_encap e;
	char *js;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 17);
	fr_udp(&ev, 4789, 53); /* from port 4789: not VXLAN */
	ev.f.hop = VNO_HOP_XMIT;
	cr_assert_eq(vno_decode(&ev), 0);
	cr_assert_eq(vno_encap_decode(&ev, &e), 0);
	js = frame_json(&ev);
	cr_assert_jq(js, "has(\"encap\") | not");
	free(js);
	/* A done record has no bytes and no encapsulation. */
	ev = fr_meta(VNO_HOP_DONE, 1, 2, "vxlan0");
	cr_assert_eq(vno_encap_decode(&ev, &e), 0);
}
