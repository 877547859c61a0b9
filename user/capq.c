// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The single-producer single-consumer message queue of capq.h. Positions
 * only grow (size_t, wrapping is harmless); a message never straddles the
 * buffer's end: where it would, a skip marker fills the rest. Head and tail
 * are sequentially consistent atomics, so a side that announces it sleeps
 * (a flag, then a re-check of the other's position) and a side that moved
 * its position (then reads the flag) cannot both miss each other; the wake
 * itself goes through the mutex, so it cannot land before the wait.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "capq.h"

#define HDR 8u
#define KIND_SKIP UINT32_MAX

struct capq {
	uint8_t *buf;
	size_t cap, wake_at;
	_Atomic size_t head, tail;
	_Atomic bool consumer_sleeps, producer_waits;
	pthread_mutex_t lock;
	pthread_cond_t data, room;
	/* producer only */
	size_t res_at, res_n; /* the reserved message: where, how long */
	/* consumer only */
	size_t cur_total;
};

static size_t total_of(size_t n)
{
	return (HDR + n + 7) & ~(size_t)7;
}

struct capq *capq__new(size_t cap, size_t wake_at)
{
	struct capq *q;

	if (!cap || (cap & (cap - 1)) || cap < 4096) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->buf = malloc(cap);
	if (!q->buf) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	q->cap = cap;
	/* A full queue must have woken the consumer. */
	q->wake_at = wake_at && wake_at <= cap / 2 ? wake_at : cap / 2;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->data, NULL);
	pthread_cond_init(&q->room, NULL);
	return q;
}

void capq__free(struct capq *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->data);
	pthread_mutex_destroy(&q->lock);
	free(q->buf);
	free(q);
}

static void wake(pthread_cond_t *c, pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	pthread_cond_signal(c);
	pthread_mutex_unlock(m);
}

void *capq_reserve(struct capq *q, size_t n)
{
	size_t total = total_of(n), head = atomic_load_explicit(&q->head, memory_order_relaxed);
	size_t pos = head & (q->cap - 1), skip = q->cap - pos < total ? q->cap - pos : 0;

	if (n > q->cap / 8)
		return NULL;
	if (q->cap - (head - atomic_load(&q->tail)) < skip + total) {
		pthread_mutex_lock(&q->lock);
		atomic_store(&q->producer_waits, true);
		while (q->cap - (head - atomic_load(&q->tail)) < skip + total) {
			/* Whatever waits is enough to be worth a look. */
			pthread_cond_signal(&q->data);
			pthread_cond_wait(&q->room, &q->lock);
		}
		atomic_store(&q->producer_waits, false);
		pthread_mutex_unlock(&q->lock);
	}
	if (skip) {
		uint32_t h[2] = { 0, KIND_SKIP };

		memcpy(q->buf + pos, h, sizeof(h));
		pos = 0;
	}
	q->res_at = head + skip;
	q->res_n = n;
	return q->buf + pos + HDR;
}

void capq_publish(struct capq *q, uint32_t kind, bool now)
{
	uint32_t h[2] = { (uint32_t)q->res_n, kind };
	size_t head = q->res_at + total_of(q->res_n);

	memcpy(q->buf + (q->res_at & (q->cap - 1)), h, sizeof(h));
	atomic_store(&q->head, head);
	if (atomic_load(&q->consumer_sleeps) &&
	    (now || head - atomic_load(&q->tail) >= q->wake_at))
		wake(&q->data, &q->lock);
}

void *capq_next(struct capq *q, uint32_t *kind, size_t *n)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint32_t h[2];

	for (;;) {
		if (atomic_load(&q->head) == tail) {
			pthread_mutex_lock(&q->lock);
			atomic_store(&q->consumer_sleeps, true);
			while (atomic_load(&q->head) == tail)
				pthread_cond_wait(&q->data, &q->lock);
			atomic_store(&q->consumer_sleeps, false);
			pthread_mutex_unlock(&q->lock);
		}
		memcpy(h, q->buf + (tail & (q->cap - 1)), sizeof(h));
		if (h[1] != KIND_SKIP)
			break;
		tail += q->cap - (tail & (q->cap - 1));
		atomic_store(&q->tail, tail);
	}
	*kind = h[1];
	*n = h[0];
	q->cur_total = total_of(h[0]);
	return q->buf + (tail & (q->cap - 1)) + HDR;
}

void capq_release(struct capq *q)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed) + q->cur_total;

	atomic_store(&q->tail, tail);
	q->cur_total = 0;
	/* A waiting producer is woken once half the queue is free, not for
	 * each message taken: it then writes a batch without waiting. Half is
	 * more than the largest message and the skip before it. */
	if (atomic_load(&q->producer_waits) && atomic_load(&q->head) - tail <= q->cap / 2)
		wake(&q->room, &q->lock);
}
