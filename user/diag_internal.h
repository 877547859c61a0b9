/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the diagnosis files share, not an API: the per-device windows and
 * baselines (diag_window.c) that the suspects (diagnose.c) are computed
 * from, and the counter table and attribute keys both count with.
 */
#ifndef VNO_DIAG_INTERNAL_H
#define VNO_DIAG_INTERNAL_H

#include "diagnose.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An attribute value as one 64-bit key: attr + 1 in the top byte (so no
 * key is 0, the empty slot), the value in the low 56 bits. */
#define KEY(attr, val) (((__u64)((attr) + 1) << 56) | ((__u64)(val) & ((1ull << 56) - 1)))
#define KEY_ATTR(key) ((int)((key) >> 56) - 1)
#define KEY_VAL(key) ((key) & ((1ull << 56) - 1))

/* Attribute keys one frame can have: one per attribute, one per anomaly. */
#define MAX_KEYS (DIAG_ATTR__MAX + ANOMALY__MAX)

/* Open-addressing counter table, fixed size: bounded memory whatever the
 * traffic; values beyond its fill limit are counted per attribute only. */
struct ckey {
	__u64 key;
	__u64 n;
	char name[VNO_IFNAMSIZ]; /* ingress device name */
};

struct ctab {
	struct ckey *e;
	unsigned mask, used;
	__u64 other[DIAG_ATTR__MAX];
};

/* @slots rounded up to a power of two. 0 or -ENOMEM. */
int ctab_init(struct ctab *t, unsigned slots);
void ctab_fini(struct ctab *t);
const struct ckey *ctab_find(const struct ctab *t, __u64 key);
/* Count @key (@name: the ingress device it stands for, or NULL). */
void ctab_add(struct ctab *t, __u64 key, const char *name);

struct origin;

struct ddev {
	__u32 netns, ifindex;
	char name[VNO_IFNAMSIZ];
	bool seen_xmit, seen_done;
	bool seen_drv_done;
	__u64 drv_done_ts, drv_done_latency_ns;	/* the driver's last completion round */
	struct diag_frame *ring;
	__u64 head;	/* records ever stored */
	__u64 *idx;	/* pkt_id -> seq + 1 of its xmit record, direct-mapped */
	unsigned idx_mask;
	struct ctab base;
	__u64 base_total;
};

struct diag {
	struct diag_opts o;
	struct vno_iface *ifs;
	size_t n_ifs;
	/* ifindex -> the interfaces with it, in table order (index + 1, 0
	 * ends): looked up per ingress record, and a capture may list
	 * thousands of interfaces. */
	__u32 *if_head, *if_next;
	unsigned if_mask;
	struct ddev *devs;
	unsigned n_devs;
	unsigned last;	/* index of the last device looked up */
	struct origin *org;
	unsigned org_mask;
	/* An origin was ever noted: until then (no rx or tc-ingress record,
	 * as when only the device frames leave on is watched) the table,
	 * ~0.8 MiB read at random, is not touched. */
	bool org_used;
	__u64 devs_full;	/* records for devices past max_devs */
	/* Features given by diag__set_features(), for feat_dev only. */
	struct vno_features feat;
	char feat_dev[VNO_IFNAMSIZ];
};

/* The first interface in table order that matches, as a scan would find. */
const struct vno_iface *diag_find_iface(const struct diag *d, __u32 netns, __u32 ifindex,
					const char *name);
/* The attribute keys of one frame; @keys holds MAX_KEYS. Returns how many. */
int diag_frame_keys(const struct diag_frame *df, __u64 *keys);
/* The device window @h names (by ifindex, else by name), or NULL. */
struct ddev *diag_find_dev(struct diag *d, const struct vno_hang *h);
/* The name of bucket @idx of a bucketed attribute (gso_size, frame_size). */
const char *diag_bucket_name(int attr, __u64 idx);

#endif
