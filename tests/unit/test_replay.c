// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * replay_build(): a record back into virtio_net_hdr + frame. Checksums are
 * verified here with a sum of the test's own (RFC 1071, byte by byte), not
 * with the code under test.
 */
#include <errno.h>
#include <criterion/criterion.h>
#include "frames.h"
#include "replay.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

static struct replay_out out;

static unsigned csum_fold(const unsigned char *p, size_t n, unsigned long s)
{
	for (size_t i = 0; i < n; i++)
		s += i & 1 ? p[i] : (unsigned)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (unsigned)s;
}

static unsigned rd16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The IPv4 pseudo-header sum of the frame's addresses, @proto, @l4len. */
static unsigned long pseudo4(const unsigned char *ip, unsigned proto, size_t l4len)
{
	return csum_fold(ip + 12, 8, 0) + proto + l4len;
}

/* A guest's TSO frame as recorded at the tap's rx hop: 14 + 20 + 20 bytes
 * of headers captured, 10 segments of 1448 in the record's length. */
static void tso4(struct vno_event *ev)
{
	size_t ip, tcp;

	fr_init(ev);
	fr_eth(ev, FR_ETH_IP);
	ip = fr_ipv4(ev, "192.0.2.1", "192.0.2.2", 6);
	tcp = fr_tcp(ev, 41001, 5002, 1, FR_TCP_ACK);
	ev->f.len = 54 + 14480;
	fr_wr16(ev->data + ip + 2, 40 + 14480);
	fr_wr16(ev->data + ip + 10, 0);
	fr_wr16(ev->data + ip + 10, ~csum_fold(ev->data + ip, 20, 0) & 0xffff);
	/* What the guest's stack leaves for the device: the pseudo sum. */
	fr_wr16(ev->data + tcp + 16, csum_fold(NULL, 0, pseudo4(ev->data + ip, 6, 20 + 14480)));
	ev->f.hop = VNO_HOP_RX;
	ev->f.gso_size = 1448;
	ev->f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY;
	ev->f.ip_summed = VNO_CSUM_PARTIAL;
	ev->f.csum_start = 34;
	ev->f.csum_offset = 16;
}

Test(replay, tso_header_from_the_record)
{
	struct vno_event ev;

	tso4(&ev);
	cr_assert_eq(replay_build(&ev, NULL, &out), 0);
	cr_assert_eq(out.vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	cr_assert_eq(out.vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	cr_assert_eq(out.vh.gso_size, 1448);
	cr_assert_eq(out.vh.csum_start, 34);
	cr_assert_eq(out.vh.csum_offset, 16);
	cr_assert_eq(out.vh.hdr_len, 54);
	cr_assert_eq(out.len, ev.f.len);
	/* The captured bytes as they were, the rest zeros, said. */
	cr_assert_eq(memcmp(out.frame, ev.data, ev.f.cap_len), 0);
	for (size_t i = ev.f.cap_len; i < out.len; i++)
		cr_assert_eq(out.frame[i], 0, "payload byte %zu", i);
	cr_assert(out.what & REPLAY_SYNTH);
	cr_assert_not(out.what & (REPLAY_IP_LEN | REPLAY_IP_CSUM | REPLAY_L4_CSUM | REPLAY_REWROTE));
}

Test(replay, gso_types_as_virtio_names_them)
{
	cr_assert_eq(replay_vnet_gso_type(VNO_GSO_TCPV6 | VNO_GSO_DODGY, 1428),
		     VIRTIO_NET_HDR_GSO_TCPV6);
	cr_assert_eq(replay_vnet_gso_type(VNO_GSO_UDP_L4, 1200), VIRTIO_NET_HDR_GSO_UDP_L4);
	cr_assert_eq(replay_vnet_gso_type(VNO_GSO_UDP, 1200), VIRTIO_NET_HDR_GSO_UDP);
	cr_assert_eq(replay_vnet_gso_type(VNO_GSO_TCPV4 | VNO_GSO_TCP_ECN, 1448),
		     VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
	/* No size, no segmentation: the type alone asks for nothing. */
	cr_assert_eq(replay_vnet_gso_type(VNO_GSO_TCPV4, 0), VIRTIO_NET_HDR_GSO_NONE);
}

Test(replay, rewritten_addresses_keep_checksums)
{
	struct replay_rewrite rw = {};
	struct vno_event ev;
	char err[256];
	const unsigned char *ip, *tcp;

	tso4(&ev);
	cr_assert_eq(replay_rewrite_ip(&rw, "192.0.2.1=198.51.100.7", err, sizeof(err)), 0);
	cr_assert_eq(replay_rewrite_mac(&rw, "02:00:00:00:00:02=02:00:5e:00:53:99", err,
					sizeof(err)), 0);
	cr_assert_eq(replay_build(&ev, &rw, &out), 0);
	ip = out.frame + 14;
	tcp = ip + 20;
	cr_assert(out.what & REPLAY_REWROTE);
	cr_assert_eq(memcmp(out.frame, "\x02\x00\x5e\x00\x53\x99", 6), 0, "dst MAC rewritten");
	cr_assert_eq(memcmp(ip + 12, "\xc6\x33\x64\x07", 4), 0, "source address rewritten");
	cr_assert_eq(memcmp(ip + 16, "\xc0\x00\x02\x02", 4), 0, "destination kept");
	cr_assert_eq(csum_fold(ip, 20, 0), 0xffff, "IPv4 header checksum valid");
	/* The partial checksum field: the new pseudo-header sum. */
	cr_assert_eq(rd16(tcp + 16), csum_fold(NULL, 0, pseudo4(ip, 6, 20 + 14480)));
}

Test(replay, full_checksum_over_the_synthesized_payload)
{
	struct replay_rewrite rw = {};
	struct vno_event ev;
	const unsigned char *ip;
	char err[256];
	size_t ipo;

	fr_init(&ev);
	fr_eth(&ev, FR_ETH_IP);
	ipo = fr_ipv4(&ev, "192.0.2.1", "192.0.2.2", 17);
	fr_udp(&ev, 5000, 5001);
	ev.f.len = 14 + 20 + 8 + 300;
	fr_wr16(ev.data + ipo + 2, 20 + 8 + 300);
	fr_wr16(ev.data + ipo + 10, ~csum_fold(ev.data + ipo, 20, 0) & 0xffff);
	fr_wr16(ev.data + ipo + 20 + 4, 8 + 300);
	fr_wr16(ev.data + ipo + 20 + 6, 0x1234);	/* over a payload not kept */
	ev.f.ip_summed = VNO_CSUM_NONE;
	cr_assert_eq(replay_rewrite_ip(&rw, "192.0.2.2=198.51.100.2", err, sizeof(err)), 0);
	cr_assert_eq(replay_build(&ev, &rw, &out), 0);
	ip = out.frame + 14;
	cr_assert(out.what & REPLAY_L4_CSUM);
	cr_assert_eq(out.vh.flags, 0);
	cr_assert_eq(out.vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	cr_assert_eq(csum_fold(ip, 20, 0), 0xffff);
	cr_assert_eq(csum_fold(ip + 20, 8 + 300, pseudo4(ip, 17, 8 + 300)), 0xffff,
		     "UDP checksum valid over the frame as written");
}

Test(replay, ip_length_mended_only_when_a_bridge_would_refuse_it)
{
	struct vno_event ev;

	tso4(&ev);
	/* tot_len past the frame: br_validate_ipv4() drops it. */
	fr_wr16(ev.data + 14 + 2, 60000);
	fr_wr16(ev.data + 14 + 10, 0);
	fr_wr16(ev.data + 14 + 10, ~csum_fold(ev.data + 14, 20, 0) & 0xffff);
	ev.f.len = 14 + 20 + 20 + 1000;
	cr_assert_eq(replay_build(&ev, NULL, &out), 0);
	cr_assert(out.what & REPLAY_IP_LEN);
	cr_assert_eq(rd16(out.frame + 14 + 2), 20 + 20 + 1000);
	cr_assert_eq(csum_fold(out.frame + 14, 20, 0), 0xffff);

	/* A header checksum wrong as recorded stays wrong: it is evidence. */
	tso4(&ev);
	fr_wr16(ev.data + 14 + 10, 0xdead);
	cr_assert_eq(replay_build(&ev, NULL, &out), 0);
	cr_assert_eq(rd16(out.frame + 14 + 10), 0xdead);
	cr_assert_not(out.what & (REPLAY_IP_LEN | REPLAY_IP_CSUM));
}

Test(replay, vlan_tag_out_of_band_put_back)
{
	struct vno_event ev;

	tso4(&ev);
	ev.f.flags |= VNO_F_VLAN_HW;
	ev.f.vlan_tci = 100;
	ev.f.vlan_proto = FR_ETH_8021Q;
	cr_assert_eq(replay_build(&ev, NULL, &out), 0);
	cr_assert(out.what & REPLAY_VLAN);
	cr_assert_eq(out.len, ev.f.len + 4);
	cr_assert_eq(rd16(out.frame + 12), FR_ETH_8021Q);
	cr_assert_eq(rd16(out.frame + 14), 100);
	cr_assert_eq(rd16(out.frame + 16), FR_ETH_IP);
	cr_assert_eq(out.vh.csum_start, 38);
	cr_assert_eq(out.vh.hdr_len, 58);
}

Test(replay, records_that_cannot_be_frames)
{
	struct vno_event ev;

	fr_init(&ev);
	ev.f.len = 100;
	cr_assert_eq(replay_build(&ev, NULL, &out), -EINVAL, "no header bytes");
	tso4(&ev);
	ev.f.len = 0;
	cr_assert_eq(replay_build(&ev, NULL, &out), -EINVAL, "no length");
	tso4(&ev);
	ev.f.len = REPLAY_FRAME_MAX + 1;
	cr_assert_eq(replay_build(&ev, NULL, &out), -EINVAL, "longer than a tap write");
}

Test(replay, rewrite_arguments)
{
	struct replay_rewrite rw = {};
	char err[256];

	cr_assert_eq(replay_rewrite_mac(&rw, "02:00:00:00:00:01", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "OLD=NEW"));
	cr_assert_eq(replay_rewrite_mac(&rw, "02:00:00:00:00:01=zz", err, sizeof(err)), -EINVAL);
	cr_assert_eq(replay_rewrite_ip(&rw, "192.0.2.1=2001:db8::1", err, sizeof(err)), -EINVAL,
		     "two families");
	cr_assert_eq(replay_rewrite_ip(&rw, "2001:db8::1=2001:db8::5", err, sizeof(err)), 0);
	cr_assert_eq(rw.ip[0].ver, 6);
	for (int i = 1; i < REPLAY_REWRITE_MAX; i++)
		cr_assert_eq(replay_rewrite_ip(&rw, "192.0.2.1=192.0.2.9", err, sizeof(err)), 0);
	cr_assert_eq(replay_rewrite_ip(&rw, "192.0.2.1=192.0.2.9", err, sizeof(err)), -E2BIG);
}
