/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A bounded queue of messages from one thread to one other (single
 * producer, single consumer): the capture writer's hand-off from the ring
 * buffer's reader to its compressing thread. Messages are copied into one
 * contiguous buffer; the producer waits while it is full (the kernel's ring
 * buffer then fills, and what it drops is counted as lost events, as when
 * the reader itself is too slow). The consumer sleeps until @wake_at bytes
 * wait or a message asks to be seen at once, so a busy producer wakes it
 * once per batch, not once per message.
 *
 * Written here rather than taken from a library: the Debian packages with
 * such queues (liburcu, concurrencykit) would be a dependency for ~150
 * lines, and neither blocks a full producer nor batches wake-ups.
 */
#ifndef VNO_CAPQ_H
#define VNO_CAPQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capq;

/* @cap a power of two (bytes); messages up to @cap / 8. NULL with errno. */
struct capq *capq__new(size_t cap, size_t wake_at);
void capq__free(struct capq *q);

/* Producer: room for a message of @n bytes, waiting while the queue is
 * full; then capq_publish() with its @kind. NULL if @n is too large. */
void *capq_reserve(struct capq *q, size_t n);
/* @wake: the consumer sees it now, however little waits. */
void capq_publish(struct capq *q, uint32_t kind, bool wake);

/* Consumer: the oldest message (its kind and length), waiting for one;
 * capq_release() once done with it. */
void *capq_next(struct capq *q, uint32_t *kind, size_t *n);
void capq_release(struct capq *q);

#endif
