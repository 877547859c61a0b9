// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Each anomaly rule: a frame that trips it and a clean one that doesn't. */
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include "anomaly.h"

/* A well-formed 10-segment TCPv4 super-frame handed to a driver, as the
 * test bed's planted frame looks at xmit. */
static struct vno_frame clean_tcp(void)
{
	struct vno_frame f;

	memset(&f, 0, sizeof(f));
	f.version = VNO_RECORD_VERSION;
	f.hop = VNO_HOP_XMIT;
	f.len = 14 + 20 + 32 + 1448 * 10;
	f.gso_size = 1448;
	f.gso_segs = 10;
	f.gso_type = VNO_GSO_TCPV4;
	f.ip_summed = VNO_CSUM_PARTIAL;
	f.network_off = 14;
	f.transport_off = 34;
	f.csum_start = 34;
	f.csum_offset = 16;
	f.mac_len = 66;
	f.l3_proto = 0x0800;
	f.l4_proto = 6;
	f.ip_ver = 4;
	strcpy(f.dev, "eno1");
	return f;
}

static struct vno_frame clean_udp(void)
{
	struct vno_frame f = clean_tcp();

	f.gso_type = VNO_GSO_UDP_L4;
	f.csum_offset = 6;
	f.mac_len = 42;
	f.l4_proto = 17;
	return f;
}

static struct vno_iface nic(void)
{
	struct vno_iface d;

	memset(&d, 0, sizeof(d));
	strcpy(d.name, "eno1");
	strcpy(d.driver, "e1000e");
	d.mtu = 1500;
	d.gso_max_size = 65536;
	d.gso_max_segs = 65535;
	d.tso_max_size = 65536;
	d.tso_max_segs = 65535;
	memset(d.offload, VNO_OFF_ON, sizeof(d.offload));
	return d;
}

static struct vno_iface tap(void)
{
	struct vno_iface d = nic();

	strcpy(d.name, "tap101i0");
	strcpy(d.driver, "tun");
	return d;
}

static __u64 check(const struct vno_frame *f, const struct vno_iface *d)
{
	__u64 m = 0xdead;
	int n = anomaly_check(f, d, &m);

	cr_assert_eq(n, __builtin_popcountll(m), "count %d vs mask %llx", n,
		     (unsigned long long)m);
	return m;
}

#define BIT(id) (1ull << (id))

static void expect_only(const struct vno_frame *f, const struct vno_iface *d, unsigned id)
{
	__u64 m = check(f, d);

	cr_assert_eq(m, BIT(id), "want only %s, got mask %#llx", anomaly_name(id),
		     (unsigned long long)m);
}

static void expect_has(const struct vno_frame *f, const struct vno_iface *d, unsigned id)
{
	__u64 m = check(f, d);

	cr_assert(m & BIT(id), "want %s, got mask %#llx", anomaly_name(id),
		  (unsigned long long)m);
}

Test(anomaly, table_is_consistent)
{
	unsigned i, j;

	cr_assert_eq(anomaly_count(), ANOMALY__MAX);
	cr_assert_null(anomaly_rule(anomaly_count()));
	for (i = 0; i < anomaly_count(); i++) {
		const struct anomaly_rule *r = anomaly_rule(i);

		cr_assert_not_null(r);
		cr_assert_eq(r->id, i, "rule at %u has id %u", i, r->id);
		cr_assert(r->name && *r->name && r->desc && *r->desc && r->check && r->hops);
		cr_assert(!(r->hops & (1u << VNO_HOP_DONE)), "%s on done records", r->name);
		cr_assert_eq(anomaly_parse(r->name), (int)i);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(r->name, anomaly_rule(j)->name);
	}
	cr_assert_eq(anomaly_parse("no_such_rule"), -1);
	cr_assert_str_eq(anomaly_name(200), "?");
}

Test(anomaly, stored_ids_are_stable)
{
	/* Captures hold these numbers: they must never move. */
	cr_assert_str_eq(anomaly_name(0), "gso_type_without_size");
	cr_assert_str_eq(anomaly_name(1), "gso_by_frags_from_guest");
	cr_assert_str_eq(anomaly_name(2), "csum_outside_linear");
	cr_assert_str_eq(anomaly_name(3), "csum_start_not_transport");
	cr_assert_str_eq(anomaly_name(4), "gso_csum_offset");
	cr_assert_str_eq(anomaly_name(5), "gso_bad_ip_summed");
	cr_assert_str_eq(anomaly_name(6), "gso_size_without_type");
	cr_assert_str_eq(anomaly_name(7), "gso_segs_over_dev_max");
	cr_assert_str_eq(anomaly_name(8), "gso_len_over_dev_max");
	cr_assert_str_eq(anomaly_name(9), "gso_size_tiny");
	cr_assert_str_eq(anomaly_name(10), "oversized_non_gso");
	cr_assert_str_eq(anomaly_name(11), "csum_partial_no_tx_csum");
	cr_assert_str_eq(anomaly_name(12), "ecn_on_non_tcp_gso");
}

Test(anomaly, clean_frames_are_clean_everywhere)
{
	struct vno_iface d = nic(), t = tap();
	struct vno_frame f;
	unsigned hop;

	for (hop = 0; hop < VNO_HOP__MAX; hop++) {
		f = clean_tcp();
		f.hop = hop;
		if (hop == VNO_HOP_RX)
			f.len -= 14; /* eth_type_trans pulled the header */
		cr_assert_eq(check(&f, &d), 0, "tcp at hop %u", hop);
		cr_assert_eq(check(&f, &t), 0, "tcp on tap at hop %u", hop);
		cr_assert_eq(check(&f, NULL), 0);
		f = clean_udp();
		f.hop = hop;
		cr_assert_eq(check(&f, &d), 0, "udp at hop %u", hop);
	}
	/* A plain 1514-byte frame and an ACK: no GSO, no problem. */
	f = clean_tcp();
	f.gso_size = f.gso_segs = 0;
	f.gso_type = 0;
	f.len = 1514;
	cr_assert_eq(check(&f, &d), 0);
	f.ip_summed = VNO_CSUM_NONE;
	f.csum_start = f.csum_offset = 0;
	f.len = 66;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, gso_type_without_size)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	f.gso_size = 0;
	f.gso_segs = 0;
	f.len = 1514;
	f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY;
	expect_only(&f, &d, ANOMALY_GSO_TYPE_WITHOUT_SIZE);
	/* The host's own TCP leaves sk_gso_type on single-segment skbs. */
	f.gso_type = VNO_GSO_TCPV4;
	cr_assert_eq(check(&f, &d), 0);
	/* DODGY alone is a modifier, not a type. */
	f.gso_type = VNO_GSO_DODGY;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, gso_by_frags_from_guest)
{
	struct vno_iface t = tap(), d = nic();
	struct vno_frame f = clean_tcp();

	f.hop = VNO_HOP_RX;
	f.len -= 14;
	f.gso_size = VNO_GSO_BY_FRAGS;
	f.gso_segs = 0;
	f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY;
	expect_only(&f, &t, ANOMALY_GSO_BY_FRAGS_FROM_GUEST);
	f.hop = VNO_HOP_TC_INGRESS;
	f.len += 14;
	expect_only(&f, &t, ANOMALY_GSO_BY_FRAGS_FROM_GUEST);
	/* Not from a guest, or the device is unknown: not this rule. */
	cr_assert_eq(check(&f, &d), 0);
	cr_assert_eq(check(&f, NULL), 0);
	/* A sane gso_size from the same tap is fine. */
	f.gso_size = 1448;
	cr_assert_eq(check(&f, &t), 0);
}

Test(anomaly, csum_outside_linear)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	f.mac_len = 34 + 16 + 1; /* one byte short of the checksum field */
	expect_only(&f, &d, ANOMALY_CSUM_OUTSIDE_LINEAR);
	f.mac_len = 34 + 16 + 2;
	cr_assert_eq(check(&f, &d), 0);
	/* Done records carry no header layout (mac_len 0): never flagged. */
	f.mac_len = 0;
	f.hop = VNO_HOP_DONE;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, csum_start_not_transport)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	f.csum_start = 38;
	f.mac_len = 128;
	expect_only(&f, &d, ANOMALY_CSUM_START_NOT_L4);
	/* Transport header unknown: cannot tell. */
	f.transport_off = 0xFFFF;
	cr_assert_eq(check(&f, &d), 0);
	/* Encapsulated GSO: inner csum vs outer transport on purpose. */
	f = clean_tcp();
	f.csum_start = 84;
	f.mac_len = 128;
	f.gso_type |= 1u << 10; /* SKB_GSO_UDP_TUNNEL */
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, gso_csum_offset)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	f.csum_offset = 6;
	expect_only(&f, &d, ANOMALY_GSO_CSUM_OFFSET);
	f = clean_udp();
	f.csum_offset = 16;
	f.mac_len = 66;
	expect_only(&f, &d, ANOMALY_GSO_CSUM_OFFSET);
	/* Only meaningful when the checksum is partial. */
	f = clean_tcp();
	f.ip_summed = VNO_CSUM_UNNECESSARY;
	f.csum_start = f.csum_offset = 0;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, gso_bad_ip_summed)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	f.ip_summed = VNO_CSUM_NONE;
	f.csum_start = f.csum_offset = 0;
	expect_only(&f, &d, ANOMALY_GSO_IP_SUMMED);
	f.ip_summed = VNO_CSUM_COMPLETE;
	expect_only(&f, &d, ANOMALY_GSO_IP_SUMMED);
	f.ip_summed = VNO_CSUM_UNNECESSARY;
	cr_assert_eq(check(&f, &d), 0);
	/* On the RX path only CHECKSUM_NONE is wrong (skb_needs_check). */
	f.hop = VNO_HOP_RX;
	f.len -= 14;
	f.ip_summed = VNO_CSUM_COMPLETE;
	cr_assert_eq(check(&f, &d), 0);
	f.ip_summed = VNO_CSUM_NONE;
	expect_only(&f, &d, ANOMALY_GSO_IP_SUMMED);
}

Test(anomaly, gso_size_without_type)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	f.gso_type = 0;
	expect_only(&f, &d, ANOMALY_GSO_SIZE_WITHOUT_TYPE);
	f.gso_type = VNO_GSO_DODGY;
	expect_only(&f, &d, ANOMALY_GSO_SIZE_WITHOUT_TYPE);
	/* SKB_GSO_TCP_FIXEDID (bit 30 since 6.18) only qualifies TCP. */
	f.gso_type = 1u << 30;
	expect_only(&f, &d, ANOMALY_GSO_SIZE_WITHOUT_TYPE);
}

Test(anomaly, gso_segs_over_dev_max)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	d.gso_max_segs = 8;
	expect_only(&f, &d, ANOMALY_GSO_SEGS_OVER_DEV);
	d = nic();
	d.tso_max_segs = 9;
	expect_only(&f, &d, ANOMALY_GSO_SEGS_OVER_DEV);
	/* At the limit is fine; unknown limits (0) never fire. */
	d.tso_max_segs = 10;
	cr_assert_eq(check(&f, &d), 0);
	d.gso_max_segs = d.tso_max_segs = 0;
	cr_assert_eq(check(&f, &d), 0);
	/* Device limits are about sending: not checked where frames enter. */
	d.gso_max_segs = 8;
	f.hop = VNO_HOP_TC_INGRESS;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, gso_len_over_dev_max)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	d.gso_max_size = 8192;
	expect_only(&f, &d, ANOMALY_GSO_LEN_OVER_DEV);
	f.hop = VNO_HOP_TC_EGRESS;
	expect_only(&f, &d, ANOMALY_GSO_LEN_OVER_DEV);
	/* gso_features_check() uses >=. */
	d.gso_max_size = f.len;
	expect_only(&f, &d, ANOMALY_GSO_LEN_OVER_DEV);
	d.gso_max_size = f.len + 1;
	cr_assert_eq(check(&f, &d), 0);
	d = nic();
	d.gso_max_size = 0;
	d.tso_max_size = 10000;
	expect_only(&f, &d, ANOMALY_GSO_LEN_OVER_DEV);
	cr_assert_eq(check(&f, NULL), 0);
}

Test(anomaly, gso_size_tiny)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	f.gso_size = 48;
	f.gso_segs = 300;
	expect_only(&f, &d, ANOMALY_GSO_SIZE_TINY);
	f.gso_size = 64;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, oversized_non_gso)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	f.gso_size = f.gso_segs = 0;
	f.gso_type = 0;
	f.len = 1515;
	expect_only(&f, &d, ANOMALY_OVERSIZED_NON_GSO);
	f.len = 1514;
	cr_assert_eq(check(&f, &d), 0);
	/* One 802.1Q tag in the header allows 4 more bytes. */
	f.network_off = 18;
	f.len = 1518;
	cr_assert_eq(check(&f, &d), 0);
	f.len = 1519;
	expect_only(&f, &d, ANOMALY_OVERSIZED_NON_GSO);
	/* At rx, skb->len has no Ethernet header. */
	f.hop = VNO_HOP_RX;
	f.network_off = 14;
	f.len = 1500;
	cr_assert_eq(check(&f, &d), 0);
	f.len = 9000;
	expect_only(&f, &d, ANOMALY_OVERSIZED_NON_GSO);
	/* MTU unknown or device unknown: silent. */
	cr_assert_eq(check(&f, NULL), 0);
	d.mtu = 0;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, csum_partial_no_tx_csum)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	d.offload[VNO_OL_TX_CSUM] = VNO_OFF_OFF;
	expect_only(&f, &d, ANOMALY_CSUM_PARTIAL_NO_TX_CSUM);
	/* Before validate_xmit_skb() the kernel may still fix it: not flagged. */
	f.hop = VNO_HOP_TC_EGRESS;
	cr_assert_eq(check(&f, &d), 0);
	f.hop = VNO_HOP_XMIT;
	d.offload[VNO_OL_TX_CSUM] = VNO_OFF_UNKNOWN;
	cr_assert_eq(check(&f, &d), 0);
	d.offload[VNO_OL_TX_CSUM] = VNO_OFF_ON;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, ecn_on_non_tcp_gso)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_udp();

	f.gso_type |= VNO_GSO_TCP_ECN;
	expect_only(&f, &d, ANOMALY_ECN_NON_TCP_GSO);
	f = clean_tcp();
	f.gso_type |= VNO_GSO_TCP_ECN;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, several_rules_at_once)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_udp();
	__u64 m;

	f.gso_size = 32;
	f.csum_offset = 16;
	f.mac_len = 66;
	f.gso_type |= VNO_GSO_TCP_ECN;
	m = check(&f, &d);
	cr_assert_eq(m, BIT(ANOMALY_GSO_CSUM_OFFSET) | BIT(ANOMALY_GSO_SIZE_TINY) |
				BIT(ANOMALY_ECN_NON_TCP_GSO));
	expect_has(&f, &d, ANOMALY_GSO_SIZE_TINY);
}

Test(anomaly, mark_sets_first_id_and_flag)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_udp();
	__u64 m;
	int n;

	f.gso_size = 32;
	f.gso_type |= VNO_GSO_TCP_ECN;
	n = anomaly_mark(&f, &d, &m);
	cr_assert_eq(n, 2);
	cr_assert(f.flags & VNO_F_ANOMALY);
	cr_assert_eq(f.anomaly, ANOMALY_GSO_SIZE_TINY + 1);
	cr_assert_eq(m, BIT(ANOMALY_GSO_SIZE_TINY) | BIT(ANOMALY_ECN_NON_TCP_GSO));

	/* Re-marking a clean frame clears a stale mark. */
	f = clean_tcp();
	f.flags |= VNO_F_ANOMALY | VNO_F_VLAN_HW;
	f.anomaly = 3;
	cr_assert_eq(anomaly_mark(&f, &d, NULL), 0);
	cr_assert_eq(f.flags, VNO_F_VLAN_HW);
	cr_assert_eq(f.anomaly, 0);
	cr_assert_eq(anomaly_mark(NULL, &d, NULL), 0);
	cr_assert_eq(anomaly_check(NULL, &d, &m), 0);
	cr_assert_eq(m, 0);
}

Test(anomaly, tap_detection)
{
	struct vno_iface t = tap(), d = nic();

	cr_assert(anomaly_dev_is_tap(&t));
	strcpy(t.driver, "macvtap");
	cr_assert(anomaly_dev_is_tap(&t));
	cr_assert_not(anomaly_dev_is_tap(&d));
	cr_assert_not(anomaly_dev_is_tap(NULL));
}

Test(anomaly, gso_size_over_mtu)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	cr_assert_eq(check(&f, &d), 0, "1448 + 40 fits a 1500 MTU");
	f.gso_size = 1461; /* 1461 + 20 + 20 = 1501 */
	expect_only(&f, &d, ANOMALY_GSO_SIZE_OVER_MTU);
	f.gso_size = 9000;
	expect_has(&f, &d, ANOMALY_GSO_SIZE_OVER_MTU);
	d.mtu = 9000 + 40;
	cr_assert_eq(check(&f, &d) & BIT(ANOMALY_GSO_SIZE_OVER_MTU), 0, "a jumbo MTU takes it");
	/* Without the device the rule stays silent. */
	cr_assert_eq(check(&f, NULL) & BIT(ANOMALY_GSO_SIZE_OVER_MTU), 0);
}

Test(anomaly, gso_type_l3l4_mismatch)
{
	struct vno_iface d = nic();
	struct vno_frame f = clean_tcp();

	f.ip_ver = 6;
	f.l3_proto = 0x86DD;
	f.transport_off = 54;
	f.csum_start = 54;
	expect_has(&f, &d, ANOMALY_GSO_TYPE_L3L4_MISMATCH); /* tcpv4 on IPv6 */
	f.gso_type = VNO_GSO_TCPV6;
	cr_assert_eq(check(&f, &d) & BIT(ANOMALY_GSO_TYPE_L3L4_MISMATCH), 0);
	f = clean_tcp();
	f.l4_proto = 17; /* a TCP type on UDP */
	expect_has(&f, &d, ANOMALY_GSO_TYPE_L3L4_MISMATCH);
	f = clean_udp();
	cr_assert_eq(check(&f, &d) & BIT(ANOMALY_GSO_TYPE_L3L4_MISMATCH), 0);
	f.l4_proto = 6; /* udp_l4 on TCP */
	expect_has(&f, &d, ANOMALY_GSO_TYPE_L3L4_MISMATCH);
}

/* The overlay: a VXLAN device of MTU 1450 over a 1500 underlay. */
static struct vno_iface vxlan(void)
{
	struct vno_iface d = nic();

	strcpy(d.name, "vxlan0");
	strcpy(d.driver, "vxlan");
	d.mtu = 1450;
	return d;
}

/* The guest's super-frame as the underlay's xmit sees it once vxlan0
 * encapsulated it: outer 14 + 20 + 8 + 8, inner 14 + 20 + TCP. */
static struct vno_frame encapsulated_tcp(__u16 gso_size)
{
	struct vno_frame f = clean_tcp();

	f.gso_size = gso_size;
	f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY | (1u << 11); /* udp_tunnel_csum */
	f.l4_proto = 17;
	f.encap = VNO_E_SKB;
	f.inner_protocol = 0x0800;
	f.inner_network_off = 64;
	f.inner_transport_off = 84;
	f.csum_start = 84;
	f.csum_offset = 16;
	f.mac_len = 116;
	return f;
}

Test(anomaly, tunnel_segment_over_mtu_at_the_tunnel)
{
	struct vno_iface d = vxlan();
	struct vno_frame f = clean_tcp();
	struct anomaly_tunnel_fit fit;
	char s[256];

	strcpy(f.dev, "vxlan0");
	f.gso_size = 1398;
	cr_assert_eq(check(&f, &d), 0, "1398 + 40 fits vxlan0's 1450");
	f.gso_size = 1448;
	/* The tunnel's rule says it, not the generic one. */
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	cr_assert(anomaly_tunnel_fit(&f, &d, &fit));
	cr_assert_eq(fit.segment, 1488);
	cr_assert_eq(fit.headers, 40);
	cr_assert_eq(fit.mtu, 1450);
	cr_assert_eq(fit.overhead, 50);
	cr_assert_not(fit.encapsulated);
	anomaly_tunnel_fit_str(&fit, "vxlan0", s, sizeof(s));
	cr_assert_str_eq(s, "segments of 1488 B (gso_size 1448 + 40 B of headers) > MTU 1450 of "
			    "vxlan0 (VXLAN over IPv4 adds 50 B: they need 1538 on the underlay)");
	/* A flight-recorder record (export) carries no bytes: no decoded
	 * addresses, the IP version from skb->protocol. */
	f.ip_ver = 0;
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	f.ip_ver = 4;
	/* GRETAP over IPv6: 40 + 4 + 14 = 58 bytes. */
	strcpy(d.driver, "ip6gretap");
	d.mtu = 1442;
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	cr_assert(anomaly_tunnel_fit(&f, &d, &fit));
	cr_assert_eq(fit.overhead, 58);
	cr_assert_str_eq(fit.tunnel, "GRETAP over IPv6");
	/* A small cut of the string stays a string. */
	cr_assert_leq(anomaly_tunnel_fit_str(&fit, "gt0", s, 12), 11);
	cr_assert_eq(strlen(s), 11);
	/* Not a GSO frame: nothing to segment. */
	f.gso_size = 0;
	f.gso_type = 0;
	cr_assert_not(anomaly_tunnel_fit(&f, &d, &fit));
}

Test(anomaly, tunnel_segment_over_mtu_on_the_underlay)
{
	struct vno_iface d = nic(); /* the underlay, MTU 1500 */
	struct vno_frame f = encapsulated_tcp(1398);
	struct anomaly_tunnel_fit fit;

	cr_assert_eq(check(&f, &d), 0, "1398 + 40 + 50 fits 1500");
	f = encapsulated_tcp(1448);
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	cr_assert(anomaly_tunnel_fit(&f, &d, &fit));
	cr_assert(fit.encapsulated);
	cr_assert_eq(fit.segment, 1488);
	cr_assert_eq(fit.mtu, 1450);
	cr_assert_eq(fit.overhead, 50);
	d.mtu = 1550;
	cr_assert_eq(check(&f, &d), 0, "an underlay of 1550 takes it");
	/* A record of a kernel that did not mark it: no inner headers, no rule. */
	f.encap = 0;
	f.inner_network_off = f.inner_transport_off = 0;
	d.mtu = 1500;
	cr_assert_eq(check(&f, &d) & BIT(ANOMALY_TUNNEL_SEGMENT_OVER_MTU), 0);
}

/* The bed's guest frame at a bridged vxlan0: TCP over IPv4 with DF. */
Test(anomaly, df_segment_over_path_mtu)
{
	struct vno_iface d = vxlan();
	struct vno_frame f = clean_tcp();
	struct anomaly_tunnel_fit fit;
	char s[320];

	d.master = 7; /* a port of br0 */
	strcpy(f.dev, "vxlan0");
	f.encap = VNO_E_IP_DF;
	f.gso_size = 1398;
	cr_assert_eq(check(&f, &d), 0, "1398 + 40 fits vxlan0's 1450, DF or not");
	f.gso_size = 1448;
	/* One cause, one name: the DF rule instead of the tunnel's. */
	expect_only(&f, &d, ANOMALY_DF_SEGMENT_OVER_PATH_MTU);
	cr_assert(anomaly_tunnel_fit(&f, &d, &fit));
	cr_assert_eq(fit.refused_ip, 4);
	anomaly_tunnel_fit_str(&fit, "vxlan0", s, sizeof(s));
	cr_assert_str_eq(s, "segments of 1488 B (gso_size 1448 + 40 B of headers) > MTU 1450 of "
			    "vxlan0 (VXLAN over IPv4 adds 50 B: they need 1538 on the underlay); "
			    "DF set: answered with ICMP \"fragmentation needed\" (MTU 1450), not "
			    "fragmented");
	/* Every cut of the sentence stays a string within the buffer. */
	for (size_t n = 1; n < strlen(s) + 2; n++) {
		char c[320];

		cr_assert_lt(anomaly_tunnel_fit_str(&fit, "vxlan0", c, n), n);
		cr_assert_eq(strncmp(c, s, n - 1), 0);
	}
	/* Without DF the frame goes on to be fragmented: the tunnel's rule. */
	f.encap = 0;
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	/* Not bridged: skb_tunnel_check_pmtu() makes no answer. */
	f.encap = VNO_E_IP_DF;
	d.master = 0;
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	d.master = 7;
	/* Geneve answers as VXLAN does; GRE's tnl_update_pmtu() skips GSO
	 * skbs and bareudp does not reply. */
	strcpy(d.driver, "geneve");
	expect_only(&f, &d, ANOMALY_DF_SEGMENT_OVER_PATH_MTU);
	strcpy(d.driver, "gretap");
	d.mtu = 1462;
	f.gso_size = 1448;
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	strcpy(d.driver, "bareudp");
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	strcpy(d.driver, "vxlan");
	/* A path MTU below 576: iptunnel_pmtud_check_icmp() stays silent. */
	d.mtu = 560;
	f.gso_size = 536;
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	d.mtu = 1450;
	f.gso_size = 1448;
	/* A flight-recorder record (no bytes): IPv4's DF unknown. */
	f.ip_ver = 0;
	f.encap = 0;
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	/* IPv6 is never fragmented on the way, bytes or not. */
	f.l3_proto = 0x86DD;
	f.gso_type = VNO_GSO_TCPV6;
	f.network_off = 14;
	f.transport_off = 54;
	f.csum_start = 54;
	f.mac_len = 86;
	f.gso_size = 1428; /* 1428 + 60 = 1488 */
	expect_only(&f, &d, ANOMALY_DF_SEGMENT_OVER_PATH_MTU);
	cr_assert(anomaly_tunnel_fit(&f, &d, &fit));
	cr_assert_eq(fit.refused_ip, 6);
	anomaly_tunnel_fit_str(&fit, "vxlan0", s, sizeof(s));
	cr_assert(strstr(s, "> MTU 1450 of vxlan0"), "%s", s);
	cr_assert(strstr(s, "; IPv6 is not fragmented on the way: answered with ICMPv6 "
			    "\"packet too big\" (MTU 1450)"), "%s", s);
	f.ip_ver = 6;
	expect_only(&f, &d, ANOMALY_DF_SEGMENT_OVER_PATH_MTU);
	/* IPv6's minimum MTU: below 1280 iptunnel_pmtud_check_icmpv6() makes
	 * no answer. */
	d.mtu = 1270;
	expect_only(&f, &d, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	/* On the underlay the frame is past the check: the tunnel's rule. */
	{
		struct vno_iface u = nic();
		struct vno_frame e = encapsulated_tcp(1448);

		u.master = 7;
		e.encap |= VNO_E_IP_DF;
		expect_only(&e, &u, ANOMALY_TUNNEL_SEGMENT_OVER_MTU);
	}
}

Test(anomaly, tunnel_gso_software)
{
	struct vno_iface d = nic();
	struct vno_frame f = encapsulated_tcp(1398);

	cr_assert_eq(check(&f, &d), 0, "the underlay segments VXLAN in hardware");
	d.offload[VNO_OL_UDP_TNL_CSUM] = VNO_OFF_OFF;
	expect_only(&f, &d, ANOMALY_TUNNEL_GSO_SOFTWARE);
	/* Without the outer checksum only tx-udp_tnl-segmentation counts. */
	f.gso_type = VNO_GSO_TCPV4 | (1u << 10);
	cr_assert_eq(check(&f, &d), 0);
	d.offload[VNO_OL_UDP_TNL] = VNO_OFF_OFF;
	expect_only(&f, &d, ANOMALY_TUNNEL_GSO_SOFTWARE);
	/* Unknown (ethtool could not tell): not accused. */
	d.offload[VNO_OL_UDP_TNL] = VNO_OFF_UNKNOWN;
	cr_assert_eq(check(&f, &d), 0);
	f.hop = VNO_HOP_TC_EGRESS; /* before validate_xmit_skb: not yet */
	d.offload[VNO_OL_UDP_TNL] = VNO_OFF_OFF;
	cr_assert_eq(check(&f, &d), 0);
}

Test(anomaly, inner_csum_outside)
{
	struct vno_iface d = nic();
	struct vno_frame f = encapsulated_tcp(1398);

	cr_assert_eq(check(&f, &d), 0);
	f.csum_start = 34; /* the outer UDP header */
	expect_has(&f, &d, ANOMALY_INNER_CSUM_OUTSIDE);
	f.csum_start = 64; /* the inner IP header */
	expect_has(&f, &d, ANOMALY_INNER_CSUM_OUTSIDE);
	f.csum_start = 84;
	f.csum_offset = 6; /* UDP's checksum in a TCP frame */
	expect_only(&f, &d, ANOMALY_INNER_CSUM_OUTSIDE);
	cr_assert(anomaly_rule(ANOMALY_INNER_CSUM_OUTSIDE)->csum_related);
	/* The rules that compare csum_start with the outer transport header
	 * stay silent on a tunnel's frame. */
	f.csum_offset = 16;
	cr_assert_eq(check(&f, &d), 0);
}
