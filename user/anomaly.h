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

#endif
