/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The events ring buffer's reader: a BPF_MAP_TYPE_RINGBUF consumed in
 * place (see ringbuf.c for why not through libbpf's ring_buffer).
 */
#ifndef VNO_RINGBUF_H
#define VNO_RINGBUF_H

#include <stddef.h>
#include "vno.h"

struct vno_ring;

/* @data: a committed record, @len its length; @next: the record after it
 * when that one is already committed (for the caller to prefetch what it
 * will touch next), else NULL. Returns 0, or < 0 to stop the walk. */
typedef int (*vno_ring_fn)(void *ctx, const void *data, size_t len, const void *next);

/* The reader of @n (1..VNO_RINGS) ring buffer maps (one per CPU on the
 * BPF side), their records merged by key (ringbuf.c). NULL with errno set
 * on failure. */
struct vno_ring *vno_ring__new(const int *map_fds, size_t n, vno_ring_fn fn, void *ctx);
void vno_ring__free(struct vno_ring *r);
/* Readable (EPOLLIN) when the BPF side woke the reader. */
int vno_ring__epoll_fd(const struct vno_ring *r);
/* Every committed record, until none is left, the rings' records in the
 * order of their first 8 bytes (a u64: struct vno_frame's ts_ns); the
 * number handed to the callback, or the callback's error. */
long vno_ring__consume(struct vno_ring *r);

#endif /* VNO_RINGBUF_H */
