// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the -f translation (user/cbpf_ebpf.c): the input is
 * a classic BPF program (first byte: its length in instructions, then 8
 * bytes each) and a frame (the rest). A program libpcap's bpf_validate()
 * accepts must translate (or be too long for the block), and the
 * translation, run by tests/unit/ebpf_run.h over every cut of the frame,
 * must return what libpcap's bpf_filter() returns, with every access
 * inside the buffer the BPF programs hand it. A program bpf_validate()
 * refuses must not crash the translator. Programs whose result libpcap
 * leaves to C's undefined behaviour are skipped (wide_shift, reads_unset),
 * and so are those its checker lets through by a 32-bit wrap (wrapping_ja).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EBPF_CHECK(cond, ...)                                  \
	do {                                                   \
		if (!(cond)) {                                 \
			fprintf(stderr, __VA_ARGS__);          \
			abort();                               \
		}                                              \
	} while (0)
#include "../unit/ebpf_run.h"
#include "cbpf_ebpf.h"

/* libpcap's (pcap/bpf.h, whose struct bpf_insn is not linux/bpf.h's). */
extern int bpf_validate(const void *f, int len);
extern unsigned bpf_filter(const void *pc, const unsigned char *p, unsigned wirelen,
			   unsigned buflen);

/* What libpcap 1.10 runs as C does and the kernel never sees: a shift by
 * a constant of 32 or more (undefined in C; bpf_validate lets it pass). */
static int wide_shift(const struct cbpf_insn *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((c[i].code == (BPF_ALU | BPF_LSH | BPF_K) ||
		     c[i].code == (BPF_ALU | BPF_RSH | BPF_K)) && c[i].k >= 32)
			return 1;
	return 0;
}

/* A BPF_JA whose offset wraps: libpcap's bpf_validate() checks `from +
 * k >= len` in 32 bits, so k = 0xffffffff passes as a jump back onto itself
 * (and bpf_filter() would run off the program); the kernel's checker
 * (bpf_check_classic) and the translator refuse any target past the end. */
static int wrapping_ja(const struct cbpf_insn *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].code == (BPF_JMP | BPF_JA) && (uint64_t)i + 1 + c[i].k >= n)
			return 1;
	return 0;
}

/* An opcode pcap_compile never emits (bpf_validate lets unused bits of
 * some pass; the translator refuses them, as the kernel does). */
static int unknown_code(const struct cbpf_insn *c, size_t n)
{
	static const uint16_t ok[] = {
		0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x80, 0x00, 0x60,	/* LD */
		0x81, 0x01, 0x61, 0xb1, 0x02, 0x03, 0x84,		/* LDX, ST, STX, NEG */
		0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c,
		0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x94, 0x9c, 0xa4, 0xac, /* ALU K/X */
		0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d,	/* JMP */
		0x06, 0x16, 0x07, 0x87,					/* RET, TAX, TXA */
	};

	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < sizeof(ok) / sizeof(ok[0]) && ok[j] != c[i].code)
			j++;
		if (j == sizeof(ok) / sizeof(ok[0]))
			return 1;
	}
	return 0;
}

/* A scratch word read before every path to it stored one: libpcap reads
 * its stack's leftovers there (the translation reads 0), and the kernel's
 * checker (check_load_and_stores) refuses the program. Jumps only go
 * forward, so one pass in order sees every predecessor first. */
static int reads_unset(const struct cbpf_insn *c, size_t n)
{
	uint16_t set[65];

	for (size_t i = 0; i <= n; i++)
		set[i] = i ? 0xFFFF : 0;
	for (size_t i = 0; i < n; i++) {
		uint16_t cls = c[i].code & 0x07, s = set[i];
		size_t to[2] = { i + 1, i + 1 };

		if ((cls == BPF_LD || cls == BPF_LDX) && (c[i].code & 0xe0) == 0x60 &&
		    (c[i].k >= 16 || !(s >> c[i].k & 1)))
			return 1;
		if ((cls == BPF_ST || cls == BPF_STX) && c[i].k < 16)
			s |= 1u << c[i].k;
		if (cls == BPF_RET)
			continue;
		if (cls == BPF_JMP && (c[i].code & 0xf0) == BPF_JA)
			to[0] = to[1] = i + 1 + c[i].k;
		else if (cls == BPF_JMP)
			to[0] = i + 1 + c[i].jt, to[1] = i + 1 + c[i].jf;
		for (int j = 0; j < 2; j++)
			if (to[j] <= n)
				set[to[j]] &= s;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bpf_insn out[VNO_FILTER_INSNS];
	struct cbpf_insn prog[64];
	size_t n, flen;
	const uint8_t *frame;
	int used;

	if (size < 1)
		return 0;
	n = data[0] % 64 + 1;
	if (size < 1 + n * 8)
		return 0;
	memcpy(prog, data + 1, n * 8);
	frame = data + 1 + n * 8;
	flen = size - 1 - n * 8;
	if (flen > VNO_FILTER_BUF)
		flen = VNO_FILTER_BUF;
	used = cbpf_to_ebpf(prog, n, out, VNO_FILTER_INSNS);
	if (!bpf_validate(prog, (int)n) || wide_shift(prog, n) || reads_unset(prog, n) ||
	    wrapping_ja(prog, n))
		return 0;
	if (used == -E2BIG || (used == -EINVAL && unknown_code(prog, n)))
		return 0;
	EBPF_CHECK(used > 0, "a program bpf_validate accepts did not translate: %d\n", used);
	ebpf_all_reachable(out, VNO_FILTER_INSNS);
	for (size_t cut = 0; cut <= flen; cut++) {
		unsigned wire = (unsigned)flen + 60;
		unsigned want = bpf_filter(prog, frame, wire, (unsigned)cut);
		unsigned got = ebpf_run(out, VNO_FILTER_INSNS, frame, (__u32)cut, wire);

		EBPF_CHECK(got == want, "cut %zu: eBPF %u, libpcap %u\n", cut, got, want);
	}
	return 0;
}
