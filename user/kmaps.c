// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Readers of a loaded run's kernel maps: counters, TX queues and the
 * oldest frame in flight on one, a device's flight recorder, aggregates
 * and drops. Per-CPU values are summed; the fixed interfaces' arrays are
 * read back as the keyed entries the hash maps would hold.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader_int.h"
#include "kmaps.h"

int loader_counters(const struct loader *l, __u64 out[VNO_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	memset(out, 0, sizeof(__u64) * VNO_CNT__MAX);
	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < VNO_CNT__MAX; k++) {
		if (bpf_map__lookup_elem(l->skel->maps.counters, &k, sizeof(k), vals,
					 sizeof(*vals) * ncpu, 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

/* An array of @size-byte entries that doubles as they are added. */
struct grow {
	void *v;
	size_t n, cap, size;
};

static void *grow_next(struct grow *g)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 32;
		void *p = realloc(g->v, cap * g->size);

		if (!p)
			return NULL;
		g->v = p;
		g->cap = cap;
	}
	return (char *)g->v + g->n++ * g->size;
}

/* Sum a per-CPU value of @words u64s over CPUs into @dst. */
static void sum_percpu(__u64 *dst, const __u64 *vals, int ncpu, size_t words)
{
	memset(dst, 0, words * sizeof(*dst));
	for (int c = 0; c < ncpu; c++)
		for (size_t w = 0; w < words; w++)
			dst[w] += vals[c * words + w];
}

int loader_queues(const struct loader *l, struct loader_queue **out, size_t *n)
{
	struct grow g = { .size = sizeof(**out) };
	struct vno_queue_key k, next, *prev = NULL;
	int fd = bpf_map__fd(l->skel->maps.queues), cfd, ncpu = libbpf_num_possible_cpus();
	struct vno_queue_count *cnt = NULL;
	struct loader_queue *q;

	*out = NULL;
	*n = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (!(q = grow_next(&g)))
			goto nomem;
		if (bpf_map_lookup_elem(fd, &next, &q->st) == 0)
			q->key = next;
		else
			g.n--;
		k = next;
		prev = &k;
	}
	/* The fixed interfaces' first queues, by position: those used, with
	 * their counters summed over CPUs. */
	fd = bpf_map__fd(l->skel->maps.queues_fixed);
	cfd = bpf_map__fd(l->skel->maps.queue_counts);
	if (l->n_fixed && (ncpu <= 0 || !(cnt = calloc(ncpu, sizeof(*cnt)))))
		goto nomem;
	for (unsigned i = 0; i < l->n_fixed; i++)
		for (unsigned qi = 0; qi < VNO_FIXED_QUEUES; qi++) {
			__u32 idx = VNO_QUEUE_FIXED_IDX(i, qi);
			struct vno_queue_count c;
			struct vno_queue_stat st;

			/* The counters first: most queues are unused, and
			 * their state need not be read. */
			if (bpf_map_lookup_elem(cfd, &idx, cnt))
				continue;
			sum_percpu((__u64 *)&c, (const __u64 *)cnt, ncpu, sizeof(c) / 8);
			if ((!c.xmit && !c.done && !c.freed && !c.unseen) || bpf_map_lookup_elem(fd, &idx, &st))
				continue;
			if (!(q = grow_next(&g)))
				goto nomem;
			q->key = (struct vno_queue_key){ .netns = l->first[i].netns,
							 .ifindex = l->first[i].ifindex, .queue = qi };
			st.xmit = c.xmit;
			st.done = c.done;
			st.freed = c.freed;
			st.unseen = c.unseen;
			q->st = st;
		}
	free(cnt);
	for (size_t i = 0; i < g.n; i++) {
		struct loader_queue *lq = &((struct loader_queue *)g.v)[i];

		lq->inflight = (__s64)(lq->st.xmit - lq->st.done - lq->st.freed - lq->st.unseen);
	}
	*out = g.v;
	*n = g.n;
	return 0;
nomem:
	free(cnt);
	free(g.v);
	return -ENOMEM;
}

__u64 loader_oldest_inflight(const struct loader *l, const struct vno_queue_key *q)
{
	enum { BATCH = 4096 };
	int fd = bpf_map__fd(l->skel->maps.ids);
	__u32 *keys = malloc(BATCH * sizeof(*keys)), in_batch, out_batch;
	struct vno_skb_state *v = malloc(BATCH * sizeof(*v));
	__u64 oldest = 0;
	bool first = true, last = false;

	while (keys && v && !last) {
		__u32 n = BATCH;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys, v,
					       &n, NULL);

		if (ret && errno != ENOENT)
			break;
		last = ret != 0;
		for (__u32 i = 0; i < n; i++)
			if (v[i].addr && v[i].xmit_ts && v[i].xmit_netns == q->netns &&
			    v[i].xmit_if == q->ifindex && v[i].queue == q->queue &&
			    (!oldest || v[i].xmit_ts < oldest))
				oldest = v[i].xmit_ts;
		in_batch = out_batch;
		first = false;
	}
	free(keys);
	free(v);
	return oldest;
}

int loader_flight(const struct loader *l, __u32 netns, __u32 ifindex, struct vno_frame **out,
		  size_t *n)
{
	int fd = bpf_map__fd(l->skel->maps.flight), hfd = bpf_map__fd(l->skel->maps.flight_head);
	struct vno_frame *v;
	__u64 head = 0;
	__u32 slot, cnt = 0;

	*out = NULL;
	*n = 0;
	for (slot = 0; slot < l->n_slots; slot++)
		if (l->first[slot].netns == netns && l->first[slot].ifindex == ifindex)
			break;
	if (!l->window || slot == l->n_slots)
		return -ENOENT;
	if (bpf_map_lookup_elem(hfd, &slot, &head))
		return -errno;
	v = calloc(l->window, sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* Oldest first: from head - window (or 0) up to head. */
	for (__u64 i = head > l->window ? head - l->window : 0; i < head; i++) {
		__u32 idx = slot * l->window + (__u32)(i & (l->window - 1));

		if (bpf_map_lookup_elem(fd, &idx, &v[cnt]) == 0 && v[cnt].version)
			cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/*
 * Every entry of per-CPU hash @fd: @fn gets its key and the values of all
 * CPUs (@vsize bytes each) to fold. 0, or -ENOMEM.
 */
static int percpu_each(int fd, size_t ksize, size_t vsize,
		       int (*fn)(const void *key, const __u64 *vals, int ncpu, void *ctx), void *ctx)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	__u8 key[64], next[64];
	bool first = true;
	__u64 *vals;

	if (ncpu <= 0 || ksize > sizeof(key))
		return -EINVAL;
	vals = calloc(ncpu, vsize);
	if (!vals)
		return -ENOMEM;
	while (!ret && bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		first = false;
		memcpy(key, next, ksize);
		if (bpf_map_lookup_elem(fd, key, vals) == 0)
			ret = fn(key, vals, ncpu, ctx);
	}
	free(vals);
	return ret;
}

static int add_stat(const void *key, const __u64 *vals, int ncpu, void *ctx)
{
	struct loader_stat *s = grow_next(ctx);

	if (!s)
		return -ENOMEM;
	memcpy(&s->key, key, sizeof(s->key));
	sum_percpu((__u64 *)&s->st, vals, ncpu, sizeof(s->st) / 8);
	return 0;
}

static int add_drop(const void *key, const __u64 *vals, int ncpu, void *ctx)
{
	struct loader_drop *d = grow_next(ctx);

	if (!d)
		return -ENOMEM;
	memcpy(&d->key, key, sizeof(d->key));
	sum_percpu(&d->count, vals, ncpu, 1);
	return 0;
}

/* The fixed interfaces' aggregates, by position, as keyed ones. */
static int add_fixed_stats(const struct loader *l, struct grow *g)
{
	int fd = bpf_map__fd(l->skel->maps.stats_fixed), ncpu = libbpf_num_possible_cpus();
	struct vno_stats *vals;
	int ret = 0;

	if (!l->n_fixed)
		return 0;
	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (unsigned i = 0; i < l->n_fixed && !ret; i++)
		for (unsigned hop = 0; hop < VNO_HOP__MAX && !ret; hop++)
			for (unsigned gk = 0; gk < VNO_GK__MAX && !ret; gk++) {
				__u32 k = VNO_STATS_FIXED_IDX(i, hop, gk);
				struct vno_stats_key key = { .netns = l->first[i].netns,
							     .ifindex = l->first[i].ifindex,
							     .hop = hop, .gso_kind = gk };
				struct loader_stat *s;

				if (bpf_map_lookup_elem(fd, &k, vals))
					continue;
				s = grow_next(g);
				if (!s) {
					ret = -ENOMEM;
					break;
				}
				s->key = key;
				sum_percpu((__u64 *)&s->st, (__u64 *)vals, ncpu, sizeof(s->st) / 8);
				/* Only what was seen, as the hash map holds. */
				if (!s->st.frames && !s->st.lat_count)
					g->n--;
			}
	free(vals);
	return ret;
}

int loader_stats(const struct loader *l, struct loader_stat **out, size_t *n)
{
	struct grow g = { .size = sizeof(**out) };
	int ret = percpu_each(bpf_map__fd(l->skel->maps.stats), sizeof(struct vno_stats_key),
			      sizeof(struct vno_stats), add_stat, &g);

	if (!ret)
		ret = add_fixed_stats(l, &g);

	if (ret) {
		free(g.v);
		g.v = NULL;
		g.n = 0;
	}
	*out = g.v;
	*n = g.n;
	return ret;
}

int loader_drops(const struct loader *l, struct loader_drop **out, size_t *n)
{
	struct grow g = { .size = sizeof(**out) };
	int ret = percpu_each(bpf_map__fd(l->skel->maps.drops), sizeof(struct vno_drop_key),
			      sizeof(__u64), add_drop, &g);

	if (ret) {
		free(g.v);
		g.v = NULL;
		g.n = 0;
	}
	*out = g.v;
	*n = g.n;
	return ret;
}
