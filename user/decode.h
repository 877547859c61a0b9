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
