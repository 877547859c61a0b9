// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * user/ringbuf.c against a real BPF ring buffer: a socket filter run with
 * BPF_PROG_TEST_RUN writes one record per run (the packet's length, so a
 * test knows what it planted), or reserves one and discards it when that
 * length is odd. Needs BPF (root); skipped with the reason otherwise.
 * The wakeup rule the BPF side submits with (vno_wake_crossed) is pure
 * arithmetic and needs nothing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ringbuf.h"
#include "vno.h"

#define RING 4096 /* one page: a few hundred records wrap it */

struct seen;

struct rb_fixture {
	int map_fd, prog_fd;
	int map_fd2, prog_fd2; /* a second ring, for the merge */
	struct seen *s;
	struct vno_ring *r;
};

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static int load_prog(int map_fd, char *log, size_t loglen)
{
	/* r6 = skb->len; if odd: reserve 8 bytes and discard them; else
	 * output r6 as an 8-byte record. */
	struct bpf_insn p[] = {
		INSN(BPF_LDX | BPF_W | BPF_MEM, 6, 1, 0, 0),		/* r6 = *(u32 *)(r1 + 0) */
		INSN(BPF_STX | BPF_DW | BPF_MEM, 10, 6, -8, 0),	/* *(u64 *)(r10 - 8) = r6 */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 6, 0, 0),		/* r7 = r6 */
		INSN(BPF_ALU64 | BPF_AND | BPF_K, 7, 0, 0, 1),		/* r7 &= 1 */
		INSN(BPF_JMP | BPF_JNE | BPF_K, 7, 0, 7, 0),		/* if r7 != 0 goto discard */
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),	/* r2 = r10 */
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -8),		/* r2 -= 8 */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 8),		/* r3 = 8 */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, BPF_RB_NO_WAKEUP),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output),
		/* discard: */
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 9, 0),		/* if r7 == 0 goto out */
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 8),		/* r2 = 8 */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0),		/* r3 = 0 */
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_reserve),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0),		/* if !r0 goto out */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 0, 0, 0),		/* r1 = r0 */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, BPF_RB_NO_WAKEUP),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_discard),
		/* out: */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log, .log_size = (__u32)loglen, .log_level = 1);

	return bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "vno_rb_test", "GPL", p,
			     sizeof(p) / sizeof(p[0]), &o);
}

static struct rb_fixture fx = { -1, -1, -1, -1, NULL, NULL };

static void setup(void)
{
	static char log[16384];

	fx.map_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "vno_rb_test", 0, 0, RING, NULL);
	if (fx.map_fd < 0)
		return;
	fx.prog_fd = load_prog(fx.map_fd, log, sizeof(log));
	cr_assert(fx.prog_fd >= 0, "the test program did not load (%s):\n%s", strerror(errno), log);
	fx.map_fd2 = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "vno_rb_test2", 0, 0, RING, NULL);
	cr_assert(fx.map_fd2 >= 0, "a second ring buffer: %s", strerror(errno));
	fx.prog_fd2 = load_prog(fx.map_fd2, log, sizeof(log));
	cr_assert(fx.prog_fd2 >= 0, "the second test program did not load (%s):\n%s",
		  strerror(errno), log);
}

static void teardown(void)
{
	vno_ring__free(fx.r);
	free(fx.s);
	fx.r = NULL;
	fx.s = NULL;
	if (fx.prog_fd >= 0)
		close(fx.prog_fd);
	if (fx.map_fd >= 0)
		close(fx.map_fd);
	if (fx.prog_fd2 >= 0)
		close(fx.prog_fd2);
	if (fx.map_fd2 >= 0)
		close(fx.map_fd2);
	fx.prog_fd = fx.map_fd = fx.prog_fd2 = fx.map_fd2 = -1;
}

static void need_bpf(void)
{
	if (fx.map_fd < 0)
		cr_skip_test("no BPF ring buffer can be made here (%s): the reader needs one "
			     "(run as root)", strerror(errno));
}

/* One run of @prog_fd: a record of @len (even) or a discarded one (odd). */
static void plant_in(int prog_fd, __u32 len)
{
	static char pkt[2048];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = len, .repeat = 1);

	cr_assert_eq(bpf_prog_test_run_opts(prog_fd, &t), 0, "test run: %s", strerror(errno));
}

static void plant(__u32 len)
{
	plant_in(fx.prog_fd, len);
}

struct seen {
	__u64 v[1024];
	const void *data[1024], *next[1024];
	size_t n, stop_at;
};

static int on_rec(void *ctx, const void *data, size_t len, const void *next)
{
	struct seen *s = ctx;

	cr_assert_eq(len, 8);
	cr_assert_lt(s->n, 1024);
	memcpy(&s->v[s->n], data, 8);
	s->v[s->n] += 14; /* a socket filter's skb->len leaves the Ethernet header out */
	s->data[s->n] = data;
	s->next[s->n] = next;
	s->n++;
	return s->stop_at && s->n == s->stop_at ? -EINTR : 0;
}

/* The reader of the fixture's ring, its records into fx.s; skips the test
 * where there is no BPF. */
static struct vno_ring *open_ring(void)
{
	need_bpf();
	fx.s = calloc(1, sizeof(*fx.s));
	cr_assert_not_null(fx.s);
	fx.r = vno_ring__new(&fx.map_fd, 1, on_rec, fx.s);
	cr_assert_not_null(fx.r, "vno_ring__new: %s", strerror(errno));
	return fx.r;
}

/* @n records: @base, @base + 2, ... */
static void plant_run(__u32 base, int n)
{
	int i;

	for (i = 0; i < n; i++)
		plant(base + 2 * (__u32)i);
}

Test(ringbuf, order_discards_next_and_wrap, .init = setup, .fini = teardown)
{
	struct vno_ring *r = open_ring();
	struct seen *s = fx.s;
	__u64 exp[120];
	__u32 len = 20;
	int round, i;
	size_t ne;

	cr_assert_geq(vno_ring__epoll_fd(r), 0);
	cr_assert_eq(vno_ring__consume(r), 0, "an empty ring hands nothing over");
	/* 16 bytes a record, up to 120 a round: 12 rounds wrap a 4 KiB ring
	 * several times. Every third run is odd and discarded. */
	for (round = 0; round < 12; round++) {
		s->n = ne = 0;
		for (i = 0; i < 120; i++) {
			__u32 l = len + 2 * (__u32)i + (i % 3 == 2);

			plant(l);
			if (!(l & 1))
				exp[ne++] = l;
		}
		len += 240;
		if (len > 1500)
			len = 20;
		cr_assert_eq(vno_ring__consume(r), (long)ne, "round %d", round);
		cr_assert_eq(s->n, ne);
		for (i = 0; i < (int)ne; i++) {
			cr_assert_eq(s->v[i], exp[i], "round %d record %d: %llu, want %llu", round, i,
				     (unsigned long long)s->v[i], (unsigned long long)exp[i]);
			/* next: the record handed over after this one, or NULL
			 * when a discarded one lies between them. */
			if (i % 2 == 0 && i + 1 < (int)ne)
				cr_assert_eq(s->next[i], s->data[i + 1], "round %d record %d", round, i);
			if (i % 2 == 1 && i + 1 < (int)ne)
				cr_assert_null(s->next[i], "round %d record %d: a discard follows", round,
					       i);
		}
		cr_assert_null(s->next[ne - 1], "the last record has no next");
	}
}

Test(ringbuf, stop_and_resume, .init = setup, .fini = teardown)
{
	struct vno_ring *r = open_ring();
	struct seen *s = fx.s;
	int i;

	plant_run(100, 10);
	s->stop_at = 4;
	cr_assert_eq(vno_ring__consume(r), -EINTR, "the callback's error is returned");
	cr_assert_eq(s->n, 4);
	s->stop_at = 0;
	cr_assert_eq(vno_ring__consume(r), 6, "the walk goes on after the record that stopped it");
	for (i = 0; i < 10; i++)
		cr_assert_eq(s->v[i], 100 + 2 * i);
}

Test(ringbuf, full_ring_frees_room, .init = setup, .fini = teardown)
{
	struct vno_ring *r = open_ring();
	struct seen *s = fx.s;
	long n;
	int i;

	/* 300 records of 16 bytes into 4096: what does not fit is lost by the
	 * BPF side; the ones kept are the first, in order. */
	plant_run(200, 300);
	n = vno_ring__consume(r);
	cr_assert(n >= 200 && n < 300, "%ld records kept", n);
	for (i = 0; i < n; i++)
		cr_assert_eq(s->v[i], 200 + 2 * i);
	/* The consumer position was stored: as many fit again. */
	s->n = 0;
	plant_run(1000, (int)n);
	cr_assert_eq(vno_ring__consume(r), n);
	cr_assert_eq(s->v[n - 1], 1000 + 2 * (n - 1));
}

Test(ringbuf, not_a_ring, .init = setup, .fini = teardown)
{
	int fd;

	need_bpf();
	fd = -1;
	cr_assert_null(vno_ring__new(&fd, 1, on_rec, NULL));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(vno_ring__new(&fx.map_fd, 0, on_rec, NULL), "no ring");
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(vno_ring__new(&fx.map_fd, VNO_RINGS + 1, on_rec, NULL), "too many");
	cr_assert_eq(errno, EINVAL);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vno_rb_arr", 4, 4, 1, NULL);
	cr_assert_geq(fd, 0);
	cr_assert_null(vno_ring__new(&fd, 1, on_rec, NULL));
	cr_assert_eq(errno, EINVAL);
	{
		int two[2] = { fx.map_fd, fd };

		cr_assert_null(vno_ring__new(two, 2, on_rec, NULL), "the second is no ring");
		cr_assert_eq(errno, EINVAL);
	}
	close(fd);
	vno_ring__free(NULL);
}

/* Two rings, as two CPUs fill them: the records come out in the order of
 * their keys (here the planted value, in a vno_frame the timestamp),
 * whichever ring holds them; discards are stepped over; a callback's error
 * stops the walk and the next one goes on where it stopped; a ring that
 * was empty when the walk began is read when it has something older. */
Test(ringbuf, two_rings_merged_by_key, .init = setup, .fini = teardown)
{
	int fds[2];
	struct seen *s;
	struct vno_ring *r;
	const __u32 a[] = { 100, 140, 180, 220 }, b[] = { 120, 160, 200 };
	int i;

	need_bpf();
	fds[0] = fx.map_fd;
	fds[1] = fx.map_fd2;
	s = fx.s = calloc(1, sizeof(*fx.s));
	cr_assert_not_null(s);
	r = fx.r = vno_ring__new(fds, 2, on_rec, s);
	cr_assert_not_null(r, "vno_ring__new: %s", strerror(errno));
	cr_assert_eq(vno_ring__consume(r), 0, "empty rings hand nothing over");
	for (i = 0; i < 4; i++)
		plant_in(fx.prog_fd, a[i]);
	for (i = 0; i < 3; i++) {
		plant_in(fx.prog_fd2, b[i]);
		plant_in(fx.prog_fd2, b[i] + 1); /* discarded */
	}
	cr_assert_eq(vno_ring__consume(r), 7);
	for (i = 0; i < 7; i++)
		cr_assert_eq(s->v[i], 100 + 20 * (__u64)i, "record %d: %llu", i,
			     (unsigned long long)s->v[i]);

	/* Only the second ring has records, then only the first. */
	s->n = 0;
	plant_in(fx.prog_fd2, 300);
	cr_assert_eq(vno_ring__consume(r), 1);
	plant_in(fx.prog_fd, 310);
	cr_assert_eq(vno_ring__consume(r), 1);
	cr_assert(s->v[0] == 300 && s->v[1] == 310);

	/* Stopped after two: nothing lost, nothing twice. */
	s->n = 0;
	plant_in(fx.prog_fd, 400);
	plant_in(fx.prog_fd, 440);
	plant_in(fx.prog_fd2, 420);
	plant_in(fx.prog_fd2, 460);
	s->stop_at = 2;
	cr_assert_eq(vno_ring__consume(r), -EINTR);
	s->stop_at = 0;
	cr_assert_eq(vno_ring__consume(r), 2);
	cr_assert_eq(s->n, 4);
	for (i = 0; i < 4; i++)
		cr_assert_eq(s->v[i], 400 + 20 * (__u64)i, "after the stop, record %d: %llu", i,
			     (unsigned long long)s->v[i]);

	/* Many rounds, each ring wrapping: still one sorted stream. */
	for (int round = 0; round < 6; round++) {
		__u32 base = 500 + (__u32)round * 10;

		s->n = 0;
		for (i = 0; i < 100; i++)
			plant_in(i % 3 ? fx.prog_fd : fx.prog_fd2, base + 2 * (__u32)i);
		cr_assert_eq(vno_ring__consume(r), 100, "round %d", round);
		for (i = 0; i < 100; i++)
			cr_assert_eq(s->v[i], base + 2 * (__u64)i, "round %d record %d", round, i);
	}
}

/* Records of 312 bytes (a 128-byte snap) filling a ring from empty: one
 * wakeup per 1 MiB waiting, by the record that takes the data past it, and
 * none before the first. */
Test(ringbuf_wake, once_per_multiple)
{
	const __u64 every = 1 << 20, len = vno_rb_len(sizeof(__u64) * 38);
	__u64 avail = 0, wakes = 0;

	cr_assert_eq(len, 312);
	while (avail + len <= 8 * every) {
		avail += len;
		if (!vno_wake_crossed(avail, len, every))
			continue;
		wakes++;
		cr_assert(avail >= wakes * every && avail - len < wakes * every,
			  "wakeup %llu at %llu bytes waiting", (unsigned long long)wakes,
			  (unsigned long long)avail);
	}
	cr_assert_eq(wakes, 7, "%llu wakeups for 8 MiB", (unsigned long long)wakes);
}

Test(ringbuf_wake, edges)
{
	/* Exactly at the multiple: this record made it. */
	cr_assert(vno_wake_crossed(4096, 64, 4096));
	cr_assert_not(vno_wake_crossed(4096 + 64, 64, 4096));
	cr_assert_not(vno_wake_crossed(4095, 64, 4096));
	/* The reader moved on while the record was made: less waiting than
	 * the record itself, and under the threshold. */
	cr_assert_not(vno_wake_crossed(16, 64, 4096));
	/* No threshold: every record wakes. A record larger than the
	 * threshold wakes whenever it is past it. */
	cr_assert(vno_wake_crossed(8, 8, 0));
	cr_assert(vno_wake_crossed(9000, 9000, 4096));
	cr_assert(vno_wake_crossed(18000, 9000, 4096));
	cr_assert_eq(vno_rb_len(1), 16);
	cr_assert_eq(vno_rb_len(304), 312);
}
