// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The heap while a session loads. Loading parses the kernel's BTF
 * (/sys/kernel/btf/vmlinux, 5+ MiB): libbpf reads it into one buffer and
 * copies it into a second, once for the probes (probe.c) and once more to
 * load the programs (CO-RE, attach targets). By default glibc serves each
 * of those buffers with a fresh mmap, faulted in 4 KiB at a time and
 * unmapped on free, so every parse pays ~2 800 page faults. On a VM with
 * shadow paging a fault costs ~16 µs (16 MiB faulted page by page: 62–72 ms
 * of CPU on the 2-core development VM; the same in huge pages: ~10), and
 * the two parses were most of the time to the ready line.
 *
 * So, while loading: big allocations come from the heap
 * (M_MMAP_THRESHOLD), freed memory stays in it (M_TRIM_THRESHOLD), and the
 * region is advised for transparent huge pages: the second parse reuses
 * what the first faulted, and a fault brings 2 MiB where the kernel allows
 * it (THP "madvise" or "always"; with "never" only the reuse is left).
 * Afterwards glibc's thresholds are set back and the free memory returned
 * (malloc_trim). mallopt is the only run-time interface glibc offers for
 * this (its glibc.malloc.hugetlb tunable is read at exec only).
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "loadmem.h"

/* Two parses of a 5.5 MiB BTF (a buffer read and its copy, each) with the
 * type index, libbpf's copy of the BPF object and the CO-RE candidate
 * cache, with room. Requests from LOADMEM_MMAP_MIN on still get their own
 * mmap: glibc's ceiling for M_MMAP_THRESHOLD is 32 MiB on 64-bit, and the
 * region itself must come from the heap. */
#define LOADMEM_BYTES (24u << 20)
#define LOADMEM_MMAP_MIN (32u << 20)
#define HUGE_BYTES (2u << 20)
/* glibc's default for both thresholds (malloc/malloc.c, DEFAULT_MMAP_THRESHOLD_MIN
 * and DEFAULT_TRIM_THRESHOLD). */
#define GLIBC_DEFAULT_THRESHOLD (128 * 1024)

static bool active;

size_t loadmem_region_bytes(void)
{
	return LOADMEM_BYTES;
}

bool loadmem_begin(void)
{
	uintptr_t a, end;
	char *p;

	if (active)
		return true;
	if (mallopt(M_MMAP_THRESHOLD, LOADMEM_MMAP_MIN) != 1 ||
	    mallopt(M_TRIM_THRESHOLD, 2 * LOADMEM_BYTES) != 1)
		return false;
	active = true;
	/* The region: grown now, untouched (nothing is faulted yet), and
	 * left at the heap's top as free memory for what follows. */
	p = malloc(LOADMEM_BYTES);
	if (!p)
		return true;
	a = ((uintptr_t)p + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
	end = ((uintptr_t)p + LOADMEM_BYTES) & ~(uintptr_t)(HUGE_BYTES - 1);
	if (end > a)
		madvise((void *)a, end - a, MADV_HUGEPAGE);
	free(p);
	return true;
}

void loadmem_end(void)
{
	if (!active)
		return;
	mallopt(M_MMAP_THRESHOLD, GLIBC_DEFAULT_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, GLIBC_DEFAULT_THRESHOLD);
	malloc_trim(0);
	active = false;
}
