/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The offload features of a live session's watched devices, all of them,
 * kept while it runs: read when a device joins the set, read again when
 * ethtool says they changed, forgotten when it leaves. What export's
 * vnoffload_offload_enabled gauge shows, and where offload_change records
 * come from.
 */
#ifndef VNO_OFFWATCH_H
#define VNO_OFFWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "ethfeatures.h"
#include "ifaces.h"
#include "offchange.h"

/* Without ethtool netlink notifications, every device is read this often. */
#define OFFWATCH_POLL_NS 1000000000ULL

struct offwatch_dev {
	__u32 netns, ifindex;
	char name[VNO_IFNAMSIZ];
	struct vno_features fs;	/* n 0: the device answers no feature query */
	bool dirty;		/* a notification named it: read it again */
};

struct offwatch {
	struct offwatch_dev *d;
	size_t n, cap;
	struct ethmon *mon;	/* NULL: read every OFFWATCH_POLL_NS instead */
	__u64 next_poll;
	bool all_dirty;		/* notifications were lost */
};

/* @notify: subscribe to ethtool netlink (a live session); without it, or
 * where the kernel has none, offwatch_check() reads every device each
 * OFFWATCH_POLL_NS. NULL on ENOMEM. */
struct offwatch *offwatch__new(bool notify);
void offwatch__free(struct offwatch *ow);
/* How changes are noticed, for a sentence: "ethtool netlink notifications"
 * or "a read every second". */
const char *offwatch_how(const struct offwatch *ow);

/* Keep exactly the devices of @sel (@n; ifindex 0 and those @gone marks
 * are holes): read the new ones' features, forget those gone. */
void offwatch_sync(struct offwatch *ow, const struct vno_iface *sel, const unsigned char *gone,
		   size_t n);
/* Read again what changed (notifications queued, or the periodic read when
 * due at @now) and call @fn for each device whose features differ from
 * what was kept; @fn fills the change's driver and vm. */
void offwatch_check(struct offwatch *ow, __u64 now,
		    void (*fn)(struct offload_change *oc, void *ctx), void *ctx);
/* The features of one kept device, or NULL. */
const struct offwatch_dev *offwatch_find(const struct offwatch *ow, __u32 netns, __u32 ifindex);

#endif
