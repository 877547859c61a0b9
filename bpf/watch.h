/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Is this device one of the chosen interfaces, and which: its netns, its
 * position in the fixed table and its flight recorder slot (struct
 * vno_where), from the rodata table or the devs map.
 */
#ifndef VNO_BPF_WATCH_H
#define VNO_BPF_WATCH_H

#include "maps.h"

static __always_inline __u32 vno_dev_netns(const struct net_device *dev, bool direct)
{
	return direct ? dev->nd_net.net->ns.inum : BPF_CORE_READ(dev, nd_net.net, ns.inum);
}

/* Is (netns, ifindex) one of the chosen interfaces? *slot is its flight
 * recorder slot + 1, 0 for none. */
static __always_inline bool vno_watched_slot(__u32 netns, __u32 ifindex, __u32 *slot)
{
	struct vno_dev_key k = { .netns = netns, .ifindex = ifindex };
	struct vno_dev_val *v = bpf_map_lookup_elem(&devs, &k);

	if (v) {
		*slot = v->slot;
		return true;
	}
	*slot = 0;
	return cfg_all_ifaces && netns == cfg_netns;
}

static __always_inline bool vno_watched(__u32 netns, __u32 ifindex)
{
	__u32 slot;

	return vno_watched_slot(netns, ifindex, &slot);
}

/* A watched device as the hooks know it. */
struct vno_where {
	__u32 netns;
	__u32 ifindex;
	__u32 slot;	/* flight recorder slot + 1, 0: none */
	__u32 idx;	/* position + 1 in the fixed table (cfg_ifindexes), 0: none */
};

/* Is @dev (@ifindex already read) watched? Its netns is read only when the
 * ifindex is one of ours. */
static __always_inline bool vno_dev_watched(const struct net_device *dev, __u32 ifindex,
					    bool direct, struct vno_where *w)
{
	/* Every field set on every path: the verifier refuses a register
	 * the compiler may copy uninitialised. */
	w->netns = 0;
	w->slot = 0;
	w->ifindex = ifindex;
	w->idx = 0;
	if (!cfg_n_ifindexes) {
		w->netns = vno_dev_netns(dev, direct);
		return vno_watched_slot(w->netns, ifindex, &w->slot);
	}
	for (int i = 0; i < VNO_QUICK_IFS; i++) {
		if (i >= cfg_n_ifindexes)
			break;
		if (cfg_ifindexes[i] != ifindex)
			continue;
		w->netns = vno_dev_netns(dev, direct);
		if (w->netns == cfg_if_netns[i]) {
			w->slot = cfg_if_slot[i];
			w->idx = i + 1;
			return true;
		}
	}
	return false;
}

#endif /* VNO_BPF_WATCH_H */
