// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A recorded frame rebuilt as its guest wrote it into the tap (replay.h).
 *
 * The Internet checksum and the few header fields below are written here
 * rather than taken from a library: libpcap and libnet either do not build
 * frames or would pull a packet-crafting stack into the tool for forty
 * lines of RFC 1071 / RFC 1624 arithmetic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "replay.h"

/* virtio spec 1.2, 5.1.6 "Device Operation": UDP_L4 segmentation; Debian's
 * 6.1 uapi headers lack it. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

#define ETH_HLEN_ 14
#define ETH_P_IP_ 0x0800
#define ETH_P_IPV6_ 0x86DD
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* RFC 1071: the one's complement sum, not yet folded. */
static unsigned long sum16(const unsigned char *p, size_t len, unsigned long sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (unsigned)p[0] << 8;
	return sum;
}

static unsigned fold(unsigned long sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned)sum;
}

/* RFC 1624 eqn. 3: a 16-bit field holding a checksum, after @n bytes of
 * the covered data changed from @old to @new. A checksum-partial frame's
 * L4 field holds the pseudo-header sum uncomplemented (the guest's stack
 * leaves ~csum_tcpudp_magic() there for the device to finish), so it moves
 * the other way. */
static void csum_replace(unsigned char *field, const unsigned char *old, const unsigned char *new,
			 size_t n, bool complemented)
{
	unsigned long sum = complemented ? (~get16(field) & 0xffff) : get16(field);
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		sum += ~get16(old + i) & 0xffff;
		sum += get16(new + i);
	}
	sum = fold(sum);
	put16(field, complemented ? (~sum & 0xffff) : sum);
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned v[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (unsigned char)v[i];
	return 0;
}

/* "OLD=NEW" split at '=' into two strings of at most @len - 1 bytes. */
static int split_pair(const char *arg, char *a, char *b, size_t len)
{
	const char *eq = strchr(arg, '=');

	if (!eq || (size_t)(eq - arg) >= len || strlen(eq + 1) >= len)
		return -EINVAL;
	memcpy(a, arg, (size_t)(eq - arg));
	a[eq - arg] = '\0';
	strcpy(b, eq + 1);
	return 0;
}

int replay_rewrite_mac(struct replay_rewrite *rw, const char *arg, char *err, size_t errlen)
{
	char a[32], b[32];

	if (rw->n_mac >= REPLAY_REWRITE_MAX) {
		snprintf(err, errlen, "--rewrite-mac: at most %d of them", REPLAY_REWRITE_MAX);
		return -E2BIG;
	}
	if (split_pair(arg, a, b, sizeof(a)) || parse_mac(a, rw->mac[rw->n_mac].from) ||
	    parse_mac(b, rw->mac[rw->n_mac].to)) {
		snprintf(err, errlen, "--rewrite-mac %.64s: must be OLD=NEW, two MAC addresses "
			 "(02:00:5e:00:53:01=02:00:5e:00:53:99)", arg);
		return -EINVAL;
	}
	rw->n_mac++;
	return 0;
}

int replay_rewrite_ip(struct replay_rewrite *rw, const char *arg, char *err, size_t errlen)
{
	char a[64], b[64];
	int ver;

	if (rw->n_ip >= REPLAY_REWRITE_MAX) {
		snprintf(err, errlen, "--rewrite-ip: at most %d of them", REPLAY_REWRITE_MAX);
		return -E2BIG;
	}
	if (split_pair(arg, a, b, sizeof(a)))
		goto bad;
	ver = strchr(a, ':') ? 6 : 4;
	if (inet_pton(ver == 6 ? AF_INET6 : AF_INET, a, rw->ip[rw->n_ip].from) != 1 ||
	    inet_pton(ver == 6 ? AF_INET6 : AF_INET, b, rw->ip[rw->n_ip].to) != 1)
		goto bad;
	rw->ip[rw->n_ip].ver = ver;
	rw->n_ip++;
	return 0;
bad:
	snprintf(err, errlen, "--rewrite-ip %.64s: must be OLD=NEW, two addresses of one family "
		 "(192.0.2.1=198.51.100.1, 2001:db8::1=2001:db8::5)", arg);
	return -EINVAL;
}

unsigned char replay_vnet_gso_type(__u32 gso_type, __u16 gso_size)
{
	unsigned char t;

	if (!gso_size)
		return VIRTIO_NET_HDR_GSO_NONE;
	if (gso_type & VNO_GSO_TCPV4)
		t = VIRTIO_NET_HDR_GSO_TCPV4;
	else if (gso_type & VNO_GSO_TCPV6)
		t = VIRTIO_NET_HDR_GSO_TCPV6;
	else if (gso_type & VNO_GSO_UDP_L4)
		t = VIRTIO_NET_HDR_GSO_UDP_L4;
	else if (gso_type & VNO_GSO_UDP)
		t = VIRTIO_NET_HDR_GSO_UDP;
	else
		return VIRTIO_NET_HDR_GSO_NONE;
	if (gso_type & VNO_GSO_TCP_ECN)
		t |= VIRTIO_NET_HDR_GSO_ECN;
	return t;
}

/* Where the headers are in the frame, from its own bytes. */
struct layout {
	size_t l3, l4, l4_end;	/* offsets; 0 = not found */
	int ver;		/* 4, 6, 0 */
	unsigned char proto;	/* the L4 protocol */
};

static void parse_layout(const unsigned char *f, size_t have, struct layout *ly)
{
	size_t off = ETH_HLEN_;
	unsigned type;

	memset(ly, 0, sizeof(*ly));
	if (have < ETH_HLEN_)
		return;
	type = get16(f + 12);
	while ((type == ETH_P_8021Q_ || type == ETH_P_8021AD_) && off + 4 <= have) {
		type = get16(f + off + 2);
		off += 4;
	}
	if (type == ETH_P_IP_ && off + 20 <= have && (f[off] >> 4) == 4) {
		ly->ver = 4;
		ly->l3 = off;
		ly->proto = f[off + 9];
		ly->l4 = off + (size_t)(f[off] & 0xf) * 4;
	} else if (type == ETH_P_IPV6_ && off + 40 <= have && (f[off] >> 4) == 6) {
		/* Extension headers are left alone: the transport is found
		 * only right after the fixed header. */
		ly->ver = 6;
		ly->l3 = off;
		ly->proto = f[off + 6];
		ly->l4 = off + 40;
	}
	if (!ly->l4)
		return;
	if (ly->proto == IPPROTO_TCP_ && ly->l4 + 20 <= have)
		ly->l4_end = ly->l4 + (size_t)(f[ly->l4 + 12] >> 4) * 4;
	else if (ly->proto == IPPROTO_UDP_ && ly->l4 + 8 <= have)
		ly->l4_end = ly->l4 + 8;
}

static void rewrite_macs(unsigned char *f, const struct replay_rewrite *rw, unsigned *what)
{
	unsigned i, j;

	for (j = 0; j < 2; j++)
		for (i = 0; i < rw->n_mac; i++)
			if (!memcmp(f + 6 * j, rw->mac[i].from, 6)) {
				memcpy(f + 6 * j, rw->mac[i].to, 6);
				*what |= REPLAY_REWROTE;
				break;
			}
}

/* The L4 checksum field's offset in the frame, 0 when there is none. */
static size_t l4_csum_at(const struct layout *ly)
{
	if (!ly->l4_end)
		return 0;
	return ly->l4 + (ly->proto == IPPROTO_TCP_ ? 16 : 6);
}

static void rewrite_ips(unsigned char *f, const struct layout *ly, bool partial,
			const struct replay_rewrite *rw, unsigned *what)
{
	size_t alen = ly->ver == 4 ? 4 : 16, base = ly->l3 + (ly->ver == 4 ? 12 : 8), csum;
	unsigned char old[16];
	unsigned i, j;

	csum = l4_csum_at(ly);
	for (j = 0; j < 2; j++) {
		unsigned char *a = f + base + j * alen;

		for (i = 0; i < rw->n_ip; i++) {
			if (rw->ip[i].ver != ly->ver || memcmp(a, rw->ip[i].from, alen))
				continue;
			memcpy(old, a, alen);
			memcpy(a, rw->ip[i].to, alen);
			/* The pseudo-header holds the addresses: UDP's
			 * checksum 0 means none (IPv4). */
			if (csum && !(ly->proto == IPPROTO_UDP_ && !partial && ly->ver == 4 &&
				      !get16(f + csum)))
				csum_replace(f + csum, old, a, alen, !partial);
			*what |= REPLAY_REWROTE;
			break;
		}
	}
}

/* A frame not checksum-partial carries a full L4 checksum, which covered
 * the payload the capture did not keep: computed again over the payload
 * as synthesized, so the receiver takes the frame. */
static void full_l4_csum(unsigned char *f, size_t len, const struct layout *ly)
{
	size_t csum = l4_csum_at(ly), l4len = len - ly->l4;
	unsigned long sum;
	unsigned c;

	if (!csum || l4len > 0xffff)
		return;
	if (ly->ver == 4)
		sum = sum16(f + ly->l3 + 12, 8, 0);
	else
		sum = sum16(f + ly->l3 + 8, 32, 0);
	sum += ly->proto + l4len;
	put16(f + csum, 0);
	c = ~fold(sum16(f + ly->l4, l4len, sum)) & 0xffff;
	/* UDP: a computed 0 is sent as 0xffff (RFC 768). */
	if (!c && ly->proto == IPPROTO_UDP_)
		c = 0xffff;
	put16(f + csum, c);
}

static bool ipv4_csum_ok(const unsigned char *ip)
{
	return fold(sum16(ip, (size_t)(ip[0] & 0xf) * 4, 0)) == 0xffff;
}

/*
 * Mend the IP length where a bridge would refuse the frame (br_netfilter's
 * br_validate_ipv4(): tot_len beyond the skb, or shorter than the header),
 * and compute the IPv4 header checksum again where the header changed. A
 * checksum that was wrong as recorded stays wrong unless something changed:
 * it is part of the evidence.
 */
static void mend_ip(unsigned char *f, size_t len, const struct layout *ly, bool csum_was_ok,
		    unsigned *what)
{
	unsigned char *ip = f + ly->l3;
	size_t have = len - ly->l3;

	if (ly->ver == 4) {
		size_t ihl = (size_t)(ip[0] & 0xf) * 4, tot = get16(ip + 2);

		if (tot > have || tot < ihl) {
			put16(ip + 2, have > 0xffff ? 0xffff : (unsigned)have);
			*what |= REPLAY_IP_LEN;
		}
		if ((*what & (REPLAY_IP_LEN | REPLAY_REWROTE)) && csum_was_ok) {
			put16(ip + 10, 0);
			put16(ip + 10, ~fold(sum16(ip, ihl, 0)) & 0xffff);
			*what |= REPLAY_IP_CSUM;
		}
	} else if (get16(ip + 4) > have - 40) {
		put16(ip + 4, have - 40 > 0xffff ? 0xffff : (unsigned)(have - 40));
		*what |= REPLAY_IP_LEN;
	}
}

/* A tag the skb held in vlan_tci goes back after the MAC addresses. */
static size_t put_vlan(unsigned char *f, const struct vno_frame *fr, size_t have)
{
	memmove(f + 16, f + 12, have - 12);
	put16(f + 12, fr->vlan_proto ? fr->vlan_proto : ETH_P_8021Q_);
	put16(f + 14, fr->vlan_tci);
	return 4;
}

int replay_build(const struct vno_event *ev, const struct replay_rewrite *rw,
		 struct replay_out *out)
{
	const struct vno_frame *fr = &ev->f;
	bool partial = fr->ip_summed == VNO_CSUM_PARTIAL, vlan = fr->flags & VNO_F_VLAN_HW;
	size_t len = fr->len, have = fr->cap_len, shift = 0;
	struct layout ly;
	bool csum_ok = false;

	memset(&out->vh, 0, sizeof(out->vh));
	out->what = 0;
	out->len = 0;
	if (have > VNO_SNAP_MAX)
		have = VNO_SNAP_MAX;
	if (have > len)
		have = len;
	if (!len || len + (vlan ? 4 : 0) > REPLAY_FRAME_MAX || have < ETH_HLEN_)
		return -EINVAL;

	memcpy(out->frame, ev->data, have);
	if (vlan) {
		shift = put_vlan(out->frame, fr, have);
		have += shift;
		len += shift;
		out->what |= REPLAY_VLAN;
	}
	memset(out->frame + have, 0, len - have);
	if (have < len)
		out->what |= REPLAY_SYNTH;
	out->len = len;

	parse_layout(out->frame, have, &ly);
	if (!ly.l4_end || ly.l4_end > have)
		out->what |= REPLAY_SHORT_HDR;
	/* An IPv4 header longer than the frame (a crafted record) is left
	 * as it is: its checksum would cover bytes past the frame. */
	if (ly.ver == 4 && ly.l4 > len)
		ly.l3 = 0;
	if (ly.ver == 4 && ly.l3)
		csum_ok = ipv4_csum_ok(out->frame + ly.l3);

	if (rw && rw->n_mac)
		rewrite_macs(out->frame, rw, &out->what);
	if (rw && rw->n_ip && ly.l3)
		rewrite_ips(out->frame, &ly, partial, rw, &out->what);
	if (ly.l3)
		mend_ip(out->frame, len, &ly, csum_ok, &out->what);
	if (!partial && (out->what & REPLAY_SYNTH) && ly.l4_end && ly.l4_end <= have &&
	    fr->gso_size == 0) {
		full_l4_csum(out->frame, len, &ly);
		out->what |= REPLAY_L4_CSUM;
	}

	out->vh.flags = partial ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
	out->vh.gso_type = replay_vnet_gso_type(fr->gso_type, fr->gso_size);
	out->vh.gso_size = out->vh.gso_type != VIRTIO_NET_HDR_GSO_NONE ? fr->gso_size : 0;
	out->vh.csum_start = partial ? (__u16)(fr->csum_start + shift) : 0;
	out->vh.csum_offset = partial ? fr->csum_offset : 0;
	/* QEMU passes the guest's header length; tun only uses it to size
	 * the linear part, at least up to the checksum field. The headers
	 * as parsed, else what the checksum needs. */
	if (ly.l4_end && ly.l4_end <= len)
		out->vh.hdr_len = (__u16)ly.l4_end;
	else if (partial)
		out->vh.hdr_len = (__u16)(out->vh.csum_start + out->vh.csum_offset + 2);
	return 0;
}
