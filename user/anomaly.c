// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known-bad offload metadata, as one table. Each rule names where the kernel
 * (or a bug report) says the combination is wrong, so a flagged frame can be
 * argued about with a reference rather than taken on faith.
 *
 * Which hops a rule looks at matters: a done record has no header offsets
 * (mac_len 0, transport_off 0xFFFF, csum fields 0), rx records carry skb->len
 * without the Ethernet header (eth_type_trans pulled it), and a frame at
 * tc-egress has not yet been through validate_xmit_skb(), which may still
 * segment or checksum it in software. Rules say where they make sense.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anomaly.h"

#define HOP(h) (1u << (h))
#define HOPS_TX (HOP(VNO_HOP_TC_EGRESS) | HOP(VNO_HOP_XMIT))
#define HOPS_IN (HOP(VNO_HOP_RX) | HOP(VNO_HOP_TC_INGRESS))
/* Every hop whose record was filled from the skb itself (not done). */
#define HOPS_SKB (HOPS_IN | HOPS_TX | HOP(VNO_HOP_DROP))
/* Hops whose records carry valid header offsets (mac_len, csum_start,
 * transport_off); a drop can happen before the headers are set. */
#define HOPS_HDR (HOPS_IN | HOPS_TX)

/* SKB_GSO_* bits not named in vno.h (include/linux/skbuff.h). Bit 3 was
 * SKB_GSO_TCP_FIXEDID until it moved to bit 30 (6.18); captures from either
 * kernel may hold it. */
#define GSO_TCP_FIXEDID_OLD (1u << 3)
#define GSO_GRE (1u << 6)
#define GSO_GRE_CSUM (1u << 7)
#define GSO_IPXIP4 (1u << 8)
#define GSO_IPXIP6 (1u << 9)
#define GSO_UDP_TUNNEL (1u << 10)
#define GSO_UDP_TUNNEL_CSUM (1u << 11)
#define GSO_PARTIAL (1u << 12)
#define GSO_TUNNEL_REMCSUM (1u << 13)
#define GSO_ESP (1u << 15)
#define GSO_TCP_ACCECN (1u << 19)
#define GSO_TCP_FIXEDID (1u << 30)
#define GSO_TCP_FIXEDID_INNER (1u << 31)

/* Modifier bits: they qualify a segmentation type but are not one. */
#define GSO_MODIFIERS                                                                \
	(VNO_GSO_DODGY | VNO_GSO_TCP_ECN | GSO_TCP_ACCECN | GSO_TCP_FIXEDID_OLD |      \
	 GSO_TCP_FIXEDID | GSO_TCP_FIXEDID_INNER)
/* Encapsulated frames: csum_start/offset and the transport header then
 * refer to different (inner vs outer) headers by design. */
#define GSO_TUNNELS                                                                  \
	(GSO_GRE | GSO_GRE_CSUM | GSO_IPXIP4 | GSO_IPXIP6 | GSO_UDP_TUNNEL |          \
	 GSO_UDP_TUNNEL_CSUM | GSO_PARTIAL | GSO_TUNNEL_REMCSUM | GSO_ESP)
#define GSO_TCP (VNO_GSO_TCPV4 | VNO_GSO_TCPV6)
#define GSO_UDP_ANY (VNO_GSO_UDP | VNO_GSO_UDP_L4)

/* offsetof(struct tcphdr, check) and offsetof(struct udphdr, check). */
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
#define ETH_HLEN 14
#define VLAN_HLEN 4

static bool is_gso(const struct vno_frame *f)
{
	/* skb_is_gso(): the size decides, not the type. */
	return f->gso_size != 0;
}

static bool is_tunnel(const struct vno_frame *f)
{
	return f->gso_type & GSO_TUNNELS;
}

/*
 * xen-netfront's xennet_set_skb_gso() refuses "GSO size must not be zero";
 * virtio_net_hdr_to_skb() only stores a type together with a size that
 * fits ("Too small packets are not really GSO ones"). With size 0,
 * skb_is_gso() is false and the type bits are silently ignored: the frame
 * leaves unsegmented at whatever length it has.
 */
static bool r_gso_type_without_size(const struct vno_frame *f, const struct vno_iface *dev)
{
	/* The host's own TCP stamps sk_gso_type on every skb and leaves
	 * gso_size 0 on single-segment ones (__tcp_transmit_skb): normal.
	 * Only a frame from an untrusted source (SKB_GSO_DODGY, set by
	 * virtio_net_hdr_to_skb for guests) is suspect. */
	return f->gso_size == 0 && (f->gso_type & VNO_GSO_DODGY) &&
	       (f->gso_type & ~GSO_MODIFIERS);
}

/*
 * GSO_BY_FRAGS (0xFFFF) is an in-kernel marker (SCTP, frag_list
 * segmentation, commit 3953c46c3ac7). A guest setting it through
 * virtio_net_hdr crashed skb_segment(); kernels since "net: do not allow
 * gso_size to be set to GSO_BY_FRAGS" (Eric Dumazet, 2023) refuse it in
 * virtio_net_hdr_to_skb(), older ones let it through.
 */
static bool r_gso_by_frags_from_guest(const struct vno_frame *f, const struct vno_iface *dev)
{
	return f->gso_size == VNO_GSO_BY_FRAGS && anomaly_dev_is_tap(dev);
}

/*
 * skb_checksum_help() (net/core/dev.c) warns and fails when
 * csum_start + csum_offset + sizeof(__sum16) is beyond skb_headlen();
 * virtio_net_hdr_to_skb() pulls that far for exactly this reason, and
 * commit 89add40066f9 ("net: drop bad gso csum_start and offset in
 * virtio_net_hdr") exists because segments could still end up there.
 */
static bool r_csum_outside_linear(const struct vno_frame *f, const struct vno_iface *dev)
{
	if (f->ip_summed != VNO_CSUM_PARTIAL || f->mac_len == 0)
		return false;
	return (__u32)f->csum_start + f->csum_offset + 2 > f->mac_len;
}

/*
 * tcp_gso_segment() and __udp_gso_segment() drop a frame whose
 * skb_checksum_start() is not skb_transport_header() (commit 89add40066f9);
 * skb_partial_csum_set() makes them equal for frames from a guest, so a
 * difference means the metadata was changed on the way or is forged.
 * Only GSO frames without encapsulation: for tunnels the two point at
 * inner and outer headers on purpose.
 */
static bool r_csum_start_not_l4(const struct vno_frame *f, const struct vno_iface *dev)
{
	if (f->ip_summed != VNO_CSUM_PARTIAL || !is_gso(f) || is_tunnel(f))
		return false;
	if (f->transport_off == 0xFFFF)
		return false;
	return f->csum_start != f->transport_off;
}

/*
 * virtio_net_hdr_to_skb(): TCP GSO must checksum at offsetof(tcphdr, check)
 * = 16 (commit 89add40066f9), UDP GSO at offsetof(udphdr, check) = 6
 * (commit fc8b2a619469, "net: more strict VIRTIO_NET_HDR_GSO_UDP_L4
 * validation"). A NIC doing TSO writes the checksum where csum_offset says.
 */
static bool r_gso_csum_offset(const struct vno_frame *f, const struct vno_iface *dev)
{
	if (f->ip_summed != VNO_CSUM_PARTIAL || !is_gso(f) || is_tunnel(f))
		return false;
	if (f->gso_type & GSO_TCP)
		return f->csum_offset != TCP_CSUM_OFF;
	if (f->gso_type & GSO_UDP_ANY)
		return f->csum_offset != UDP_CSUM_OFF;
	return false;
}

/*
 * skb_needs_check() (net/core/dev.c, net/core/gso.c): on the TX path a GSO
 * skb must be CHECKSUM_PARTIAL or CHECKSUM_UNNECESSARY, otherwise
 * __skb_gso_segment() ends in skb_warn_bad_offload(); on the RX path
 * (openvswitch, nfqueue) only CHECKSUM_NONE is wrong. A guest sending GSO
 * without VIRTIO_NET_HDR_F_NEEDS_CSUM produces CHECKSUM_NONE.
 */
static bool r_gso_ip_summed(const struct vno_frame *f, const struct vno_iface *dev)
{
	if (!is_gso(f))
		return false;
	if (f->hop == VNO_HOP_RX || f->hop == VNO_HOP_TC_INGRESS || f->hop == VNO_HOP_DROP)
		return f->ip_summed == VNO_CSUM_NONE;
	return f->ip_summed != VNO_CSUM_PARTIAL && f->ip_summed != VNO_CSUM_UNNECESSARY;
}

/*
 * gso_features_check() warns (skb_warn_bad_offload) and falls back to
 * software when a GSO skb has no gso_type: commit 1d155dfdf50e ("net: warn
 * if gso_type isn't set for a GSO SKB"), after an r8169 TX warning
 * (kernel bugzilla 209423). net_gso_ok() alone would have let it reach TSO.
 */
static bool r_gso_size_without_type(const struct vno_frame *f, const struct vno_iface *dev)
{
	return is_gso(f) && !(f->gso_type & ~GSO_MODIFIERS);
}

/*
 * gso_features_check(): gso_segs above dev->gso_max_segs loses TSO and is
 * segmented in software; tso_max_segs is the driver's hardware limit
 * (netif_set_tso_max_segs). Reaching the driver above either means the
 * check was bypassed (or is older than the limit).
 */
static bool r_gso_segs_over_dev(const struct vno_frame *f, const struct vno_iface *dev)
{
	if (!is_gso(f))
		return false;
	if (dev->gso_max_segs && f->gso_segs > dev->gso_max_segs)
		return true;
	return dev->tso_max_segs && f->gso_segs > dev->tso_max_segs;
}

/*
 * gso_features_check(): skb->len >= gso_max_size falls back to software
 * GSO since commit 24ab059d2ebd ("net: check dev->gso_max_size in
 * gso_features_check()"), added because "some drivers could misbehave if
 * TSO packets get too big"; older kernels hand such frames to the NIC.
 * tso_max_size is the hardware's own limit (netif_set_tso_max_size).
 */
static bool r_gso_len_over_dev(const struct vno_frame *f, const struct vno_iface *dev)
{
	if (!is_gso(f))
		return false;
	if (dev->gso_max_size && f->len >= dev->gso_max_size)
		return true;
	return dev->tso_max_size && f->len > dev->tso_max_size;
}

/*
 * i40e_features_check() / ice_features_check(): "We cannot support GSO if
 * the MSS is going to be less than 64 bytes". TCP itself never goes below
 * TCP_MIN_SND_MSS 48 (commit 5f3e2bf008c2, CVE-2019-11479), and
 * qdisc_pkt_len_init() turns a tiny gso_size on a DODGY frame into
 * thousands of segments.
 */
static bool r_gso_size_tiny(const struct vno_frame *f, const struct vno_iface *dev)
{
	return is_gso(f) && f->gso_size != VNO_GSO_BY_FRAGS &&
	       f->gso_size < ANOMALY_MIN_GSO_SIZE;
}

/*
 * is_skb_forwardable() (net/core/dev.c) drops a non-GSO frame longer than
 * mtu + hard_header_len (+ VLAN_HLEN), e.g. in br_dev_queue_push_xmit();
 * a NIC given one may drop it, or worse. VLAN tags in the header add
 * 4 bytes each; a tag in skb->vlan_tci is not counted in skb->len.
 */
static bool r_oversized_non_gso(const struct vno_frame *f, const struct vno_iface *dev)
{
	__u32 limit, tags = 0;

	if (is_gso(f) || !dev->mtu)
		return false;
	if (f->hop == VNO_HOP_RX) {
		/* The record's len counts the Ethernet header at every hop;
		 * network_off may not be set yet at rx, so allow up to two
		 * in-header tags. */
		limit = dev->mtu + ETH_HLEN + 2 * VLAN_HLEN;
	} else {
		if (f->network_off == ETH_HLEN + VLAN_HLEN)
			tags = 1;
		else if (f->network_off == ETH_HLEN + 2 * VLAN_HLEN)
			tags = 2;
		limit = dev->mtu + ETH_HLEN + tags * VLAN_HLEN;
	}
	return f->len > limit;
}

/*
 * validate_xmit_skb() -> skb_csum_hwoffload_help() resolves
 * CHECKSUM_PARTIAL in software when the device lacks NETIF_F_*_CSUM, so
 * the driver should never see one. Only at xmit: at tc-egress that
 * fallback has not run yet, and flagging it there would flag exactly the
 * state `ethtool -K DEV tx off` is meant to produce.
 */
static bool r_csum_partial_no_tx_csum(const struct vno_frame *f, const struct vno_iface *dev)
{
	return f->ip_summed == VNO_CSUM_PARTIAL && dev->offload[VNO_OL_TX_CSUM] == VNO_OFF_OFF;
}

/*
 * SKB_GSO_TCP_ECN (VIRTIO_NET_HDR_GSO_ECN) tells TSO the first segment
 * carries CWR; it means nothing for UDP. virtio_net_hdr_to_skb() rejects it
 * on UDP_L4 since commit fc8b2a619469 ("UDP GSO does not take modifier
 * flags, notably SKB_GSO_TCP_ECN"); older kernels and UFO let it through.
 */
static bool r_ecn_non_tcp_gso(const struct vno_frame *f, const struct vno_iface *dev)
{
	return (f->gso_type & VNO_GSO_TCP_ECN) && !(f->gso_type & GSO_TCP);
}

/* Indexed by id: append only, ids are stored in captures. */
/*
 * Segments longer than the device's MTU: tun accepts any gso_size from a
 * guest (virtio_net_hdr_to_skb() checks only that it is not 0 or
 * GSO_BY_FRAGS), and a NIC doing TSO with an MSS above its MTU sends jumbo
 * segments the link drops, or hangs on them (the e1000e TSO reports). A
 * segment is the L3 header, the L4 header (20 bytes at least) and
 * gso_size bytes.
 */
static const struct tunnel_kind *tunnel_kind(const struct vno_iface *dev);

static bool r_gso_size_over_mtu(const struct vno_frame *f, const struct vno_iface *dev)
{
	__u32 l3l4;

	/* At a tunnel device tunnel_segment_over_mtu says it with the tunnel. */
	if (!is_gso(f) || is_tunnel(f) || !dev->mtu || f->gso_size == VNO_GSO_BY_FRAGS ||
	    !f->ip_ver || tunnel_kind(dev))
		return false;
	if (f->transport_off != 0xFFFF && f->transport_off > f->network_off)
		l3l4 = f->transport_off - f->network_off + 20;
	else
		l3l4 = (f->ip_ver == 6 ? 40 : 20) + 20;
	return f->gso_size + l3l4 > dev->mtu;
}

/*
 * A GSO type that does not match the headers: tcpv4 on IPv6 (or tcpv6 on
 * IPv4), a TCP type on UDP, udp_l4 on TCP. tun accepts them from a guest;
 * the segmentation code then parses the wrong headers (inet_gso_segment /
 * ipv6_gso_segment refuse some, drivers doing TSO are not so careful).
 */
static bool r_gso_type_l3l4_mismatch(const struct vno_frame *f, const struct vno_iface *dev)
{
	__u32 t = f->gso_type;

	if (!is_gso(f) || is_tunnel(f) || !f->ip_ver)
		return false;
	if ((t & VNO_GSO_TCPV4) && f->ip_ver != 4)
		return true;
	if ((t & VNO_GSO_TCPV6) && f->ip_ver != 6)
		return true;
	if ((t & (VNO_GSO_TCPV4 | VNO_GSO_TCPV6)) && f->l4_proto && f->l4_proto != 6)
		return true;
	if ((t & VNO_GSO_UDP_L4) && f->l4_proto && f->l4_proto != 17)
		return true;
	return false;
}

/*
 * Tunnel devices by their link kind (ethtool's driver name is the same for
 * these), with the headers they put in front of a frame: the outer IP
 * header comes on top (20 or 40 bytes). vxlan_config_apply() and
 * geneve_link_config() set the tunnel's MTU to the lower device's less
 * exactly this (VXLAN_HEADROOM 50 / VXLAN6_HEADROOM 70, GENEVE_IPV4_HLEN +
 * GENEVE_BASE_HLEN); ip_tunnel_bind_dev() does the same for GRE (t_hlen
 * plus the 14 bytes of Ethernet for gretap).
 */
static const struct tunnel_kind {
	const char *driver, *name;
	__u32 over_ip;	/* bytes after the outer IP header, up to the carried L3 */
	__u8 ip6;	/* the outer header is IPv6 by kind (ip6gre…), else by MTU */
	/* Checks GSO segments against the path before encapsulating and, for
	 * a bridged frame, answers with ICMP: vxlan_xmit_one() and
	 * geneve_xmit_skb() call skb_tunnel_check_pmtu() with reply =
	 * netif_is_any_bridge_port(dev). bareudp passes reply = false; GRE's
	 * tnl_update_pmtu() (net/ipv4/ip_tunnel.c) skips GSO skbs. */
	__u8 pmtud_reply;
} tunnel_kinds[] = {
	{ "vxlan", "VXLAN", 8 + 8 + ETH_HLEN, 0, 1 },
	{ "geneve", "Geneve", 8 + 8 + ETH_HLEN, 0, 1 },
	{ "gretap", "GRETAP", 4 + ETH_HLEN, 0, 0 },
	{ "ip6gretap", "GRETAP", 4 + ETH_HLEN, 1, 0 },
	{ "gre", "GRE", 4, 0, 0 },
	{ "ip6gre", "GRE", 4, 1, 0 },
	{ "bareudp", "bareudp", 8, 0, 0 },
};

/* The frame's IP version: decoded from its bytes, or from skb->protocol
 * (a flight-recorder record has no bytes). */
static int ip_version(const struct vno_frame *f)
{
	if (f->ip_ver)
		return f->ip_ver;
	return f->l3_proto == 0x0800 ? 4 : f->l3_proto == 0x86DD ? 6 : 0;
}

/* Asked two or three times for every frame: the first letter tells most
 * drivers apart without a call (callgrind on pipeline_bench: strcmp here
 * was ~390 instructions a record). */
static const struct tunnel_kind *tunnel_kind(const struct vno_iface *dev)
{
	for (size_t i = 0; dev && i < sizeof(tunnel_kinds) / sizeof(tunnel_kinds[0]); i++)
		if (dev->driver[0] == tunnel_kinds[i].driver[0] &&
		    !strcmp(dev->driver, tunnel_kinds[i].driver))
			return &tunnel_kinds[i];
	return NULL;
}

/* The encapsulation the underlay's frame carries, from the record alone:
 * the skb's inner headers (VNO_E_SKB). */
static bool encapsulated(const struct vno_frame *f)
{
	return (f->encap & VNO_E_SKB) && f->inner_transport_off > f->inner_network_off &&
	       f->inner_network_off > f->network_off;
}

bool anomaly_tunnel_fit(const struct vno_frame *f, const struct vno_iface *dev,
			struct anomaly_tunnel_fit *fit)
{
	const struct tunnel_kind *k = tunnel_kind(dev);
	__u32 l3l4;

	memset(fit, 0, sizeof(*fit));
	if (!dev || !dev->mtu || !is_gso(f) || f->gso_size == VNO_GSO_BY_FRAGS)
		return false;
	if (encapsulated(f)) {
		/* On the underlay: outer headers up to the inner L3 are the
		 * tunnel's; a segment is the inner L3 and L4 headers (TCP's 20
		 * counted, as tcp_gso_segment makes them) and gso_size. */
		fit->encapsulated = true;
		fit->headers = f->inner_transport_off - f->inner_network_off + 20;
		fit->overhead = f->inner_network_off - f->network_off;
		snprintf(fit->tunnel, sizeof(fit->tunnel), "%s",
			 (f->gso_type & (GSO_UDP_TUNNEL | GSO_UDP_TUNNEL_CSUM)) ? "a UDP tunnel"
			 : (f->gso_type & (GSO_GRE | GSO_GRE_CSUM))		  ? "GRE"
										  : "the tunnel");
		fit->mtu = dev->mtu > fit->overhead ? dev->mtu - fit->overhead : 0;
	} else if (k && ip_version(f) && !is_tunnel(f)) {
		/* At the tunnel device, before vxlan_xmit_one() and its kin add
		 * the outer headers and check the segments against the path
		 * (skb_tunnel_check_pmtu: skb_gso_validate_network_len against
		 * dst_mtu - headroom). */
		if (f->transport_off != 0xFFFF && f->transport_off > f->network_off)
			l3l4 = f->transport_off - f->network_off + 20;
		else
			l3l4 = (ip_version(f) == 6 ? 40 : 20) + 20;
		fit->headers = l3l4;
		fit->overhead = k->over_ip + (k->ip6 ? 40 : 20);
		snprintf(fit->tunnel, sizeof(fit->tunnel), "%s over IPv%d", k->name, k->ip6 ? 6 : 4);
		fit->mtu = dev->mtu;
		/* Refused rather than passed on to be fragmented: a bridged
		 * frame (dev->master; a bond of tunnels is not a thing) for
		 * which iptunnel_pmtud_check_icmp() (IPv4: frag_off exactly
		 * DF, which a GSO frame with DF is, and mtu >= 576) or
		 * iptunnel_pmtud_check_icmpv6() (mtu >= IPV6_MIN_MTU) builds
		 * the answer (net/ipv4/ip_tunnel_core.c). */
		if (k->pmtud_reply && dev->master) {
			if (ip_version(f) == 6 && fit->mtu >= 1280)
				fit->refused_ip = 6;
			else if (ip_version(f) == 4 && (f->encap & VNO_E_IP_DF) && fit->mtu >= 576)
				fit->refused_ip = 4;
		}
	} else {
		return false;
	}
	fit->gso_size = f->gso_size;
	fit->segment = f->gso_size + fit->headers;
	return true;
}

size_t anomaly_tunnel_fit_str(const struct anomaly_tunnel_fit *fit, const char *dev, char *buf,
			      size_t len)
{
	int n;

	if (fit->encapsulated)
		n = snprintf(buf, len,
			     "segments of %u B (gso_size %u + %u B of inner headers) > %u, what %s "
			     "leaves of %s's MTU %u (it adds %u B)",
			     fit->segment, fit->gso_size, fit->headers, fit->mtu, fit->tunnel, dev,
			     fit->mtu + fit->overhead, fit->overhead);
	else
		n = snprintf(buf, len,
			     "segments of %u B (gso_size %u + %u B of headers) > MTU %u of %s "
			     "(%s adds %u B: they need %u on the underlay)",
			     fit->segment, fit->gso_size, fit->headers, fit->mtu, dev, fit->tunnel,
			     fit->overhead, fit->segment + fit->overhead);
	if (n >= 0 && (size_t)n < len && fit->refused_ip) {
		int k = fit->refused_ip == 6
				? snprintf(buf + n, len - n, "; IPv6 is not fragmented on the way: "
							     "answered with ICMPv6 \"packet too big\" "
							     "(MTU %u)", fit->mtu)
				: snprintf(buf + n, len - n, "; DF set: answered with ICMP "
							     "\"fragmentation needed\" (MTU %u), "
							     "not fragmented", fit->mtu);
		n = k < 0 ? n : n + k;
	}
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}

/*
 * Segments that will not fit once encapsulated. At the tunnel device the
 * segments of a guest's super-frame grow by the tunnel's headers;
 * vxlan_xmit_one() (drivers/net/vxlan/vxlan_core.c) and geneve_xmit_skb()
 * call skb_tunnel_check_pmtu() (net/ipv4/ip_tunnel_core.c), which lets a
 * GSO skb through unchecked only when skb_gso_validate_network_len(skb,
 * dst_mtu - headroom) holds. Without DF (and not bridged, or a GRE kind)
 * the frame goes on: the underlay's ip_finish_output_gso() segments it and
 * ip_fragment() cuts every outer packet in two, or the link drops what
 * tunnel GSO makes of it. On the underlay, an encapsulated frame whose
 * segments plus the tunnel's headers exceed its MTU is segmented by
 * skb_udp_tunnel_segment() into frames too long for the link. The tunnel
 * device's MTU is the underlay's less the headers (vxlan_config_apply), so
 * both say the same number. Where the kernel will answer with ICMP instead
 * (DF set), df_segment_over_path_mtu says it and this rule stays silent:
 * one cause, one name.
 */
static bool r_tunnel_segment_over_mtu(const struct vno_frame *f, const struct vno_iface *dev)
{
	struct anomaly_tunnel_fit fit;

	return anomaly_tunnel_fit(f, dev, &fit) && fit.segment > fit.mtu && !fit.refused_ip;
}

/*
 * DF set with segments over the path MTU: the frame is not fragmented but
 * answered. At a bridged VXLAN or Geneve device, skb_tunnel_check_pmtu()
 * (net/ipv4/ip_tunnel_core.c) finds skb_gso_validate_network_len(skb,
 * dst_mtu - headroom) false and, with reply set, iptunnel_pmtud_check_icmp()
 * (IPv4 whose frag_off is exactly DF, path MTU >= 576) or
 * iptunnel_pmtud_check_icmpv6() (IPv6, never fragmented by routers: path
 * MTU >= 1280) rebuilds the skb in place as ICMP "fragmentation needed" /
 * ICMPv6 "packet too big" carrying the MTU, and the tunnel hands it back
 * through the bridge to the sender: none of the super-frame's data leaves.
 * A guest that honours it lowers its MSS; one that does not (its MTU set
 * above the path's, or PMTU discovery blocked) retransmits into the same
 * answer. Known only from the bytes for IPv4 (a flight-recorder record has
 * none: tunnel_segment_over_mtu then says it without the DF clause).
 */
static bool r_df_segment_over_path_mtu(const struct vno_frame *f, const struct vno_iface *dev)
{
	struct anomaly_tunnel_fit fit;

	return anomaly_tunnel_fit(f, dev, &fit) && fit.segment > fit.mtu && fit.refused_ip;
}

/*
 * Tunnel GSO handed to a device without the matching segmentation feature:
 * netif_skb_features() / gso_features_check() and net_gso_ok() compare the
 * skb's SKB_GSO_UDP_TUNNEL(_CSUM) bits with NETIF_F_GSO_UDP_TUNNEL(_CSUM)
 * (tx-udp_tnl-segmentation, tx-udp_tnl-csum-segmentation); when the device
 * lacks them validate_xmit_skb() segments in software
 * (skb_udp_tunnel_segment, then tcp_gso_segment per inner frame): every
 * segment's headers built and checksummed by the CPU.
 */
static bool r_tunnel_gso_software(const struct vno_frame *f, const struct vno_iface *dev)
{
	if (!is_gso(f))
		return false;
	if (f->gso_type & GSO_UDP_TUNNEL_CSUM)
		return dev->offload[VNO_OL_UDP_TNL_CSUM] == VNO_OFF_OFF;
	if (f->gso_type & GSO_UDP_TUNNEL)
		return dev->offload[VNO_OL_UDP_TNL] == VNO_OFF_OFF;
	return false;
}

/*
 * A tunnel's GSO frame checksums the inner transport header: the tunnel
 * driver's iptunnel_handle_offloads() keeps CHECKSUM_PARTIAL with
 * csum_start at the inner L4 header (lco_csum() computes the outer UDP
 * checksum from it), and __skb_udp_tunnel_segment() hands the inner frame
 * to tcp_gso_segment(), which refuses skb_checksum_start() !=
 * skb_transport_header() (commit 89add40066f9). A csum_start anywhere else
 * points outside the inner headers (into the outer ones, or the payload).
 */
static bool r_inner_csum_outside(const struct vno_frame *f, const struct vno_iface *dev)
{
	(void)dev;
	if (f->ip_summed != VNO_CSUM_PARTIAL || !is_gso(f) || !encapsulated(f))
		return false;
	if (f->csum_start != f->inner_transport_off)
		return true;
	if (f->gso_type & GSO_TCP)
		return f->csum_offset != TCP_CSUM_OFF;
	if (f->gso_type & VNO_GSO_UDP_L4)
		return f->csum_offset != UDP_CSUM_OFF;
	return false;
}

static const struct anomaly_rule rules[] = {
	[ANOMALY_GSO_TYPE_WITHOUT_SIZE] = {
		.id = ANOMALY_GSO_TYPE_WITHOUT_SIZE,
		.name = "gso_type_without_size",
		.desc = "gso_type set but gso_size 0: the type is ignored, the frame leaves unsegmented",
		.hops = HOPS_SKB,
		.check = r_gso_type_without_size,
	},
	[ANOMALY_GSO_BY_FRAGS_FROM_GUEST] = {
		.id = ANOMALY_GSO_BY_FRAGS_FROM_GUEST,
		.name = "gso_by_frags_from_guest",
		.desc = "gso_size 0xFFFF (GSO_BY_FRAGS, kernel-internal) arriving from a guest tap",
		.hops = HOPS_IN,
		.needs_dev = true,
		.check = r_gso_by_frags_from_guest,
	},
	[ANOMALY_CSUM_OUTSIDE_LINEAR] = {
		.id = ANOMALY_CSUM_OUTSIDE_LINEAR,
		.name = "csum_outside_linear",
		.desc = "csum_start + csum_offset + 2 beyond the linear header",
		.hops = HOPS_HDR,
		.csum_related = true,
		.check = r_csum_outside_linear,
	},
	[ANOMALY_CSUM_START_NOT_L4] = {
		.id = ANOMALY_CSUM_START_NOT_L4,
		.name = "csum_start_not_transport",
		.desc = "GSO frame whose csum_start is not the transport header",
		.hops = HOPS_HDR,
		.csum_related = true,
		.check = r_csum_start_not_l4,
	},
	[ANOMALY_GSO_CSUM_OFFSET] = {
		.id = ANOMALY_GSO_CSUM_OFFSET,
		.name = "gso_csum_offset",
		.desc = "TCP GSO with csum_offset != 16 or UDP GSO with csum_offset != 6",
		.hops = HOPS_HDR,
		.csum_related = true,
		.check = r_gso_csum_offset,
	},
	[ANOMALY_GSO_IP_SUMMED] = {
		.id = ANOMALY_GSO_IP_SUMMED,
		.name = "gso_bad_ip_summed",
		.desc = "GSO frame neither checksum-partial nor unnecessary (skb_warn_bad_offload)",
		.hops = HOPS_SKB,
		.csum_related = true,
		.check = r_gso_ip_summed,
	},
	[ANOMALY_GSO_SIZE_WITHOUT_TYPE] = {
		.id = ANOMALY_GSO_SIZE_WITHOUT_TYPE,
		.name = "gso_size_without_type",
		.desc = "gso_size set without a segmentation type",
		.hops = HOPS_SKB,
		.check = r_gso_size_without_type,
	},
	[ANOMALY_GSO_SEGS_OVER_DEV] = {
		.id = ANOMALY_GSO_SEGS_OVER_DEV,
		.name = "gso_segs_over_dev_max",
		.desc = "gso_segs above the device's gso_max_segs / tso_max_segs",
		.hops = HOPS_TX,
		.needs_dev = true,
		.check = r_gso_segs_over_dev,
	},
	[ANOMALY_GSO_LEN_OVER_DEV] = {
		.id = ANOMALY_GSO_LEN_OVER_DEV,
		.name = "gso_len_over_dev_max",
		.desc = "GSO frame length at or above the device's gso_max_size / tso_max_size",
		.hops = HOPS_TX,
		.needs_dev = true,
		.check = r_gso_len_over_dev,
	},
	[ANOMALY_GSO_SIZE_TINY] = {
		.id = ANOMALY_GSO_SIZE_TINY,
		.name = "gso_size_tiny",
		.desc = "gso_size below 64 bytes",
		.hops = HOPS_SKB,
		.check = r_gso_size_tiny,
	},
	[ANOMALY_OVERSIZED_NON_GSO] = {
		.id = ANOMALY_OVERSIZED_NON_GSO,
		.name = "oversized_non_gso",
		.desc = "frame without GSO longer than the MTU plus link header",
		.hops = HOPS_HDR,
		.needs_dev = true,
		.check = r_oversized_non_gso,
	},
	[ANOMALY_CSUM_PARTIAL_NO_TX_CSUM] = {
		.id = ANOMALY_CSUM_PARTIAL_NO_TX_CSUM,
		.name = "csum_partial_no_tx_csum",
		.desc = "checksum-partial frame handed to a driver with tx checksumming off",
		.hops = HOP(VNO_HOP_XMIT),
		.needs_dev = true,
		.csum_related = true,
		.check = r_csum_partial_no_tx_csum,
	},
	[ANOMALY_ECN_NON_TCP_GSO] = {
		.id = ANOMALY_ECN_NON_TCP_GSO,
		.name = "ecn_on_non_tcp_gso",
		.desc = "SKB_GSO_TCP_ECN on a frame whose GSO type is not TCP",
		.hops = HOPS_SKB,
		.check = r_ecn_non_tcp_gso,
	},
	[ANOMALY_GSO_SIZE_OVER_MTU] = {
		.id = ANOMALY_GSO_SIZE_OVER_MTU,
		.name = "gso_size_over_mtu",
		.desc = "gso_size plus headers longer than the device MTU: jumbo segments",
		.hops = HOPS_HDR,
		.needs_dev = true,
		.check = r_gso_size_over_mtu,
	},
	[ANOMALY_GSO_TYPE_L3L4_MISMATCH] = {
		.id = ANOMALY_GSO_TYPE_L3L4_MISMATCH,
		.name = "gso_type_l3l4_mismatch",
		.desc = "GSO type not matching the headers (tcpv4 on IPv6, TCP type on UDP, ...)",
		.hops = HOPS_HDR,
		.check = r_gso_type_l3l4_mismatch,
	},
	[ANOMALY_TUNNEL_SEGMENT_OVER_MTU] = {
		.id = ANOMALY_TUNNEL_SEGMENT_OVER_MTU,
		.name = "tunnel_segment_over_mtu",
		.desc = "GSO segments that will not fit once encapsulated: gso_size + inner headers "
			"+ tunnel headers over the MTU of the device that sends them",
		.hops = HOPS_TX,
		.needs_dev = true,
		.check = r_tunnel_segment_over_mtu,
	},
	[ANOMALY_TUNNEL_GSO_SOFTWARE] = {
		.id = ANOMALY_TUNNEL_GSO_SOFTWARE,
		.name = "tunnel_gso_software",
		.desc = "UDP tunnel GSO handed to a device without tx-udp_tnl-(csum-)segmentation: "
			"segmented in software",
		.hops = HOP(VNO_HOP_XMIT),
		.needs_dev = true,
		.check = r_tunnel_gso_software,
	},
	[ANOMALY_INNER_CSUM_OUTSIDE] = {
		.id = ANOMALY_INNER_CSUM_OUTSIDE,
		.name = "inner_csum_outside",
		.desc = "encapsulated GSO frame whose checksum offsets are not the inner transport "
			"header's",
		.hops = HOPS_HDR,
		.csum_related = true,
		.check = r_inner_csum_outside,
	},
	[ANOMALY_DF_SEGMENT_OVER_PATH_MTU] = {
		.id = ANOMALY_DF_SEGMENT_OVER_PATH_MTU,
		.name = "df_segment_over_path_mtu",
		.desc = "DF set (or IPv6) with GSO segments over the path MTU at a bridged VXLAN or "
			"Geneve device: answered with ICMP \"too big\", not fragmented",
		.hops = HOPS_TX,
		.needs_dev = true,
		.check = r_df_segment_over_path_mtu,
	},
};

_Static_assert(sizeof(rules) / sizeof(rules[0]) == ANOMALY__MAX, "one rule per id");

bool anomaly_dev_is_tap(const struct vno_iface *dev)
{
	/* ethtool -i reports "tun" for both tun and tap devices; macvtap and
	 * ipvtap carry guest frames the same way. */
	static const char *const drivers[] = { "tun", "tap", "macvtap", "ipvtap" };
	size_t i;

	if (!dev)
		return false;
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strcmp(dev->driver, drivers[i]))
			return true;
	return false;
}

int anomaly_check(const struct vno_frame *f, const struct vno_iface *dev, __u64 *mask)
{
	__u64 m = 0;
	int n = 0;
	unsigned i;

	if (mask)
		*mask = 0;
	if (!f || f->hop >= VNO_HOP__MAX)
		return 0;
	for (i = 0; i < ANOMALY__MAX; i++) {
		const struct anomaly_rule *r = &rules[i];

		if (!(r->hops & HOP(f->hop)))
			continue;
		if (r->needs_dev && !dev)
			continue;
		if (r->check(f, dev)) {
			m |= 1ull << r->id;
			n++;
		}
	}
	if (mask)
		*mask = m;
	return n;
}

int anomaly_mark(struct vno_frame *f, const struct vno_iface *dev, __u64 *mask)
{
	__u64 m;
	int n;

	if (!f)
		return 0;
	n = anomaly_check(f, dev, &m);
	if (n) {
		f->flags |= VNO_F_ANOMALY;
		f->anomaly = (__u8)(__builtin_ctzll(m) + 1);
	} else {
		f->flags &= ~VNO_F_ANOMALY;
		f->anomaly = 0;
	}
	if (mask)
		*mask = m;
	return n;
}

const struct anomaly_rule *anomaly_rule(unsigned id)
{
	return id < ANOMALY__MAX ? &rules[id] : NULL;
}

unsigned anomaly_count(void)
{
	return ANOMALY__MAX;
}

const char *anomaly_name(unsigned id)
{
	return id < ANOMALY__MAX ? rules[id].name : "?";
}

int anomaly_parse(const char *name)
{
	unsigned i;

	if (!name)
		return -1;
	for (i = 0; i < ANOMALY__MAX; i++)
		if (!strcmp(rules[i].name, name))
			return (int)i;
	return -1;
}
