/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Known-bad offload metadata: one table of rules over a decoded frame and
 * the device it is on. Rule ids are stored in captures (vno_frame.anomaly
 * is the first tripped id + 1): append only, never renumber or reuse.
 */
#ifndef VNO_ANOMALY_H
#define VNO_ANOMALY_H

#include <stdbool.h>
#include <linux/types.h>
#include "vno.h"
#include "ifaces.h"

enum anomaly_id {
	ANOMALY_GSO_TYPE_WITHOUT_SIZE = 0,
	ANOMALY_GSO_BY_FRAGS_FROM_GUEST = 1,
	ANOMALY_CSUM_OUTSIDE_LINEAR = 2,
	ANOMALY_CSUM_START_NOT_L4 = 3,
	ANOMALY_GSO_CSUM_OFFSET = 4,
	ANOMALY_GSO_IP_SUMMED = 5,
	ANOMALY_GSO_SIZE_WITHOUT_TYPE = 6,
	ANOMALY_GSO_SEGS_OVER_DEV = 7,
	ANOMALY_GSO_LEN_OVER_DEV = 8,
	ANOMALY_GSO_SIZE_TINY = 9,
	ANOMALY_OVERSIZED_NON_GSO = 10,
	ANOMALY_CSUM_PARTIAL_NO_TX_CSUM = 11,
	ANOMALY_ECN_NON_TCP_GSO = 12,
	ANOMALY_GSO_SIZE_OVER_MTU = 13,
	ANOMALY_GSO_TYPE_L3L4_MISMATCH = 14,
	ANOMALY_TUNNEL_SEGMENT_OVER_MTU = 15,
	ANOMALY_TUNNEL_GSO_SOFTWARE = 16,
	ANOMALY_INNER_CSUM_OUTSIDE = 17,
	ANOMALY_DF_SEGMENT_OVER_PATH_MTU = 18,
	ANOMALY__MAX,
};

/* Masks are 64 bits wide; the table may grow up to that. */
_Static_assert(ANOMALY__MAX <= 64, "anomaly mask width");
/* vno_frame.anomaly holds id + 1 in a __u8. */
_Static_assert(ANOMALY__MAX < 255, "anomaly id fits the record");

/* gso_size below which NIC TSO is refused by drivers (i40e_features_check). */
#define ANOMALY_MIN_GSO_SIZE 64

struct anomaly_rule {
	unsigned id;	      /* enum anomaly_id, stored in captures */
	const char *name;     /* short, stable: "gso_type_without_size" */
	const char *desc;     /* one line for people */
	__u32 hops;	      /* 1 << enum vno_hop where the rule applies */
	bool needs_dev;	      /* does not fire when the device is unknown */
	bool csum_related;    /* remedy is the checksum offload, not TSO/GSO */
	bool (*check)(const struct vno_frame *f, const struct vno_iface *dev);
};

/*
 * Check @f, seen at f->hop on @dev (NULL when unknown: device-dependent
 * rules then stay silent). Returns how many rules tripped and, if @mask is
 * not NULL, sets bit id for each.
 */
int anomaly_check(const struct vno_frame *f, const struct vno_iface *dev, __u64 *mask);

/*
 * anomaly_check() and mark the record: VNO_F_ANOMALY and f->anomaly = first
 * (lowest) tripped id + 1; a clean frame gets both cleared. Returns the
 * count as anomaly_check() does.
 */
int anomaly_mark(struct vno_frame *f, const struct vno_iface *dev, __u64 *mask);

/* The rule with @id, or NULL past the end of the table. */
const struct anomaly_rule *anomaly_rule(unsigned id);
/* Number of rules; ids run 0 .. anomaly_count() - 1. */
unsigned anomaly_count(void);
/* Rule name for an id, "?" when unknown (e.g. a newer capture). */
const char *anomaly_name(unsigned id);
/* Id for a rule name, -1 when unknown. */
int anomaly_parse(const char *name);

/* Is @dev a tap/tun-like device, i.e. a frame arriving there came from a
 * guest or a user-space program writing virtio_net_hdr? */
bool anomaly_dev_is_tap(const struct vno_iface *dev);

/*
 * A GSO frame's segments against the MTU of the device that will send them
 * once encapsulated (rule tunnel_segment_over_mtu), in numbers: the L3
 * length of one segment as the tunnel carries it (gso_size + inner L3 and
 * L4 headers), the MTU it must fit (the tunnel device's, or the underlay's
 * less the tunnel's headers), and what the tunnel adds.
 */
struct anomaly_tunnel_fit {
	char tunnel[24];      /* "VXLAN over IPv4", … */
	__u32 segment;	      /* gso_size + inner L3 + L4 headers (TCP: 20 counted) */
	__u32 gso_size, headers;
	__u32 mtu;	      /* what the segment must fit */
	__u32 overhead;	      /* bytes the tunnel adds in front of the segment */
	bool encapsulated;    /* seen on the underlay (mtu is the underlay's less overhead) */
	/* 4 or 6 when segments over mtu will not be fragmented but answered
	 * with ICMP "fragmentation needed" / ICMPv6 "packet too big" (the
	 * frame's IPv4 header says DF, or it is IPv6; rule
	 * df_segment_over_path_mtu); 0 when they would be fragmented or it is
	 * not known. */
	__u8 refused_ip;
};

/* Fill *fit for @f on @dev; false when @f is not a GSO frame at a tunnel
 * device or an encapsulated one, or the device is unknown. */
bool anomaly_tunnel_fit(const struct vno_frame *f, const struct vno_iface *dev,
			struct anomaly_tunnel_fit *fit);
/* "segments of 1488 B (gso_size 1448 + 40 B of headers) > MTU 1450 of
 * vxlan0 (VXLAN over IPv4 adds 50 B: they need 1538 on the underlay)", and
 * with refused_ip "; DF set: …": the rule said with its numbers. */
size_t anomaly_tunnel_fit_str(const struct anomaly_tunnel_fit *fit, const char *dev, char *buf,
			      size_t len);

#endif
