// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vno-guest: a stand-in for a guest and its VMM, for the integration tests.
 *
 * Guest mode opens /dev/net/tun as IFF_TAP|IFF_NO_PI|IFF_VNET_HDR, enables
 * the offloads a virtio-net guest negotiates (TUNSETOFFLOAD), and writes
 * virtio_net_hdr + Ethernet frame for each frame spec, exactly as QEMU/vhost
 * would hand a guest's TX buffer to the host. Every planted frame is echoed
 * as one JSON line on stdout so a test can compare what vnoffload-trace saw
 * with what was written.
 *
 * Sink mode (--sink) runs in the peer namespace and consumes what arrives:
 * a UDP socket per port (UDP_L4 super-frames are then segmented and the
 * original skb released with consume_skb, not dropped) and a TCP listener.
 *
 *   vno-guest --tap T [--bridge BR] [addresses] [--ready-file F] [--go-file F]
 *             [--stdin] [--hold] [--drain] [--count N --interval-us U] [--quiet]
 *             SPEC...
 *   vno-guest --sink [--udp PORT]... [--tcp PORT]... [--ready-file F]
 *   vno-guest --tcx-show IFACE
 *
 * --tcx-show lists the BPF programs attached to IFACE through TCX links
 * (bpftool 7.1 and iproute2 6.1 predate TCX and cannot show them), so the
 * tests can check that vnoffload-trace leaves nothing behind.
 *
 * SPEC is KIND[:key=value|flag]... ; `vno-guest --help` lists them.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The tap is opened by user/tap.c, as `replay` opens it. */
#include "tap.h"
/* virtio spec 1.2, 5.1.6 "Device Operation": UDP_L4 segmentation. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif
#define ETH_HLEN_ 14
#define VLAN_HLEN_ 4
#define IP4_HLEN 20
#define IP6_HLEN 40
#define TCP_HLEN 20
#define UDP_HLEN 8
/* Largest frame a tap write may carry: IPv4 tot_len is 16 bits, plus L2. */
#define FRAME_MAX (65535 + ETH_HLEN_ + VLAN_HLEN_)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

static const char *prog = "vno-guest";
static volatile sig_atomic_t stop;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- addresses and options ------------------------------------------- */

struct opts {
	const char *tap;
	const char *bridge;
	const char *ready_file;
	const char *go_file;
	double go_timeout;
	bool read_stdin;
	bool hold;
	bool drain;
	bool quiet;
	bool no_offload;
	long count;
	long interval_us;
	int vnet_hdr_len;
	uint8_t src_mac[6], dst_mac[6];
	struct in_addr src4, dst4;
	struct in6_addr src6, dst6;
	uint16_t sport, dport;
	uint32_t seq;
};

static struct opts o = {
	.go_timeout = 60,
	.count = 1,
	.vnet_hdr_len = sizeof(struct virtio_net_hdr),
	.src_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
	.dst_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 },
	.sport = 40000,
	.dport = 5001,
	.seq = 1000000,
};

static void parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		die("bad MAC address '%s'", s);
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			die("bad MAC address '%s'", s);
		mac[i] = b[i];
	}
}

static long parse_num(const char *what, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		die("bad %s '%s' (want %ld..%ld)", what, s, min, max);
	return v;
}

/* ---- frame specs ------------------------------------------------------- */

enum kind_l4 { K_TCP, K_UDP };

struct kind {
	const char *name;
	int ipv;	/* 4 or 6 */
	enum kind_l4 l4;
	bool gso;	/* TSO/USO super-frame */
	bool csum;	/* NEEDS_CSUM (CHECKSUM_PARTIAL) */
	uint16_t segs;	/* default segment count */
};

static const struct kind kinds[] = {
	{ "tcp4-tso", 4, K_TCP, true, true, 10 },
	{ "tcp6-tso", 6, K_TCP, true, true, 10 },
	{ "udp4-uso", 4, K_UDP, true, true, 5 },
	{ "udp6-uso", 6, K_UDP, true, true, 5 },
	{ "tcp4-csum", 4, K_TCP, false, true, 1 },
	{ "tcp6-csum", 6, K_TCP, false, true, 1 },
	{ "udp4-csum", 4, K_UDP, false, true, 1 },
	{ "udp6-csum", 6, K_UDP, false, true, 1 },
	/* Fully checksummed by the guest, no virtio flags: ip_summed none. */
	{ "tcp4-plain", 4, K_TCP, false, false, 1 },
	{ "tcp6-plain", 6, K_TCP, false, false, 1 },
	{ "udp4-plain", 4, K_UDP, false, false, 1 },
	{ "udp6-plain", 6, K_UDP, false, false, 1 },
	{ 0 },
};

/* A knob that is unset keeps the value a well-behaved guest would write. */
#define UNSET (-1L)

struct spec {
	const struct kind *k;
	char text[256];
	long segs, mss, payload, vlan, sport, dport, seq;
	long ov_gso_size, ov_csum_start, ov_csum_offset, ov_gso_type, ov_flags, ov_hdr_len;
	int tcp_flags; /* -1: default */
	bool ecn;
};

static const struct {
	const char *name;
	int val;
} vgso_names[] = {
	{ "none", VIRTIO_NET_HDR_GSO_NONE },   { "tcpv4", VIRTIO_NET_HDR_GSO_TCPV4 },
	{ "udp", VIRTIO_NET_HDR_GSO_UDP },     { "tcpv6", VIRTIO_NET_HDR_GSO_TCPV6 },
	{ "udp_l4", VIRTIO_NET_HDR_GSO_UDP_L4 }, { 0 },
};

static int parse_tcp_flags(const char *s)
{
	/* Bit order of the TCP header's flags byte; W (tcpdump) = C = CWR. */
	static const char letters[] = "FSRPAUEC";
	int f = 0;

	if (!strcmp(s, "none"))
		return 0;
	for (; *s; s++) {
		const char *p = strchr(letters, *s == 'W' ? 'C' : *s);

		if (!p)
			die("bad TCP flags letter '%c' (use F S R P A U E W)", *s);
		f |= 1 << (p - letters);
	}
	return f;
}

static long parse_gso_type(const char *v)
{
	long t = 0;
	char buf[128], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, "|+", &save); tok; tok = strtok_r(NULL, "|+", &save)) {
		int i;

		if (!strcmp(tok, "ecn") || !strcmp(tok, "tcp_ecn")) {
			t |= VIRTIO_NET_HDR_GSO_ECN;
			continue;
		}
		for (i = 0; vgso_names[i].name; i++)
			if (!strcmp(tok, vgso_names[i].name))
				break;
		if (vgso_names[i].name)
			t |= vgso_names[i].val;
		else
			t |= parse_num("gso_type", tok, 0, 255);
	}
	return t;
}

static void parse_spec(const char *text, struct spec *s)
{
	char buf[256], *save, *tok;
	int i;

	memset(s, 0, sizeof(*s));
	snprintf(s->text, sizeof(s->text), "%s", text);
	s->segs = s->mss = s->payload = s->vlan = s->sport = s->dport = s->seq = UNSET;
	s->ov_gso_size = s->ov_csum_start = s->ov_csum_offset = UNSET;
	s->ov_gso_type = s->ov_flags = s->ov_hdr_len = UNSET;
	s->tcp_flags = -1;

	snprintf(buf, sizeof(buf), "%s", text);
	tok = strtok_r(buf, ":", &save);
	if (!tok)
		die("empty frame spec");
	for (i = 0; kinds[i].name; i++)
		if (!strcmp(tok, kinds[i].name))
			break;
	if (!kinds[i].name)
		die("unknown frame kind '%s' (see --help)", tok);
	s->k = &kinds[i];

	while ((tok = strtok_r(NULL, ":", &save))) {
		char *eq = strchr(tok, '=');
		const char *key = tok, *val = eq ? eq + 1 : NULL;

		if (eq)
			*eq = '\0';
		if (!strcmp(key, "ecn") && !val) {
			s->ecn = true;
			continue;
		}
		if (!val)
			die("'%s' in '%s' needs a value", key, text);
		if (!strcmp(key, "segs"))
			s->segs = parse_num("segs", val, 1, 65535);
		else if (!strcmp(key, "mss"))
			s->mss = parse_num("mss", val, 1, 65535);
		else if (!strcmp(key, "payload"))
			s->payload = parse_num("payload", val, 0, 65535);
		else if (!strcmp(key, "vlan"))
			s->vlan = parse_num("vlan", val, 0, 4095);
		else if (!strcmp(key, "sport"))
			s->sport = parse_num("sport", val, 0, 65535);
		else if (!strcmp(key, "dport"))
			s->dport = parse_num("dport", val, 0, 65535);
		else if (!strcmp(key, "seq"))
			s->seq = parse_num("seq", val, 0, 0xffffffffL);
		else if (!strcmp(key, "gso_size"))
			s->ov_gso_size = parse_num("gso_size", val, 0, 65535);
		else if (!strcmp(key, "csum_start"))
			s->ov_csum_start = parse_num("csum_start", val, 0, 65535);
		else if (!strcmp(key, "csum_offset"))
			s->ov_csum_offset = parse_num("csum_offset", val, 0, 65535);
		else if (!strcmp(key, "hdr_len"))
			s->ov_hdr_len = parse_num("hdr_len", val, 0, 65535);
		else if (!strcmp(key, "flags"))
			s->ov_flags = parse_num("flags", val, 0, 255);
		else if (!strcmp(key, "gso_type"))
			s->ov_gso_type = parse_gso_type(val);
		else if (!strcmp(key, "tcpflags"))
			s->tcp_flags = parse_tcp_flags(val);
		else
			die("unknown key '%s' in '%s' (see --help)", key, text);
	}
}

/* ---- checksums --------------------------------------------------------- */

static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* RFC 793/768/8200 pseudo-header sum, host order, not yet folded. */
static uint32_t pseudo_sum(int ipv, const void *src, const void *dst, uint32_t l4len, uint8_t proto)
{
	uint32_t sum = 0;
	size_t alen = ipv == 4 ? 4 : 16;

	sum = sum16(src, alen, sum);
	sum = sum16(dst, alen, sum);
	sum += l4len >> 16;
	sum += l4len & 0xffff;
	sum += proto;
	return sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* ---- building and writing one frame ------------------------------------ */

struct planted {
	size_t wire_len;	/* Ethernet frame bytes written after the vnet header */
	uint16_t hdr_len, gso_size, csum_start, csum_offset, gso_segs;
	uint8_t flags, gso_type;
	uint32_t payload, seq;
	uint16_t sport, dport;
	int tcp_flags;
};

static uint8_t frame[sizeof(struct virtio_net_hdr_mrg_rxbuf) + FRAME_MAX];
static uint16_t ip_id = 1;

static int build(const struct spec *s, struct planted *pl)
{
	const struct kind *k = s->k;
	struct virtio_net_hdr_mrg_rxbuf vh = { 0 };
	uint8_t *f = frame + o.vnet_hdr_len, *p = f, *l3, *l4;
	uint16_t l2len = ETH_HLEN_ + (s->vlan != UNSET ? VLAN_HLEN_ : 0);
	uint16_t l3len = k->ipv == 4 ? IP4_HLEN : IP6_HLEN;
	uint16_t l4hlen = k->l4 == K_TCP ? TCP_HLEN : UDP_HLEN;
	uint8_t proto = k->l4 == K_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	long dmss = k->l4 == K_TCP ? 1500 - l3len - TCP_HLEN : 1500 - l3len - UDP_HLEN;
	long segs = s->segs != UNSET ? s->segs : k->segs;
	long mss = s->mss != UNSET ? s->mss : dmss;
	long payload = s->payload != UNSET ? s->payload : segs * mss;
	uint32_t l4len = l4hlen + payload;
	uint32_t sum;
	uint8_t tf = 0;

	if ((k->ipv == 4 && IP4_HLEN + l4len > 65535) || (k->ipv == 6 && l4len > 65535)) {
		fprintf(stderr, "%s: '%s': %ld payload bytes do not fit one IP packet\n", prog,
			s->text, payload);
		return -EMSGSIZE;
	}

	memset(pl, 0, sizeof(*pl));
	pl->sport = s->sport != UNSET ? s->sport : o.sport;
	pl->dport = s->dport != UNSET ? s->dport : o.dport;
	pl->payload = payload;

	/* Ethernet, optionally with an 802.1Q tag in the frame itself. */
	memcpy(p, o.dst_mac, 6);
	memcpy(p + 6, o.src_mac, 6);
	p += 12;
	if (s->vlan != UNSET) {
		put16(p, ETH_P_8021Q);
		put16(p + 2, s->vlan);
		p += 4;
	}
	put16(p, k->ipv == 4 ? ETH_P_IP : ETH_P_IPV6);
	p += 2;

	l3 = p;
	if (k->ipv == 4) {
		memset(l3, 0, IP4_HLEN);
		l3[0] = 0x45;
		l3[1] = s->ecn ? 0x02 : 0; /* ECT(0) */
		put16(l3 + 2, IP4_HLEN + l4len);
		put16(l3 + 4, ip_id++);
		put16(l3 + 6, k->l4 == K_TCP ? 0x4000 : 0); /* DF for TCP */
		l3[8] = 64;
		l3[9] = proto;
		memcpy(l3 + 12, &o.src4, 4);
		memcpy(l3 + 16, &o.dst4, 4);
		/* Bridge netfilter drops IPv4 with a bad header checksum. */
		put16(l3 + 10, ~fold(sum16(l3, IP4_HLEN, 0)) & 0xffff);
	} else {
		memset(l3, 0, IP6_HLEN);
		put32(l3, 6u << 28 | (s->ecn ? 0x02u : 0) << 20);
		put16(l3 + 4, l4len);
		l3[6] = proto;
		l3[7] = 64;
		memcpy(l3 + 8, &o.src6, 16);
		memcpy(l3 + 24, &o.dst6, 16);
	}
	p += l3len;

	l4 = p;
	memset(l4, 0, l4hlen);
	put16(l4, pl->sport);
	put16(l4 + 2, pl->dport);
	if (k->l4 == K_TCP) {
		tf = s->tcp_flags >= 0 ? s->tcp_flags : TH_PSH | TH_ACK;
		if (s->ecn && s->tcp_flags < 0)
			tf |= TH_CWR; /* what SKB_GSO_TCP_ECN stands for */
		pl->seq = s->seq != UNSET ? (uint32_t)s->seq : o.seq;
		if (s->seq == UNSET)
			o.seq += payload;
		put32(l4 + 4, pl->seq);
		put32(l4 + 8, 1);
		l4[12] = (TCP_HLEN / 4) << 4;
		l4[13] = tf;
		put16(l4 + 14, 502);
	} else {
		put16(l4 + 4, l4len);
	}
	p += l4hlen;
	/* A recognisable payload: the byte offset, so captures are readable. */
	for (long i = 0; i < payload; i++)
		p[i] = i & 0xff;
	p += payload;
	pl->wire_len = p - f;
	pl->tcp_flags = k->l4 == K_TCP ? tf : -1;

	sum = pseudo_sum(k->ipv, k->ipv == 4 ? (void *)&o.src4 : (void *)&o.src6,
			 k->ipv == 4 ? (void *)&o.dst4 : (void *)&o.dst6, l4len, proto);
	if (k->csum) {
		/* What a guest writes with NEEDS_CSUM: the folded pseudo-header
		 * sum over the whole L4 length, not complemented; the device (or
		 * GSO, adjusting per segment) finishes it. */
		put16(l4 + (k->l4 == K_TCP ? 16 : 6), fold(sum));
		vh.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.hdr.csum_start = l2len + l3len;
		vh.hdr.csum_offset = k->l4 == K_TCP ? 16 : 6;
	} else {
		uint16_t c = ~fold(sum16(l4, l4len, sum)) & 0xffff;

		if (k->l4 == K_UDP && c == 0)
			c = 0xffff;
		put16(l4 + (k->l4 == K_TCP ? 16 : 6), c);
	}
	if (k->gso) {
		vh.hdr.gso_type = k->l4 == K_UDP ? VIRTIO_NET_HDR_GSO_UDP_L4 :
			k->ipv == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
		if (s->ecn)
			vh.hdr.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
		vh.hdr.gso_size = mss;
		vh.hdr.hdr_len = l2len + l3len + l4hlen;
	}

	if (s->ov_gso_size != UNSET)
		vh.hdr.gso_size = s->ov_gso_size;
	if (s->ov_csum_start != UNSET)
		vh.hdr.csum_start = s->ov_csum_start;
	if (s->ov_csum_offset != UNSET)
		vh.hdr.csum_offset = s->ov_csum_offset;
	if (s->ov_gso_type != UNSET)
		vh.hdr.gso_type = s->ov_gso_type;
	if (s->ov_flags != UNSET)
		vh.hdr.flags = s->ov_flags;
	if (s->ov_hdr_len != UNSET)
		vh.hdr.hdr_len = s->ov_hdr_len;

	pl->flags = vh.hdr.flags;
	pl->gso_type = vh.hdr.gso_type;
	pl->gso_size = vh.hdr.gso_size;
	pl->hdr_len = vh.hdr.hdr_len;
	pl->csum_start = vh.hdr.csum_start;
	pl->csum_offset = vh.hdr.csum_offset;
	/* What the kernel will count: segments of gso_size after the headers. */
	if ((vh.hdr.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) && vh.hdr.gso_size)
		pl->gso_segs = (payload + vh.hdr.gso_size - 1) / vh.hdr.gso_size;

	/* A little-endian host writes the header in native order, as virtio
	 * 1.0 and TUNSETVNETLE-less legacy taps on x86 expect. */
	memcpy(frame, &vh, o.vnet_hdr_len);
	return 0;
}

static void json_gso_names(FILE *out, uint8_t t)
{
	const char *base = NULL;
	bool first = true;

	switch (t & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		base = "tcpv4";
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		base = "udp";
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		base = "tcpv6";
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		base = "udp_l4";
		break;
	default:
		base = "unknown";
	}
	/* Names as the kernel calls the SKB_GSO_* bits these map to, in bit
	 * order (tcpv4 0, tcp_ecn 2, tcpv6 4, udp 16, udp_l4 17). */
	fputc('[', out);
	if (base && !strcmp(base, "tcpv4")) {
		fprintf(out, "\"tcpv4\"");
		first = false;
		base = NULL;
	}
	if (t & VIRTIO_NET_HDR_GSO_ECN) {
		fprintf(out, "%s\"tcp_ecn\"", first ? "" : ",");
		first = false;
	}
	if (base)
		fprintf(out, "%s\"%s\"", first ? "" : ",", base);
	fputc(']', out);
}

static void tcp_flags_str(int f, char *buf)
{
	/* tcpdump order. */
	static const struct {
		int bit;
		char c;
	} order[] = { { TH_FIN, 'F' }, { TH_SYN, 'S' }, { TH_RST, 'R' }, { TH_PSH, 'P' },
		      { TH_ACK, 'A' }, { TH_URG, 'U' }, { TH_ECE, 'E' }, { TH_CWR, 'W' } };
	int n = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (f & order[i].bit)
			buf[n++] = order[i].c;
	buf[n] = '\0';
}

static unsigned long planted_n, planted_err;

static void report(const struct spec *s, const struct planted *pl, int err, long round)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], fl[16];

	if (err)
		planted_err++;
	else
		planted_n++;
	if (o.quiet && !err)
		return;
	if (s->k->ipv == 4) {
		inet_ntop(AF_INET, &o.src4, a, sizeof(a));
		inet_ntop(AF_INET, &o.dst4, b, sizeof(b));
	} else {
		inet_ntop(AF_INET6, &o.src6, a, sizeof(a));
		inet_ntop(AF_INET6, &o.dst6, b, sizeof(b));
	}
	printf("{\"type\":\"planted\",\"spec\":\"%s\",\"kind\":\"%s\",\"round\":%ld,"
	       "\"len\":%zu,\"payload\":%u,\"hdr_len\":%u,\"gso_size\":%u,\"gso_segs\":%u,"
	       "\"gso_type\":",
	       s->text, s->k->name, round, pl->wire_len, pl->payload, pl->hdr_len, pl->gso_size,
	       pl->gso_segs);
	json_gso_names(stdout, pl->gso_type);
	printf(",\"gso_type_raw\":%u,\"needs_csum\":%s,\"ip_summed\":\"%s\",\"csum_start\":%u,"
	       "\"csum_offset\":%u,\"vlan\":",
	       pl->gso_type, pl->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM ? "true" : "false",
	       pl->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM ? "partial" : "none", pl->csum_start,
	       pl->csum_offset);
	if (s->vlan != UNSET)
		printf("%ld", s->vlan);
	else
		printf("null");
	printf(",\"l3\":\"%s\",\"l4\":\"%s\",\"saddr\":\"%s\",\"daddr\":\"%s\",\"sport\":%u,"
	       "\"dport\":%u",
	       s->k->ipv == 4 ? "ipv4" : "ipv6", s->k->l4 == K_TCP ? "tcp" : "udp", a, b, pl->sport,
	       pl->dport);
	if (pl->tcp_flags >= 0) {
		tcp_flags_str(pl->tcp_flags, fl);
		printf(",\"tcp_seq\":%u,\"tcp_flags\":\"%s\"", pl->seq, fl);
	}
	if (err)
		printf(",\"written\":false,\"error\":\"%s\"}\n", strerror(-err));
	else
		printf(",\"written\":true}\n");
}

static int plant(int fd, const struct spec *s, long round)
{
	struct planted pl = { 0 };
	ssize_t n;
	int err;

	err = build(s, &pl);
	if (!err) {
		n = write(fd, frame, o.vnet_hdr_len + pl.wire_len);
		if (n < 0)
			err = -errno;
		else if ((size_t)n != o.vnet_hdr_len + pl.wire_len)
			err = -EIO;
	}
	report(s, &pl, err, round);
	return err;
}

/* ---- the tap ----------------------------------------------------------- */

/* Opened as a VMM opens it, with the code `replay` uses (user/tap.c). */
static int guest_tap_open(const char *name, int *ifindex)
{
	struct tap_opts to = {
		.name = name, .bridge = o.bridge, .wait_ms = 30000,
		.vnet_hdr_len = o.vnet_hdr_len, .blocking = true,
		.offloads = o.no_offload ? 0 : TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
				TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6,
	};
	char err[256];
	unsigned set;
	int fd = tap_open_vmm(&to, &set, err, sizeof(err));

	if (fd < 0)
		die("%s", err);
	*ifindex = (int)if_nametoindex(name);
	if (!*ifindex)
		die("%s: %s", name, strerror(errno));
	return fd;
}

/* The guest's RX: what the host sends the guest (replies, RSTs, neighbour
 * discovery) is read and dropped, so tun's queue never backs up. */
static void *drain_loop(void *arg)
{
	static char buf[65536 + 64];
	int fd = *(int *)arg;

	for (;;) {
		if (read(fd, buf, sizeof(buf)) < 0 && errno != EINTR && errno != EAGAIN)
			break;
	}
	return NULL;
}

static void write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	/* Write then rename, so a poller never sees a half-written file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, getpid());
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0)
		die("%s: %s", path, strerror(errno));
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
		;
}

static void wait_go(void)
{
	struct timespec t0, t;
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (stat(o.go_file, &st) < 0) {
		if (stop)
			exit(1);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 > o.go_timeout)
			die("%s did not appear within %.0f s", o.go_file, o.go_timeout);
		sleep_us(5000);
	}
}

/* Plant every spec of a whitespace-separated line. */
static void plant_line(int fd, char *line)
{
	char *save, *tok;

	for (tok = strtok_r(line, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		struct spec s;

		if (tok[0] == '#')
			break;
		if (!strcmp(tok, "sync")) {
			printf("{\"type\":\"sync\",\"planted\":%lu,\"errors\":%lu}\n", planted_n,
			       planted_err);
			continue;
		}
		parse_spec(tok, &s);
		plant(fd, &s, 0);
	}
}

/* ---- sink mode --------------------------------------------------------- */

#define SINK_MAX 16

static int sink_run(const int *udp, int nudp, const int *tcp, int ntcp)
{
	struct pollfd pfd[SINK_MAX * 2 + 64];
	bool is_listen[SINK_MAX * 2 + 64] = { 0 };
	unsigned long dgrams = 0, ubytes = 0, tbytes = 0, conns = 0;
	static char buf[65536 * 2];
	int n = 0;

	for (int i = 0; i < nudp + ntcp; i++) {
		bool is_tcp = i >= nudp;
		int port = is_tcp ? tcp[i - nudp] : udp[i];
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
					   .sin6_addr = IN6ADDR_ANY_INIT };
		int one = 1, zero = 0, fd;

		fd = socket(AF_INET6, (is_tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		/* One socket takes IPv4 and IPv6. */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("%s port %d: bind: %s", is_tcp ? "tcp" : "udp", port, strerror(errno));
		if (is_tcp && listen(fd, 16) < 0)
			die("listen: %s", strerror(errno));
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		is_listen[n] = is_tcp;
		n++;
	}
	if (o.ready_file)
		write_file(o.ready_file, "ready\n");
	printf("{\"type\":\"ready\",\"mode\":\"sink\"}\n");
	fflush(stdout);

	while (!stop) {
		int r = poll(pfd, n, 200);

		if (r < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (int i = 0; r > 0 && i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (is_listen[i]) {
				int c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);

				if (c >= 0 && n < (int)(sizeof(pfd) / sizeof(pfd[0]))) {
					pfd[n].fd = c;
					pfd[n].events = POLLIN;
					pfd[n].revents = 0;
					is_listen[n] = false;
					n++;
					conns++;
				} else if (c >= 0) {
					close(c);
				}
				continue;
			}
			ssize_t got = recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			int type = 0;
			socklen_t tl = sizeof(type);

			getsockopt(pfd[i].fd, SOL_SOCKET, SO_TYPE, &type, &tl);
			if (type == SOCK_DGRAM) {
				if (got >= 0) {
					dgrams++;
					ubytes += got;
				}
			} else if (got > 0) {
				tbytes += got;
			} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(pfd[i].fd);
				pfd[i] = pfd[n - 1];
				is_listen[i] = is_listen[n - 1];
				n--;
				i--;
			}
		}
	}
	printf("{\"type\":\"sink\",\"udp_datagrams\":%lu,\"udp_bytes\":%lu,\"tcp_connections\":%lu,"
	       "\"tcp_bytes\":%lu}\n",
	       dgrams, ubytes, conns, tbytes);
	return 0;
}

/* ---- TCX query --------------------------------------------------------- */

/* enum bpf_attach_type values from Linux 6.6 (commit e420bed02507 "bpf: Add
 * fd-based tcx multi-prog infra with link support"); libbpf 1.1's headers
 * do not have them. */
#define VNO_BPF_TCX_INGRESS 46
#define VNO_BPF_TCX_EGRESS 47

static void tcx_show_dir(int ifindex, int type, const char *name)
{
	__u32 ids[64], cnt = 64, attach_flags = 0;
	int err;

	printf("\"%s\":", name);
	err = bpf_prog_query(ifindex, type, 0, &attach_flags, ids, &cnt);
	if (err) {
		printf("{\"error\":\"%s\"}", strerror(errno));
		return;
	}
	putchar('[');
	for (__u32 i = 0; i < cnt; i++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("%s{\"id\":%u,\"name\":\"%s\"}", i ? "," : "", ids[i], info.name);
		else
			printf("%s{\"id\":%u,\"name\":null}", i ? "," : "", ids[i]);
		if (fd >= 0)
			close(fd);
	}
	putchar(']');
}

/* One JSON line: {"dev":..,"ifindex":..,"ingress":[{"id","name"}],"egress":[..]}. */
static int tcx_show(const char *dev)
{
	int ifindex = if_nametoindex(dev);

	if (!ifindex)
		die("%s: no such interface", dev);
	printf("{\"dev\":\"%s\",\"ifindex\":%d,", dev, ifindex);
	tcx_show_dir(ifindex, VNO_BPF_TCX_INGRESS, "ingress");
	putchar(',');
	tcx_show_dir(ifindex, VNO_BPF_TCX_EGRESS, "egress");
	printf("}\n");
	return 0;
}

/* ---- a filter that is not ours ------------------------------------------- */

/* A sched_cls program that passes every packet ("r0 = TC_ACT_OK; exit"),
 * attached to IFACE's clsact egress with a handle and priority of its own,
 * and left there when this exits: what another tool's filter looks like to
 * vnoffload-trace (this kernel has no classifier but bpf to stand in). */
static int tc_foreign(const char *dev)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int ifindex = if_nametoindex(dev), fd, err;

	if (!ifindex)
		die("%s: no such interface", dev);
	fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "other", "GPL", insns, 2, NULL);
	if (fd < 0)
		die("loading the stand-in filter: %s", strerror(errno));
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = 1, .priority = 1, .prog_fd = fd);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		die("%s: creating clsact: %s", dev, strerror(-err));
	err = bpf_tc_attach(&hook, &o);
	if (err)
		die("%s: attaching the stand-in filter: %s", dev, strerror(-err));
	printf("{\"dev\":\"%s\",\"prog_id\":%u}\n", dev, o.prog_id);
	return 0;
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
"usage: %s --tap NAME [options] SPEC...\n"
"       %s --sink [--udp PORT]... [--tcp PORT]... [--ready-file FILE]\n"
"       %s --tcx-show IFACE   (TCX programs on IFACE, one JSON line)\n"
"       %s --tc-foreign IFACE (leave a pass-all BPF filter on IFACE's clsact egress)\n"
"\n"
"Guest mode: create tap NAME (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR, TUNSETOFFLOAD\n"
"csum,tso4,tso6,tso_ecn,uso4,uso6) and write virtio_net_hdr + frame per SPEC.\n"
"  --bridge BR         make the tap a port of bridge BR (waits for it to forward)\n"
"  --ready-file F      write F once the tap exists (also prints a ready line)\n"
"  --go-file F         plant only once F exists (--go-timeout S, default 60)\n"
"  --stdin             then read more SPECs from stdin, one line at a time;\n"
"                      a `sync` word prints {\"type\":\"sync\",...}\n"
"  --hold              keep the tap open (never read) until SIGTERM/SIGINT\n"
"  --drain             read and discard what the host sends the guest, as a\n"
"                      live guest would (without it the tap's queue fills up)\n"
"  --count N           plant the SPEC list N times (0: until a signal)\n"
"  --interval-us U     pause U microseconds after each frame\n"
"  --quiet             no JSON line per frame, only a final summary\n"
"  --name NAME         QEMU's -name (\"guest=web-01\"): only on the command line,\n"
"                      where vnoffload-trace names the VM from\n"
"  --vnet-hdr-len N    10 (virtio_net_hdr) or 12 (with num_buffers)\n"
"  --no-offload        TUNSETOFFLOAD 0 (the kernel then refuses GSO frames)\n"
"  --src-mac M --dst-mac M --src-ip A --dst-ip A --src6 A --dst6 A\n"
"  --sport P --dport P --seq N\n"
"\n"
"SPEC: KIND[:key=value|ecn]...\n"
"  KIND  tcp4-tso tcp6-tso udp4-uso udp6-uso (super-frames, NEEDS_CSUM)\n"
"        tcp4-csum tcp6-csum udp4-csum udp6-csum (one segment, NEEDS_CSUM)\n"
"        tcp4-plain tcp6-plain udp4-plain udp6-plain (checksummed, no flags)\n"
"  segs=N mss=N   payload = segs*mss, gso_size = mss (TSO default 10 x MTU-sized)\n"
"  payload=N      payload bytes regardless of segs\n"
"  vlan=ID        802.1Q tag in the frame (csum_start and hdr_len include it)\n"
"  sport= dport= seq= tcpflags=PA   per-frame header fields\n"
"  ecn            VIRTIO_NET_HDR_GSO_ECN, CWR in TCP, ECT(0) in IP\n"
"  raw virtio_net_hdr overrides, for malformed frames:\n"
"  gso_size=N csum_start=N csum_offset=N hdr_len=N flags=N\n"
"  gso_type=none|tcpv4|tcpv6|udp|udp_l4|N[|ecn]\n"
"\n"
"Each planted frame prints one JSON line: type planted, spec, len (Ethernet\n"
"bytes), gso_size, gso_segs, gso_type (kernel SKB_GSO names, without dodgy),\n"
"ip_summed, csum_start, csum_offset, vlan, addresses, ports, written/error.\n",
		prog, prog, prog, prog);
}

int main(int argc, char **argv)
{
	enum {
		O_TAP = 256, O_BRIDGE, O_READY, O_GO, O_GO_TIMEOUT, O_STDIN, O_HOLD, O_COUNT,
		O_INTERVAL, O_QUIET, O_HDRLEN, O_NOOFF, O_SMAC, O_DMAC, O_SIP, O_DIP, O_S6, O_D6,
		O_SPORT, O_DPORT, O_SEQ, O_SINK, O_UDP, O_TCP, O_TCX, O_TC_FOREIGN, O_DRAIN, O_NAME,
	};
	static const struct option lo[] = {
		{ "tap", required_argument, 0, O_TAP },
		{ "bridge", required_argument, 0, O_BRIDGE },
		{ "ready-file", required_argument, 0, O_READY },
		{ "go-file", required_argument, 0, O_GO },
		{ "go-timeout", required_argument, 0, O_GO_TIMEOUT },
		{ "stdin", no_argument, 0, O_STDIN },
		{ "hold", no_argument, 0, O_HOLD },
		{ "drain", no_argument, 0, O_DRAIN },
		{ "count", required_argument, 0, O_COUNT },
		{ "interval-us", required_argument, 0, O_INTERVAL },
		{ "quiet", no_argument, 0, O_QUIET },
		{ "vnet-hdr-len", required_argument, 0, O_HDRLEN },
		{ "no-offload", no_argument, 0, O_NOOFF },
		{ "src-mac", required_argument, 0, O_SMAC },
		{ "dst-mac", required_argument, 0, O_DMAC },
		{ "src-ip", required_argument, 0, O_SIP },
		{ "dst-ip", required_argument, 0, O_DIP },
		{ "src6", required_argument, 0, O_S6 },
		{ "dst6", required_argument, 0, O_D6 },
		{ "sport", required_argument, 0, O_SPORT },
		{ "dport", required_argument, 0, O_DPORT },
		{ "seq", required_argument, 0, O_SEQ },
		{ "sink", no_argument, 0, O_SINK },
		{ "udp", required_argument, 0, O_UDP },
		{ "tcp", required_argument, 0, O_TCP },
		{ "tcx-show", required_argument, 0, O_TCX },
		{ "tc-foreign", required_argument, 0, O_TC_FOREIGN },
		{ "name", required_argument, 0, O_NAME },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	int udp_ports[SINK_MAX], tcp_ports[SINK_MAX], nudp = 0, ntcp = 0;
	bool sink = false;
	struct sigaction sa = { .sa_handler = on_signal };
	struct spec *specs = NULL;
	int nspecs, c, fd, ifindex;
	char line[8192];

	inet_pton(AF_INET, "192.0.2.1", &o.src4);
	inet_pton(AF_INET, "192.0.2.2", &o.dst4);
	inet_pton(AF_INET6, "2001:db8::1", &o.src6);
	inet_pton(AF_INET6, "2001:db8::2", &o.dst6);
	setvbuf(stdout, NULL, _IOLBF, 0);

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_TAP:
			if (strlen(optarg) >= IFNAMSIZ)
				die("tap name '%s' is longer than %d characters", optarg,
				    IFNAMSIZ - 1);
			o.tap = optarg;
			break;
		case O_BRIDGE: o.bridge = optarg; break;
		case O_READY: o.ready_file = optarg; break;
		case O_GO: o.go_file = optarg; break;
		case O_GO_TIMEOUT: o.go_timeout = parse_num("--go-timeout", optarg, 1, 3600); break;
		case O_STDIN: o.read_stdin = true; break;
		case O_HOLD: o.hold = true; break;
		case O_DRAIN: o.drain = true; break;
		case O_COUNT: o.count = parse_num("--count", optarg, 0, 1L << 40); break;
		case O_INTERVAL: o.interval_us = parse_num("--interval-us", optarg, 0, 60000000); break;
		case O_QUIET: o.quiet = true; break;
		case O_HDRLEN: o.vnet_hdr_len = parse_num("--vnet-hdr-len", optarg, 10, 12); break;
		case O_NOOFF: o.no_offload = true; break;
		case O_SMAC: parse_mac(optarg, o.src_mac); break;
		case O_DMAC: parse_mac(optarg, o.dst_mac); break;
		case O_SIP:
		case O_DIP:
			if (inet_pton(AF_INET, optarg, c == O_SIP ? &o.src4 : &o.dst4) != 1)
				die("bad IPv4 address '%s'", optarg);
			break;
		case O_S6:
		case O_D6:
			if (inet_pton(AF_INET6, optarg, c == O_S6 ? &o.src6 : &o.dst6) != 1)
				die("bad IPv6 address '%s'", optarg);
			break;
		case O_SPORT: o.sport = parse_num("--sport", optarg, 0, 65535); break;
		case O_DPORT: o.dport = parse_num("--dport", optarg, 0, 65535); break;
		case O_SEQ: o.seq = parse_num("--seq", optarg, 0, 0xffffffffL); break;
		case O_SINK: sink = true; break;
		case O_UDP:
		case O_TCP:
			if ((c == O_UDP ? nudp : ntcp) >= SINK_MAX)
				die("at most %d ports per protocol", SINK_MAX);
			if (c == O_UDP)
				udp_ports[nudp++] = parse_num("--udp", optarg, 1, 65535);
			else
				tcp_ports[ntcp++] = parse_num("--tcp", optarg, 1, 65535);
			break;
		case O_NAME: break; /* read from /proc/PID/cmdline, as QEMU's -name */
		case O_TC_FOREIGN:
			return tc_foreign(optarg);
		case O_TCX:
			return tcx_show(optarg);
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sink) {
		if (!nudp && !ntcp)
			die("--sink needs at least one --udp or --tcp port");
		return sink_run(udp_ports, nudp, tcp_ports, ntcp);
	}
	if (!o.tap)
		die("--tap NAME is required (see --help)");

	/* Parse every spec before touching the kernel: a typo fails fast. */
	nspecs = argc - optind;
	specs = calloc(nspecs ? nspecs : 1, sizeof(*specs));
	if (!specs)
		die("out of memory");
	for (int i = 0; i < nspecs; i++)
		parse_spec(argv[optind + i], &specs[i]);

	fd = guest_tap_open(o.tap, &ifindex);
	if (o.drain && o.hold)
		die("--drain and --hold contradict each other");
	if (o.drain) {
		static int drain_fd;
		pthread_t t;
		sigset_t all, old;

		/* Signals go to the main thread, which owns the exit path. */
		drain_fd = fd;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		if (pthread_create(&t, NULL, drain_loop, &drain_fd))
			die("cannot start the drain thread");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_detach(t);
	}
	if (o.ready_file)
		write_file(o.ready_file, "ready\n");
	printf("{\"type\":\"ready\",\"tap\":\"%s\",\"ifindex\":%d,\"vnet_hdr_len\":%d}\n", o.tap,
	       ifindex, o.vnet_hdr_len);
	if (o.go_file)
		wait_go();

	for (long r = 0; nspecs && !stop && (o.count == 0 || r < o.count); r++) {
		for (int i = 0; i < nspecs && !stop; i++) {
			plant(fd, &specs[i], r);
			if (o.interval_us)
				sleep_us(o.interval_us);
		}
	}
	if (o.read_stdin) {
		while (!stop && fgets(line, sizeof(line), stdin))
			plant_line(fd, line);
	}
	if (o.hold) {
		while (!stop)
			pause();
	}
	printf("{\"type\":\"done\",\"planted\":%lu,\"errors\":%lu}\n", planted_n, planted_err);
	close(fd);
	free(specs);
	return 0;
}
