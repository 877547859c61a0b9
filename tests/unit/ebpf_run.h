/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small interpreter of the eBPF instructions user/cbpf_ebpf.c emits, for
 * tests/unit/test_cbpf.c and tests/fuzz/fuzz_cbpf.c: it runs a translated
 * block over a struct vno_filter_buf as the BPF programs hand it over
 * (bpf/filter.h) and checks, with the includer's EBPF_CHECK(cond, fmt,
 * ...), what the verifier would: every load and store inside the buffer,
 * no register beyond r5, no division by zero or wide shift reached, no jump
 * out of the block, no instruction it does not know; and, without running
 * it (ebpf_all_reachable), no instruction that no path reaches.
 */
#ifndef VNO_TEST_EBPF_RUN_H
#define VNO_TEST_EBPF_RUN_H

#include <stdbool.h>
#include <string.h>
#include <linux/bpf.h>
#include "vno.h"

/* Runs @p over @len bytes of @data (wire length @wire); the result. */
static inline __u32 ebpf_run(const struct bpf_insn *p, size_t n, const __u8 *data, __u32 len, __u32 wire)
{
	struct vno_filter_buf buf;
	__u64 r[11] = { 0 }, lo = (__u64)(unsigned long)&buf, hi = lo + sizeof(buf);
	size_t pc = 0;
	int steps = 0;

	memset(&buf, 0xA5, sizeof(buf)); /* stale bytes and scratch words */
	memcpy(buf.data, data, len);
	r[1] = lo;
	r[2] = len;
	r[3] = wire;
	while (pc < n) {
		const struct bpf_insn *i = &p[pc++];
		__u8 cls = BPF_CLASS(i->code), op = BPF_OP(i->code);
		__u64 s = BPF_SRC(i->code) == BPF_X ? r[i->src_reg] : (__u64)(__s64)i->imm;

		EBPF_CHECK(++steps < 100000, "a loop at %zu", pc - 1);
		EBPF_CHECK(i->dst_reg <= 5 && i->src_reg <= 5, "register beyond r5 at %zu", pc - 1);
		if (cls == BPF_ALU || cls == BPF_ALU64) {
			__u64 d = r[i->dst_reg];

			if (cls == BPF_ALU)
				d = (__u32)d, s = (__u32)s;
			switch (op) {
			case BPF_MOV: d = s; break;
			case BPF_ADD: d += s; break;
			case BPF_SUB: d -= s; break;
			case BPF_MUL: d *= s; break;
			case BPF_DIV: EBPF_CHECK(s, "division by zero ran"); d /= s; break;
			case BPF_MOD: EBPF_CHECK(s, "modulo by zero ran"); d %= s; break;
			case BPF_OR: d |= s; break;
			case BPF_AND: d &= s; break;
			case BPF_XOR: d ^= s; break;
			case BPF_LSH: EBPF_CHECK(s < 32, "shift by %llu", (unsigned long long)s); d <<= s; break;
			case BPF_RSH: EBPF_CHECK(s < 32, "shift by %llu", (unsigned long long)s); d >>= s; break;
			case BPF_NEG: d = -d; break;
			case BPF_END:
				EBPF_CHECK(cls == BPF_ALU && BPF_SRC(i->code) == BPF_TO_BE, "END %#x", i->code);
				d = i->imm == 32 ? __builtin_bswap32((__u32)d) :
				    i->imm == 16 ? __builtin_bswap16((__u16)d) : d;
				break;
			default: EBPF_CHECK(0, "ALU op %#x", op);
			}
			r[i->dst_reg] = cls == BPF_ALU ? (__u32)d : d;
		} else if (cls == BPF_LDX || cls == BPF_STX || cls == BPF_ST) {
			__u8 sz = BPF_SIZE(i->code) == BPF_W ? 4 : BPF_SIZE(i->code) == BPF_H ? 2 : 1;
			__u64 a = r[cls == BPF_LDX ? i->src_reg : i->dst_reg] + (__s64)i->off;

			EBPF_CHECK(a >= lo && a + sz <= hi, "access outside the buffer at %zu", pc - 1);
			if (cls == BPF_LDX) {
				__u32 v = 0;

				memcpy(&v, (void *)(unsigned long)a, sz); /* little-endian host */
				r[i->dst_reg] = v;
			} else {
				__u32 v = cls == BPF_ST ? (__u32)i->imm : (__u32)r[i->src_reg];

				memcpy((void *)(unsigned long)a, &v, sz);
			}
		} else if (cls == BPF_JMP || cls == BPF_JMP32) {
			__u64 d = r[i->dst_reg];
			bool t;

			if (cls == BPF_JMP32)
				d = (__u32)d, s = (__u32)s;
			switch (op) {
			case BPF_JA: t = true; break;
			case BPF_JEQ: t = d == s; break;
			case BPF_JNE: t = d != s; break;
			case BPF_JGT: t = d > s; break;
			case BPF_JGE: t = d >= s; break;
			case BPF_JLT: t = d < s; break;
			case BPF_JLE: t = d <= s; break;
			case BPF_JSET: t = d & s; break;
			default: EBPF_CHECK(0, "JMP op %#x", op); t = false;
			}
			if (t)
				pc += i->off;
			EBPF_CHECK(pc <= n, "a jump beyond the block at %zu", pc);
		} else {
			EBPF_CHECK(0, "class %#x at %zu", cls, pc - 1);
		}
	}
	return (__u32)r[0];
}

/* The kernel's check_cfg: it refuses a program with an instruction no
 * jump or fall-through reaches, whatever the values. Every instruction of
 * the block must be reached from its first, the last falling into what
 * follows the block. */
static inline void ebpf_all_reachable(const struct bpf_insn *p, size_t max)
{
	static bool seen[VNO_FILTER_INSNS + 1];
	static size_t stack[VNO_FILTER_INSNS + 1];
	size_t top = 0;

	memset(seen, 0, sizeof(seen));
	stack[top++] = 0;
	seen[0] = true;
	while (top) {
		size_t i = stack[--top], next[2];
		int n = 0;
		__u8 cls = BPF_CLASS(p[i].code), op = BPF_OP(p[i].code);

		if (cls == BPF_LD && BPF_MODE(p[i].code) == BPF_IMM) {
			next[n++] = i + 2;
		} else if ((cls == BPF_JMP || cls == BPF_JMP32) && op == BPF_JA) {
			next[n++] = i + 1 + p[i].off;
		} else if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_EXIT && op != BPF_CALL) {
			next[n++] = i + 1;
			next[n++] = i + 1 + p[i].off;
		} else {
			EBPF_CHECK(!((cls == BPF_JMP) && op == BPF_EXIT), "no exit in the block");
			next[n++] = i + 1;
		}
		for (int k = 0; k < n; k++) {
			EBPF_CHECK(next[k] <= max, "insn %zu jumps out of the block", i);
			if (!seen[next[k]]) {
				seen[next[k]] = true;
				if (next[k] < max)
					stack[top++] = next[k];
			}
		}
	}
	for (size_t i = 0; i < max; i++)
		EBPF_CHECK(seen[i] || (i && BPF_CLASS(p[i - 1].code) == BPF_LD &&
				      BPF_MODE(p[i - 1].code) == BPF_IMM && seen[i - 1]),
			  "insn %zu of the block is unreachable: the verifier refuses it", i);
	EBPF_CHECK(seen[max], "the block's end is never reached");
}

#endif
