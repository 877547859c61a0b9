// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The heap while loading (loadmem.c): a freed BTF-sized buffer is reused,
 * not unmapped, and what is free goes back to the kernel at the end.
 * Criterion runs each test in its own process, so each starts with
 * glibc's defaults. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "loadmem.h"

/* The size of one copy of a kernel's BTF (6.18: 5.2 MiB). */
#define BTF_BYTES (6u << 20)

static void begin_or_skip(void)
{
	if (!loadmem_begin())
		cr_skip_test("malloc is not glibc's here (a sanitizer's?): loadmem has no effect");
}

/* Two parses in a row: the second gets the first one's memory back, from
 * the heap (no mmap of its own: hblkhd counts those bytes). */
Test(loadmem, reuses_freed_buffer)
{
	size_t mapped;
	uintptr_t first;
	char *p, *q;

	begin_or_skip();
	mapped = mallinfo2().hblkhd;
	p = malloc(BTF_BYTES);
	cr_assert_not_null(p);
	cr_assert_eq(mallinfo2().hblkhd, mapped, "a 6 MiB buffer got its own mmap");
	memset(p, 1, BTF_BYTES);
	first = (uintptr_t)p;
	free(p);
	cr_assert_geq(mallinfo2().arena, BTF_BYTES, "the freed buffer left the heap");
	q = malloc(BTF_BYTES);
	cr_assert_eq((uintptr_t)q, first, "a freed 6 MiB buffer was not reused");
	cr_assert_eq(mallinfo2().hblkhd, mapped, "the second buffer got its own mmap");
	free(q);
	loadmem_end();
}

/* Without it, glibc unmaps such a buffer on free and maps the next one
 * afresh, every page faulted again: the case loadmem exists for. */
Test(loadmem, default_maps_afresh)
{
	struct mallinfo2 before, during;
	char *p;

	/* Only to learn whether malloc is glibc's; ended at once, so what
	 * follows runs with glibc's default thresholds. */
	begin_or_skip();
	loadmem_end();
	before = mallinfo2();
	p = malloc(BTF_BYTES);
	cr_assert_not_null(p);
	during = mallinfo2();
	free(p);
	cr_assert_gt(during.hblkhd, before.hblkhd, "glibc served 6 MiB from the heap");
}

/* At the end the region is given back, and big buffers are mmapped again. */
Test(loadmem, end_returns_memory)
{
	struct mallinfo2 mid, after;
	char *p;

	begin_or_skip();
	p = malloc(BTF_BYTES);
	cr_assert_not_null(p);
	memset(p, 1, BTF_BYTES);
	free(p);
	mid = mallinfo2();
	cr_assert_geq(mid.arena, loadmem_region_bytes(), "the region is not in the heap");
	loadmem_end();
	after = mallinfo2();
	cr_assert_lt(after.arena, 1u << 20, "the heap kept %zu bytes after the end", after.arena);
	p = malloc(BTF_BYTES);
	cr_assert_not_null(p);
	cr_assert_gt(mallinfo2().hblkhd, after.hblkhd, "6 MiB from the heap after the end");
	free(p);
}
