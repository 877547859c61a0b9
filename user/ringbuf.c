// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The events ring buffer, read in place. Written here rather than taken
 * from libbpf's ring_buffer because this loop is the reader's hot path and
 * libbpf's (1.1 and later) costs twice per record where it matters:
 *
 * - it stores the consumer position after every record. The BPF side
 *   reads that position in every bpf_ringbuf_reserve() and in our
 *   bpf_ringbuf_query() before each submit, on the other CPU, so each
 *   record moved the cache line between the two cores. Here it is stored
 *   once per batch (at most every pub_bytes and at the end of a walk);
 *   until then the BPF side sees that much less free space;
 * - its callback sees one record at a time, so nothing the reader will
 *   touch for the next record can be fetched while this one is worked on.
 *   Here the callback is also handed the next committed record.
 *
 * The BPF side writes to one ring per CPU (up to VNO_RINGS, include/vno.h;
 * CPUs past them share): a reservation takes its ring's lock and positions, and
 * with one ring for all CPUs each record moved those lines between the
 * cores. The records of one skb may then sit in two rings, so the walk
 * merges them: it hands over the committed record with the smallest key,
 * the record's first 8 bytes (the timestamp of a struct vno_frame), among
 * the rings' heads. A ring whose head is reserved but not yet committed
 * sits out until it is asked again (RECHECK), as one ring's walk stopped
 * there.
 *
 * The layout is the kernel's ABI (Documentation/bpf/ringbuf.rst,
 * kernel/bpf/ringbuf.c): at mmap offset 0 one writable page holding the
 * consumer position; at offset one page, a read-only page holding the
 * producer position followed by the data area, mapped twice in a row so a
 * record that wraps reads as one piece. Each record starts with an 8-byte
 * header whose first 32 bits are its length, with BPF_RINGBUF_BUSY_BIT set
 * until it is committed and BPF_RINGBUF_DISCARD_BIT when it was discarded;
 * records are 8-byte aligned.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "ringbuf.h"

/* One ring, and where a walk is in it. */
struct ring1 {
	unsigned long *consumer_pos;	/* the writable page */
	const unsigned long *producer_pos;
	const uint8_t *data;		/* 2 * size bytes, the same size bytes twice */
	size_t size, mask;
	unsigned long pub_bytes;	/* store the consumer position this often */
	unsigned long cons, prod, published;
};

struct vno_ring {
	int epfd;
	size_t page, n;
	vno_ring_fn fn;
	void *ctx;
	struct ring1 r[VNO_RINGS];
};

static int ring1_map(struct ring1 *q, int map_fd, size_t page)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	void *p;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &ilen))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	q->size = info.max_entries;
	q->mask = q->size - 1;
	q->pub_bytes = q->size / 32;
	if (q->pub_bytes > 256 * 1024)
		q->pub_bytes = 256 * 1024;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	q->consumer_pos = p;
	p = mmap(NULL, page + 2 * q->size, PROT_READ, MAP_SHARED, map_fd, (off_t)page);
	if (p == MAP_FAILED)
		return -errno;
	q->producer_pos = p;
	q->data = (const uint8_t *)p + page;
	return 0;
}

struct vno_ring *vno_ring__new(const int *map_fds, size_t n, vno_ring_fn fn, void *ctx)
{
	struct epoll_event ee = { .events = EPOLLIN };
	struct vno_ring *r;
	int err;

	if (!map_fds || !n || n > VNO_RINGS || !fn) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (map_fds[i] < 0) {
			errno = EINVAL;
			return NULL;
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fn = fn;
	r->ctx = ctx;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		err = ring1_map(&r->r[i], map_fds[i], r->page);
		r->n = i + 1;
		if (err) {
			errno = -err;
			goto fail;
		}
		if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, map_fds[i], &ee))
			goto fail;
	}
	return r;
fail:
	err = errno;
	vno_ring__free(r);
	errno = err;
	return NULL;
}

void vno_ring__free(struct vno_ring *r)
{
	if (!r)
		return;
	if (r->epfd >= 0)
		close(r->epfd);
	for (size_t i = 0; i < r->n; i++) {
		if (r->r[i].consumer_pos)
			munmap(r->r[i].consumer_pos, r->page);
		if (r->r[i].producer_pos)
			munmap((void *)r->r[i].producer_pos, r->page + 2 * r->r[i].size);
	}
	free(r);
}

int vno_ring__epoll_fd(const struct vno_ring *r)
{
	return r ? r->epfd : -1;
}

#define HDR_SZ 8u
#define FLAGS (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)

static inline uint32_t hdr_len(const struct ring1 *q, unsigned long pos)
{
	return __atomic_load_n((const uint32_t *)(q->data + (pos & q->mask)), __ATOMIC_ACQUIRE);
}

static inline unsigned long rec_end(unsigned long pos, uint32_t len)
{
	return pos + (((len & ~FLAGS) + HDR_SZ + 7) & ~7ul);
}

static inline const void *rec_data(const struct ring1 *q, unsigned long pos)
{
	return q->data + (pos & q->mask) + HDR_SZ;
}

/* The record after the one at q->cons ending at @next_pos, when it is
 * committed. */
static inline const void *peek_next(const struct ring1 *q, unsigned long next_pos)
{
	if (next_pos >= q->prod || (hdr_len(q, next_pos) & FLAGS))
		return NULL;
	return rec_data(q, next_pos);
}

static inline void publish(struct ring1 *q, bool force)
{
	if (q->cons != q->published && (force || q->cons - q->published >= q->pub_bytes)) {
		__atomic_store_n(q->consumer_pos, q->cons, __ATOMIC_RELEASE);
		q->published = q->cons;
	}
}

/* Ring @q's head made a committed record (discarded ones stepped over),
 * its length in *@len and its key in *@key; false when the ring has none
 * now (empty, or its head not committed yet). The producer position is
 * read again only when the walk has reached the last one read. */
static bool head(struct ring1 *q, uint32_t *len, uint64_t *key)
{
	for (;;) {
		if (q->cons >= q->prod) {
			q->prod = __atomic_load_n(q->producer_pos, __ATOMIC_ACQUIRE);
			if (q->cons >= q->prod)
				return false;
		}
		*len = hdr_len(q, q->cons);
		if (*len & BPF_RINGBUF_BUSY_BIT)
			return false;
		if (!(*len & BPF_RINGBUF_DISCARD_BIT))
			break;
		q->cons = rec_end(q->cons, *len);
		publish(q, false);
	}
	*key = 0;
	if ((*len & ~FLAGS) >= sizeof(*key))
		memcpy(key, rec_data(q, q->cons), sizeof(*key));
	return true;
}

/* A ring that had nothing may have a record now, older than the others'
 * heads. It is asked again every RECHECK records, not at each: its
 * positions are lines another CPU is writing. A record it gets meanwhile
 * may come after younger ones of the other rings, by at most those few
 * records' time. */
#define RECHECK 32

/* The ring whose head has the smallest key, or r->n when none is ready;
 * with @ask, the rings not ready are asked again first. */
static size_t pick(struct vno_ring *r, bool *ready, uint32_t *len, uint64_t *key, bool ask)
{
	size_t i, best = r->n;

	for (i = 0; i < r->n; i++) {
		if (!ready[i] && ask)
			ready[i] = head(&r->r[i], &len[i], &key[i]);
		if (ready[i] && (best == r->n || key[i] < key[best]))
			best = i;
	}
	return best;
}

long vno_ring__consume(struct vno_ring *r)
{
	uint32_t len[VNO_RINGS];
	uint64_t key[VNO_RINGS];
	bool ready[VNO_RINGS] = { false };
	long n = 0;
	int ret = 0;
	size_t i, best;

	if (!r)
		return -EINVAL;
	for (i = 0; i < r->n; i++) {
		r->r[i].cons = r->r[i].published = *r->r[i].consumer_pos;
		r->r[i].prod = r->r[i].cons;
	}
	for (;;) {
		struct ring1 *q;
		unsigned long next_pos;

		best = pick(r, ready, len, key, n % RECHECK == 0);
		/* Nothing ready: every ring is asked before the walk ends. */
		if (best == r->n && (best = pick(r, ready, len, key, true)) == r->n)
			break;
		q = &r->r[best];
		next_pos = rec_end(q->cons, len[best]);
		ret = r->fn(r->ctx, rec_data(q, q->cons), len[best], peek_next(q, next_pos));
		q->cons = next_pos;
		publish(q, false);
		if (ret < 0)
			break;
		n++;
		ready[best] = head(q, &len[best], &key[best]);
	}
	for (i = 0; i < r->n; i++)
		publish(&r->r[i], true);
	return ret < 0 ? ret : n;
}
