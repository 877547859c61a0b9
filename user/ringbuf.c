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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "ringbuf.h"

struct vno_ring {
	int epfd;
	unsigned long *consumer_pos;	/* the writable page */
	const unsigned long *producer_pos;
	const uint8_t *data;		/* 2 * size bytes, the same size bytes twice */
	size_t size, mask, page;
	unsigned long pub_bytes;	/* store the consumer position this often */
	vno_ring_fn fn;
	void *ctx;
};

struct vno_ring *vno_ring__new(int map_fd, vno_ring_fn fn, void *ctx)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	struct epoll_event ee = { .events = EPOLLIN };
	struct vno_ring *r;
	void *p;
	int err;

	if (map_fd < 0 || !fn) {
		errno = EINVAL;
		return NULL;
	}
	if (bpf_obj_get_info_by_fd(map_fd, &info, &ilen))
		return NULL;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1))) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->epfd = -1;
	r->fn = fn;
	r->ctx = ctx;
	r->size = info.max_entries;
	r->mask = r->size - 1;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->pub_bytes = r->size / 32;
	if (r->pub_bytes > 256 * 1024)
		r->pub_bytes = 256 * 1024;

	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->consumer_pos = p;
	p = mmap(NULL, r->page + 2 * r->size, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page);
	if (p == MAP_FAILED)
		goto fail;
	r->producer_pos = p;
	r->data = (const uint8_t *)p + r->page;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, map_fd, &ee))
		goto fail;
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
	if (r->consumer_pos)
		munmap(r->consumer_pos, r->page);
	if (r->producer_pos)
		munmap((void *)r->producer_pos, r->page + 2 * r->size);
	free(r);
}

int vno_ring__epoll_fd(const struct vno_ring *r)
{
	return r ? r->epfd : -1;
}

#define HDR_SZ 8u
#define FLAGS (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)

static inline uint32_t hdr_len(const struct vno_ring *r, unsigned long pos)
{
	return __atomic_load_n((const uint32_t *)(r->data + (pos & r->mask)), __ATOMIC_ACQUIRE);
}

static inline unsigned long rec_end(unsigned long pos, uint32_t len)
{
	return pos + (((len & ~FLAGS) + HDR_SZ + 7) & ~7ul);
}

long vno_ring__consume(struct vno_ring *r)
{
	unsigned long cons, prod, published, next_pos;
	uint32_t len, nlen;
	const void *next;
	long n = 0;
	int ret = 0;

	if (!r)
		return -EINVAL;
	cons = published = *r->consumer_pos;
	for (;;) {
		prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		while (cons < prod) {
			len = hdr_len(r, cons);
			if (len & BPF_RINGBUF_BUSY_BIT)
				goto out; /* reserved, not committed yet: next time */
			next_pos = rec_end(cons, len);
			next = NULL;
			if (next_pos < prod) {
				nlen = hdr_len(r, next_pos);
				if (!(nlen & FLAGS))
					next = r->data + (next_pos & r->mask) + HDR_SZ;
			}
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				ret = r->fn(r->ctx, r->data + (cons & r->mask) + HDR_SZ, len, next);
				if (ret < 0) {
					cons = next_pos;
					goto out;
				}
				n++;
			}
			cons = next_pos;
			if (cons - published >= r->pub_bytes) {
				__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
				published = cons;
			}
		}
	}
out:
	if (cons != published)
		__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
	return ret < 0 ? ret : n;
}
