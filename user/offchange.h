/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An offload_change: a watched device's offload features switched while a
 * session ran (ethtool -K, a driver, a bridge recomputing its own). One
 * record, written as a JSON line, a terminal line and a capture note, and
 * read back from the note by report.
 */
#ifndef VNO_OFFCHANGE_H
#define VNO_OFFCHANGE_H

#include <stdio.h>
#include <linux/types.h>
#include "ethfeatures.h"
#include "vno.h"

/* More than any device has features (64 bits of netdev_features_t). */
#define OFFLOAD_CHANGE_MAX 64

struct offload_change {
	__u64 ts_ns;		/* CLOCK_MONOTONIC, when it was noticed */
	__u32 netns, ifindex;
	char dev[VNO_IFNAMSIZ];
	char driver[32];	/* "" unknown */
	char vm[64];		/* the VM behind a tap; "" none known */
	unsigned n;		/* in c[] */
	struct vno_feature_change c[OFFLOAD_CHANGE_MAX];
};

/* {"type":"offload_change",…}\n (also the capture note's text, without
 * the newline). */
void offload_change_json(FILE *out, const struct offload_change *oc);
/* "OFFLOAD up0 (veth) at 1458.409314 s: tx-generic-segmentation on -> off"
 * (CLOCK_MONOTONIC, as the HANG line says its time). */
void offload_change_print(FILE *out, const struct offload_change *oc);
/* A capture note's JSON (@len bytes, NUL after) back into @oc: 0, or
 * -EINVAL when it is not one (a device, at least one change). */
int offload_change_from_json(const char *json, size_t len, struct offload_change *oc);

#endif
