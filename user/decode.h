/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * From what the BPF side sent to the decoded record every sink reads:
 * struct vno_event with addresses, ports and TCP fields filled from the
 * frame bytes; and the names of hops, checksum states, gso types.
 */
#ifndef VNO_DECODE_H
#define VNO_DECODE_H

#include <stddef.h>
#include <stdbool.h>
#include "vno.h"

_Static_assert(sizeof(struct vno_frame) == 176, "vno_frame ABI");

/* Parse Ethernet / VLAN / IPv4 / IPv6 / TCP / UDP from ev->data[0..cap_len)
 * into ev->f. Returns 0, or -EINVAL when the bytes are not a frame we know
 * (the metadata fields stay valid). */
int vno_decode(struct vno_event *ev);

/* The bytes of an event that carry something: the record and the frame
 * bytes it says it holds (at most VNO_SNAP_MAX), not the whole snap room. */
static inline size_t vno_event_len(const struct vno_event *ev)
{
	return sizeof(ev->f) + (ev->f.cap_len < VNO_SNAP_MAX ? ev->f.cap_len : VNO_SNAP_MAX);
}

/* Validate and copy a raw ring-buffer sample; -EINVAL on a short or
 * foreign-version sample. */
int vno_event_from_raw(struct vno_event *ev, const void *raw, size_t len);

/* A tunnel around the frame, read from its bytes (outer UDP port 4789 or
 * 8472 VXLAN, 6081 Geneve, IP protocol 47 GRE/GRETAP) and from the skb's
 * own inner headers (vno_frame.encap): the tunnel's key and the inner
 * frame's addresses and ports. Offsets are from the outer MAC header, like
 * every other offset of the record. */
enum vno_encap_type {
	VNO_ENC_NONE = 0,
	VNO_ENC_VXLAN = 1,
	VNO_ENC_GENEVE = 2,
	VNO_ENC_GRE = 3,	/* GRE carrying IP */
	VNO_ENC_GRETAP = 4,	/* GRE carrying Ethernet (ethertype 0x6558) */
	VNO_ENC_UDP = 5,	/* the skb says encapsulated, the header is not one we know */
	VNO_ENC__MAX = 6,
};

/* What one pass over an IP packet and its L4 header finds. */
struct vno_l3 {
	__u8 ip_ver;	  /* 4, 6 or 0 */
	__u8 l4_proto;
	__u8 tcp_flags;
	bool trunc;	  /* the bytes ran out inside a header */
	bool df;	  /* IPv4: don't fragment */
	__u16 sport, dport;
	__u32 tcp_seq;
	__u8 saddr[16], daddr[16]; /* IPv4 in the first four bytes */
};

struct vno_encap {
	__u8 type;	  /* enum vno_encap_type */
	bool has_key;	  /* VXLAN with the I flag, Geneve, GRE with K */
	bool trunc;	  /* the bytes ran out before the inner L4 header */
	__u32 key;	  /* VNI (24 bits) or GRE key */
	__u16 inner_off;  /* where the encapsulated frame starts */
	__u16 inner_l3_proto;
	__u16 inner_network_off, inner_transport_off; /* 0: unknown */
	struct vno_l3 in; /* the inner packet */
};

/* Fill *e for @ev (already vno_decode'd); 1 when the frame is encapsulated,
 * 0 when not (e->type VNO_ENC_NONE). */
int vno_encap_decode(const struct vno_event *ev, struct vno_encap *e);
const char *vno_encap_name(unsigned type); /* "vxlan", "geneve", "gre", … */
/* "encap=vxlan vni=42 inner=tcp/192.0.2.1:40000>192.0.2.2:5002", as the
 * capture comment and the terminal write it. */
size_t vno_encap_str(const struct vno_encap *e, char *buf, size_t len);
/* Where the checksum the offload will fill lies inside the encapsulated
 * frame: csum_start from its first byte (as the guest wrote it in its
 * virtio_net_hdr), -1 when the checksum is not partial or starts before it. */
int vno_encap_csum_start(const struct vno_frame *f, const struct vno_encap *e);

const char *vno_hop_name(unsigned hop);	 /* "rx", "tc-ingress", … or "?" */
int vno_hop_parse(const char *name);	 /* -1 when unknown */
const char *vno_csum_name(unsigned ip_summed); /* "none", "unnecessary", … */
/* A frame's checksum state as every text output spells it: "partial@34+16"
 * (csum_start+csum_offset from the MAC header) or vno_csum_name(). */
size_t vno_csum_str(const struct vno_frame *f, char *buf, size_t len);
/* Name of one SKB_GSO_* bit ("tcpv4", …, or NULL for a bit with no name). */
const char *vno_gso_bit_name(unsigned bit);
/* "tcpv4|dodgy" (with sep "|"); unnamed bits as "bit19"; "none" for 0. */
size_t vno_gso_type_str(__u32 gso_type, const char *sep, char *buf, size_t len);
const char *vno_l4_name(unsigned proto); /* "tcp", "udp", "icmp", … or NULL */
/* "192.0.2.1" / "2001:db8::1" per ev->f.ip_ver; "" when none. */
void vno_addr_str(const struct vno_frame *f, bool src, char *buf, size_t len);
/* TCP flags as letters in tcpdump order: "S", "PA", "FA" … */
void vno_tcp_flags_str(__u8 flags, char *buf, size_t len);

#endif
