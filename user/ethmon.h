/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which devices' offload features changed: ethtool netlink's "monitor" group. */
#ifndef VNO_ETHMON_H
#define VNO_ETHMON_H

#include <linux/types.h>

struct ethmon;

/*
 * Subscribe to ethtool netlink's notifications in the current network
 * namespace. NULL with errno when the kernel has no ethtool netlink family
 * (before 5.6: ENOENT) or the socket cannot be had.
 */
struct ethmon *ethmon__open(void);
void ethmon__free(struct ethmon *em);
/*
 * Read what is queued, without waiting: @fn for each device whose features
 * a FEATURES_NTF says changed (maybe twice for one change). 0, -ENOBUFS
 * when notifications were lost (the caller reads every device again), or
 * -errno.
 */
int ethmon_read(struct ethmon *em, void (*fn)(__u32 ifindex, void *ctx), void *ctx);

#endif
