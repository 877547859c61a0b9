// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The watched set at run time (loader.h, used by live.c): an interface that
 * appears gets its entry in the watched-interface hash, a free flight
 * recorder slot and the TC programs; one that goes gives them back, and its
 * in-kernel aggregates, queue states and drop counts are removed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "loader_int.h"

int loader_iface_add(struct loader *l, const struct vno_iface *it)
{
	struct vno_dev_key k = { .netns = it->netns, .ifindex = it->ifindex };
	struct vno_dev_val v = { .mtu = it->mtu };
	int ret = 0;

	if (!l || !l->skel || !it->ifindex)
		return -EINVAL;
	if (l->n_fixed)
		return -EBUSY;
	for (unsigned s = 0; l->window && s < l->n_slots; s++) {
		__u64 head = 0;

		if (l->first[s].ifindex)
			continue;
		/* The ring starts over: nothing of the slot's last device is
		 * read as this one's. */
		if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.flight_head), &s, &head, BPF_ANY))
			break;
		l->first[s] = k;
		v.slot = s + 1;
		break;
	}
	if (bpf_map__update_elem(l->skel->maps.devs, &k, sizeof(k), &v, sizeof(v), BPF_ANY)) {
		ret = -errno;
		if (v.slot)
			l->first[v.slot - 1] = (struct vno_dev_key){};
		return ret;
	}
	if (l->tc_used != TC_OFF)
		ret = tc_links_add(&l->tc, bpf_program__fd(l->skel->progs.vno_tc_ingress),
				   bpf_program__fd(l->skel->progs.vno_tc_egress), it->ifindex,
				   l->tc_used == TC_TCX);
	return ret;
}

/* Delete every key of hash @fd whose first two u32s are (@netns, @ifindex).
 * Keys are collected first: deleting while walking would restart the walk. */
static void purge_keys(int fd, size_t ksize, __u32 netns, __u32 ifindex)
{
	__u8 key[64], next[64], *v = NULL;
	size_t n = 0, cap = 0;
	bool first = true;

	if (ksize > sizeof(key))
		return;
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		__u32 id[2];

		first = false;
		memcpy(key, next, ksize);
		memcpy(id, key, sizeof(id));
		if (id[0] != netns || id[1] != ifindex)
			continue;
		if (n == cap) {
			void *p = realloc(v, (cap ? cap * 2 : 16) * ksize);

			if (!p)
				break;
			v = p;
			cap = cap ? cap * 2 : 16;
		}
		memcpy(v + n++ * ksize, key, ksize);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, v + i * ksize);
	free(v);
}

void loader_iface_purge(struct loader *l, __u32 netns, __u32 ifindex)
{
	if (!l || !l->skel)
		return;
	purge_keys(bpf_map__fd(l->skel->maps.stats), sizeof(struct vno_stats_key), netns, ifindex);
	purge_keys(bpf_map__fd(l->skel->maps.queues), sizeof(struct vno_queue_key), netns, ifindex);
	purge_keys(bpf_map__fd(l->skel->maps.drops), sizeof(struct vno_drop_key), netns, ifindex);
}

int loader_iface_remove(struct loader *l, __u32 netns, __u32 ifindex)
{
	struct vno_dev_key k = { .netns = netns, .ifindex = ifindex };

	if (!l || !l->skel || !ifindex)
		return -EINVAL;
	if (l->n_fixed)
		return -EBUSY;
	bpf_map__delete_elem(l->skel->maps.devs, &k, sizeof(k), 0);
	for (unsigned s = 0; s < l->n_slots; s++)
		if (l->first[s].netns == netns && l->first[s].ifindex == ifindex)
			l->first[s] = (struct vno_dev_key){};
	tc_links_remove(&l->tc, ifindex);
	loader_iface_purge(l, netns, ifindex);
	return 0;
}

void loader_slots(const struct loader *l, unsigned *used, unsigned *total)
{
	*used = 0;
	*total = l && l->window ? l->n_slots : 0;
	for (unsigned s = 0; s < *total; s++)
		*used += !!l->first[s].ifindex;
}
