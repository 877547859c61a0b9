/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Building test frames byte by byte into a struct vno_event, the way the BPF
 * side hands them to user space: a record whose cap_len says how many frame
 * bytes follow. Each fr_*() appends one header at ev->f.cap_len (network
 * byte order, layouts from RFC 791, RFC 8200, RFC 793, RFC 768, IEEE 802.1Q)
 * and returns the offset it was written at. Checksums and lengths the
 * decoder does not read are left plausible but unchecked. jq_run() and
 * cr_assert_jq() check JSON output with jq, an independent reader.
 */
#ifndef VNO_TEST_FRAMES_H
#define VNO_TEST_FRAMES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include "vno.h"

#define FR_ETH_IP 0x0800
#define FR_ETH_IPV6 0x86DD
#define FR_ETH_ARP 0x0806
#define FR_ETH_8021Q 0x8100
#define FR_ETH_8021AD 0x88A8

/* IPv4 frag_off field bits (RFC 791 3.1). */
#define FR_IP_DF 0x4000
#define FR_IP_MF 0x2000

/* TCP flag bits (RFC 9293 3.1). */
#define FR_TCP_FIN 0x01
#define FR_TCP_SYN 0x02
#define FR_TCP_RST 0x04
#define FR_TCP_PSH 0x08
#define FR_TCP_ACK 0x10

/* An empty event: record version set, no frame bytes, every data byte a
 * poison value so a decoder reading past cap_len sees nonsense. */
static inline void fr_init(struct vno_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	memset(ev->data, 0xEE, sizeof(ev->data));
	ev->f.version = VNO_RECORD_VERSION;
}

/* Room for @n more bytes; returns where they go. */
static inline __u8 *fr_put(struct vno_event *ev, size_t n)
{
	size_t off = ev->f.cap_len;

	cr_assert_leq(off + n, VNO_SNAP_MAX, "test frame longer than VNO_SNAP_MAX");
	ev->f.cap_len = (__u16)(off + n);
	memset(ev->data + off, 0, n);
	return ev->data + off;
}

static inline void fr_wr16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xFF;
}

static inline void fr_wr32(__u8 *p, __u32 v)
{
	fr_wr16(p, v >> 16);
	fr_wr16(p + 2, v & 0xFFFF);
}

/* dst 02:00:00:00:00:02, src 02:00:00:00:00:01, then @type. */
static inline size_t fr_eth(struct vno_event *ev, __u16 type)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, 14);

	p[0] = 0x02;
	p[5] = 0x02;
	p[6] = 0x02;
	p[11] = 0x01;
	fr_wr16(p + 12, type);
	return off;
}

/* The 4 bytes after the TPID (already written as the previous type):
 * TCI, then the type of what follows. */
static inline size_t fr_vlan(struct vno_event *ev, __u16 tci, __u16 type)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, 4);

	fr_wr16(p, tci);
	fr_wr16(p + 2, type);
	return off;
}

static inline void fr_addr(int af, const char *s, void *dst)
{
	cr_assert_eq(inet_pton(af, s, dst), 1, "bad test address %s", s);
}

/* IPv4 header of @ihl 32-bit words (options are NOPs) with the whole
 * frag_off field given (flags and offset in 8-byte units). */
static inline size_t fr_ipv4_ex(struct vno_event *ev, const char *src, const char *dst,
				__u8 proto, unsigned ihl, __u16 frag_off)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, ihl * 4);

	p[0] = 0x40 | (ihl & 0xF);
	fr_wr16(p + 2, 1500);
	fr_wr16(p + 4, 0x1234);
	fr_wr16(p + 6, frag_off);
	p[8] = 64;
	p[9] = proto;
	fr_addr(AF_INET, src, p + 12);
	fr_addr(AF_INET, dst, p + 16);
	for (unsigned i = 20; i < ihl * 4; i++)
		p[i] = 1; /* IPOPT_NOOP */
	return off;
}

static inline size_t fr_ipv4(struct vno_event *ev, const char *src, const char *dst, __u8 proto)
{
	return fr_ipv4_ex(ev, src, dst, proto, 5, FR_IP_DF);
}

static inline size_t fr_ipv6(struct vno_event *ev, const char *src, const char *dst, __u8 nexthdr)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, 40);

	p[0] = 0x60;
	fr_wr16(p + 4, 1440);
	p[6] = nexthdr;
	p[7] = 64;
	fr_addr(AF_INET6, src, p + 8);
	fr_addr(AF_INET6, dst, p + 24);
	return off;
}

/* Hop-by-hop (0), routing (43) or destination options (60) header of
 * (@len8 + 1) * 8 bytes (RFC 8200 4.3), padded with PadN. */
static inline size_t fr_ipv6_opts(struct vno_event *ev, __u8 nexthdr, __u8 len8)
{
	size_t off = ev->f.cap_len, n = (len8 + 1u) * 8;
	__u8 *p = fr_put(ev, n);

	p[0] = nexthdr;
	p[1] = len8;
	p[2] = 1; /* PadN */
	p[3] = (__u8)(n - 4);
	return off;
}

/* Authentication header (RFC 4302 2.2): length in 4-byte units minus 2. */
static inline size_t fr_ipv6_ah(struct vno_event *ev, __u8 nexthdr, size_t bytes)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, bytes);

	p[0] = nexthdr;
	p[1] = (__u8)(bytes / 4 - 2);
	fr_wr32(p + 4, 0x100); /* SPI */
	fr_wr32(p + 8, 1);     /* sequence */
	return off;
}

/* Fragment header (RFC 8200 4.5): @frag_offset in 8-byte units. */
static inline size_t fr_ipv6_frag(struct vno_event *ev, __u8 nexthdr, __u16 frag_offset, int more)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, 8);

	p[0] = nexthdr;
	fr_wr16(p + 2, (__u16)(frag_offset << 3 | (more ? 1 : 0)));
	fr_wr32(p + 4, 0xCAFE);
	return off;
}

static inline size_t fr_tcp(struct vno_event *ev, __u16 sport, __u16 dport, __u32 seq, __u8 flags)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, 20);

	fr_wr16(p, sport);
	fr_wr16(p + 2, dport);
	fr_wr32(p + 4, seq);
	fr_wr32(p + 8, 0x01020304);
	p[12] = 5 << 4;
	p[13] = flags;
	fr_wr16(p + 14, 65535);
	return off;
}

static inline size_t fr_udp(struct vno_event *ev, __u16 sport, __u16 dport)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, 8);

	fr_wr16(p, sport);
	fr_wr16(p + 2, dport);
	fr_wr16(p + 4, 8 + 1400);
	return off;
}

/* SCTP common header (RFC 9260 3.1). */
static inline size_t fr_sctp(struct vno_event *ev, __u16 sport, __u16 dport)
{
	size_t off = ev->f.cap_len;
	__u8 *p = fr_put(ev, 12);

	fr_wr16(p, sport);
	fr_wr16(p + 2, dport);
	fr_wr32(p + 4, 0xdeadbeef);
	return off;
}

/* @n payload bytes of @byte. */
static inline void fr_payload(struct vno_event *ev, size_t n, __u8 byte)
{
	memset(fr_put(ev, n), byte, n);
}

/* Frame metadata for aggregator tests: the record part only. */
static inline struct vno_event fr_meta(__u8 hop, __u32 netns, __u32 ifindex, const char *dev)
{
	struct vno_event ev;
	size_t n = strlen(dev);

	fr_init(&ev);
	ev.f.hop = hop;
	ev.f.netns = netns;
	ev.f.ifindex = ifindex;
	/* All VNO_IFNAMSIZ bytes may be used, unterminated, as in the kernel. */
	memcpy(ev.f.dev, dev, n < sizeof(ev.f.dev) ? n : sizeof(ev.f.dev));
	return ev;
}

/*
 * Checking JSON with an independent reader: jq runs @filter over @json and
 * its exit status (-e) says whether the result was true. Output goes to
 * @out when given. Tests skip, with the reason, where jq is missing.
 */
static inline int jq_run(const char *json, const char *filter, char *out, size_t outlen)
{
	char path[] = "/tmp/vno-unit-XXXXXX", cmd[4096];
	size_t n = 0, len = strlen(json);
	FILE *p;
	int fd, st;

	if (system("command -v jq >/dev/null 2>&1"))
		cr_skip_test("jq is not installed: cannot check JSON output");
	cr_assert_null(strchr(filter, '\''), "filter must not contain a single quote");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, json, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "jq -e -j '%s' %s 2>&1", filter, path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	if (out && outlen) {
		n = fread(out, 1, outlen - 1, p);
		out[n] = '\0';
	} else {
		char sink[256];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Asserts that jq parses @json and @filter holds. */
#define cr_assert_jq(json, filter)                                                      \
	do {                                                                            \
		char jq_out_[1024];                                                     \
		int jq_rc_ = jq_run((json), (filter), jq_out_, sizeof(jq_out_));      \
		cr_assert_eq(jq_rc_, 0, "jq '%s' -> %d (%s) on:\n%s", (filter), jq_rc_, \
			     jq_out_, (json));                                          \
	} while (0)

#endif
