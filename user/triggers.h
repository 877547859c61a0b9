/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Hang triggers that record watches besides the ring buffer: completion
 * stalls (from the BPF queue state), carrier flaps (rtnetlink), and the
 * stall rule itself, kept pure so it can be tested without a kernel.
 */
#ifndef VNO_TRIGGERS_H
#define VNO_TRIGGERS_H

#include <stdbool.h>
#include "diagnose.h"
#include "vno.h"

/* Fewer frames pending than this is a frame that vanished without a
 * tracepoint (see struct vno_queue_stat), not a stall. */
#define STALL_MIN_PENDING 3

/* Is this queue stalled at @now: frames handed over since its last
 * completion, the first of them more than @stall_ns ago? */
bool stall_check(const struct vno_queue_stat *st, __u64 now, __u64 stall_ns);

/*
 * Does the stall trigger make sense on this device? Only where the driver
 * releases a frame when it is sent (NICs, tun/tap, virtio_net): software
 * devices that hand the skb on (veth, bridge, bonds, tunnels, lo) see it
 * released wherever it ends, often through frees with no tracepoint (TCP
 * coalescing, UDP delivery), so "no completion" means nothing there.
 */
bool stall_applies(const struct vno_iface *dev);

/* Carrier changes of the interfaces of this namespace. */
struct carrier_watch;
struct carrier_watch *carrier_watch__open(void);
int carrier_watch__fd(const struct carrier_watch *w);
/* A link message: an interface created or changed, or deleted (gone). */
struct carrier_link {
	bool gone;
	__u32 ifindex;
	unsigned flags;			/* IFF_* */
	char name[VNO_IFNAMSIZ];	/* "" when the message had none */
};
/* Read pending link messages: @link_fn (may be NULL) sees each; for each
 * watched ifindex (any value) whose carrier went down, fill @h (source
 * carrier) and call @fn. */
int carrier_watch__read(struct carrier_watch *w, const struct vno_iface *ifs, size_t n,
			int (*fn)(const struct vno_hang *h, void *ctx),
			int (*link_fn)(const struct carrier_link *ev, void *ctx), void *ctx);
void carrier_watch__free(struct carrier_watch *w);

#endif
