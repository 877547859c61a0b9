// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Classic BPF to eBPF (cbpf_ebpf.h), written by hand: no C library does
 * it outside the kernel (the kernel's own bpf_convert_filter is not
 * exported to user space; pwru's cbpfc is Go). One pass measures each
 * classic instruction's translation, a second emits it with the jumps
 * resolved. The semantics are libpcap 1.10's bpf_filter(): A and X start
 * at 0, a load beyond the bytes copied or a division by zero returns 0,
 * a shift by X of 32 or more gives 0.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <linux/bpf.h>
#include "cbpf_ebpf.h"
#include "vno.h"

/* Classic opcodes beyond linux/bpf_common.h (linux/filter.h, pcap/bpf.h). */
#define C_MISC 0x07
#define C_TAX 0x00
#define C_TXA 0x80
#define C_MSH 0xa0
#define C_LEN 0x80
#define C_MEM 0x60
#define C_IMM 0x00
#define C_ABS 0x20
#define C_IND 0x40
#define C_RVAL 0x18 /* BPF_RVAL: BPF_K or C_RET_A (libpcap has no RET X) */
#define C_RET_A 0x10
#define C_MISCOP 0xf8

enum { R_A = BPF_REG_0, R_DATA = BPF_REG_1, R_CAP = BPF_REG_2, R_WIRE = BPF_REG_3,
       R_X = BPF_REG_4, R_T = BPF_REG_5 };

struct emit {
	struct bpf_insn *out; /* NULL: measure only */
	size_t n, max;
	size_t *start;	      /* eBPF index of each classic instruction, and of ret0 */
	size_t ret0, end;     /* "return 0" and the end of the block */
	const bool *reach;    /* classic instructions some path reaches */
};

/* "Return 0" on a path the verifier must still see go on: a load beyond
 * any copy, a division by a constant 0. The copy is never longer than
 * the buffer, so the jump is always taken; a plain ja would leave what
 * follows unreachable, and the kernel refuses a program with an
 * instruction no jump or fall-through reaches (check_cfg). */
static void ret0_always(struct emit *e);

static void put(struct emit *e, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	if (e->out && e->n < e->max)
		e->out[e->n] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src,
						  .off = off, .imm = imm };
	e->n++;
}

/* A jump @code (class, op, BPF_K/BPF_X) of @dst against @src or @imm, from
 * the next instruction to eBPF index @to. */
static void jump(struct emit *e, __u8 code, __u8 dst, __u8 src, __s32 imm, size_t to)
{
	put(e, code, dst, src, (__s16)((long)to - (long)e->n - 1), imm);
}

static void ja(struct emit *e, size_t to)
{
	jump(e, BPF_JMP | BPF_JA, 0, 0, 0, to);
}

static void ret0_always(struct emit *e)
{
	jump(e, BPF_JMP | BPF_JLE | BPF_K, R_CAP, 0, VNO_FILTER_BUF, e->ret0);
}

static __u8 size_of(__u16 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W: return 4;
	case BPF_H: return 2;
	case BPF_B: return 1;
	default: return 0;
	}
}

/* @dst = the big-endian @sz bytes at frame offset k (+ X for IND), or return 0. */
static void load(struct emit *e, __u8 dst, __u16 code, __u32 k)
{
	__u8 sz = size_of(code), ldsz = BPF_SIZE(code) == BPF_W ? BPF_W :
					BPF_SIZE(code) == BPF_H ? BPF_H : BPF_B;

	if (BPF_MODE(code) == C_ABS || BPF_MODE(code) == C_MSH) {
		if ((__u64)k + sz > VNO_FILTER_BUF) {
			/* Beyond any copy: no match, as beyond the capture. */
			ret0_always(e);
			return;
		}
		jump(e, BPF_JMP | BPF_JLT | BPF_K, R_CAP, 0, (__s32)(k + sz), e->ret0);
		put(e, BPF_LDX | BPF_MEM | ldsz, dst, R_DATA, (__s16)k, 0);
	} else {
		if (k >= VNO_FILTER_BUF) {
			ret0_always(e);
			return;
		}
		/* t = X + k + size, checked against the copy and, for the
		 * verifier, against the buffer; then the pointer. */
		put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_T, R_X, 0, 0);
		put(e, BPF_ALU64 | BPF_ADD | BPF_K, R_T, 0, 0, (__s32)(k + sz));
		jump(e, BPF_JMP | BPF_JGT | BPF_X, R_T, R_CAP, 0, e->ret0);
		jump(e, BPF_JMP | BPF_JGT | BPF_K, R_T, 0, VNO_FILTER_BUF, e->ret0);
		put(e, BPF_ALU64 | BPF_ADD | BPF_X, R_T, R_DATA, 0, 0);
		put(e, BPF_LDX | BPF_MEM | ldsz, dst, R_T, (__s16)-sz, 0);
	}
	if (sz > 1)
		put(e, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, sz * 8);
}

/* The opcodes libpcap's bpf_filter() runs and the kernel's classic
 * checker accepts (net/core/filter.c, chk_code_allowed); any other is
 * refused, though bpf_validate() lets some unused bits pass. */
static bool known(__u16 code)
{
	static const __u16 codes[] = {
		BPF_LD | BPF_W | C_ABS, BPF_LD | BPF_H | C_ABS, BPF_LD | BPF_B | C_ABS,
		BPF_LD | BPF_W | C_IND, BPF_LD | BPF_H | C_IND, BPF_LD | BPF_B | C_IND,
		BPF_LD | BPF_W | C_LEN, BPF_LD | C_IMM, BPF_LD | C_MEM,
		BPF_LDX | BPF_W | C_LEN, BPF_LDX | C_IMM, BPF_LDX | C_MEM, BPF_LDX | BPF_B | C_MSH,
		BPF_ST, BPF_STX, BPF_ALU | BPF_NEG,
		BPF_JMP | BPF_JA, BPF_RET | BPF_K, BPF_RET | C_RET_A,
		C_MISC | C_TAX, C_MISC | C_TXA,
	};
	static const __u8 alu[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_OR,
				    BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH };
	static const __u8 jmp[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (code == codes[i])
			return true;
	for (size_t i = 0; i < sizeof(alu); i++)
		if (code == (BPF_ALU | alu[i] | BPF_K) || code == (BPF_ALU | alu[i] | BPF_X))
			return true;
	for (size_t i = 0; i < sizeof(jmp); i++)
		if (code == (BPF_JMP | jmp[i] | BPF_K) || code == (BPF_JMP | jmp[i] | BPF_X))
			return true;
	return false;
}

static int one(struct emit *e, const struct cbpf_insn *c, size_t i, size_t n)
{
	__u16 code = c->code;
	__u8 op = BPF_OP(code), src = BPF_SRC(code);
	size_t jt, jf;

	if (!known(code))
		return -EINVAL;

	switch (BPF_CLASS(code)) {
	case BPF_LD:
	case BPF_LDX: {
		__u8 dst = BPF_CLASS(code) == BPF_LD ? R_A : R_X;

		switch (BPF_MODE(code)) {
		case C_ABS:
		case C_IND:
			if (BPF_CLASS(code) == BPF_LDX || !size_of(code))
				return -EINVAL;
			load(e, dst, code, c->k);
			return 0;
		case C_MSH:
			if (BPF_CLASS(code) != BPF_LDX || BPF_SIZE(code) != BPF_B)
				return -EINVAL;
			load(e, R_X, code, c->k);
			put(e, BPF_ALU | BPF_AND | BPF_K, R_X, 0, 0, 0xf);
			put(e, BPF_ALU | BPF_LSH | BPF_K, R_X, 0, 0, 2);
			return 0;
		case C_LEN:
			put(e, BPF_ALU | BPF_MOV | BPF_X, dst, R_WIRE, 0, 0);
			return 0;
		case C_IMM:
			put(e, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (__s32)c->k);
			return 0;
		case C_MEM:
			if (c->k >= VNO_FILTER_MEM)
				return -EINVAL;
			put(e, BPF_LDX | BPF_MEM | BPF_W, dst, R_DATA,
			    (__s16)(VNO_FILTER_MEM_OFF + 4 * c->k), 0);
			return 0;
		}
		return -EINVAL;
	}
	case BPF_ST:
	case BPF_STX:
		if (c->k >= VNO_FILTER_MEM)
			return -EINVAL;
		put(e, BPF_STX | BPF_MEM | BPF_W, R_DATA, BPF_CLASS(code) == BPF_ST ? R_A : R_X,
		    (__s16)(VNO_FILTER_MEM_OFF + 4 * c->k), 0);
		return 0;
	case BPF_ALU:
		switch (op) {
		case BPF_NEG:
			put(e, BPF_ALU | BPF_NEG, R_A, 0, 0, 0);
			return 0;
		case BPF_DIV:
		case BPF_MOD:
			if (src == BPF_K && !c->k) {
				ret0_always(e);
				return 0;
			}
			if (src == BPF_X)
				jump(e, BPF_JMP32 | BPF_JEQ | BPF_K, R_X, 0, 0, e->ret0);
			break;
		case BPF_LSH:
		case BPF_RSH:
			if (src == BPF_K && c->k >= 32) {
				put(e, BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0);
				return 0;
			}
			if (src == BPF_X) {
				/* if X > 31: A = 0, else A <<= X */
				put(e, BPF_JMP32 | BPF_JGT | BPF_K, R_X, 0, 2, 31);
				put(e, BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
				put(e, BPF_JMP | BPF_JA, 0, 0, 1, 0);
				put(e, BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0);
				return 0;
			}
			break;
		case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_OR: case BPF_AND: case BPF_XOR:
			break;
		default:
			return -EINVAL;
		}
		put(e, BPF_ALU | op | src, R_A, src == BPF_X ? R_X : 0, 0,
		    src == BPF_K ? (__s32)c->k : 0);
		return 0;
	case BPF_JMP: {
		__u8 inv = op == BPF_JEQ ? BPF_JNE : op == BPF_JGT ? BPF_JLE :
			   op == BPF_JGE ? BPF_JLT : 0;
		__u8 reg = src == BPF_X ? R_X : 0;
		__s32 imm = src == BPF_K ? (__s32)c->k : 0;

		if (op == BPF_JA) {
			if (c->k >= n - i - 1)
				return -EINVAL;
			ja(e, e->start[i + 1 + c->k]);
			return 0;
		}
		if (op != BPF_JEQ && op != BPF_JGT && op != BPF_JGE && op != BPF_JSET)
			return -EINVAL;
		jt = i + 1 + c->jt;
		jf = i + 1 + c->jf;
		if (jt >= n || jf >= n)
			return -EINVAL;
		/* 32-bit compares (JMP32): A, X and K are unsigned 32-bit. */
		if (jt == jf) {
			if (jt != i + 1)
				ja(e, e->start[jt]);
		} else if (jt == i + 1 && inv) {
			jump(e, BPF_JMP32 | inv | src, R_A, reg, imm, e->start[jf]);
		} else {
			jump(e, BPF_JMP32 | op | src, R_A, reg, imm, e->start[jt]);
			if (jf != i + 1)
				ja(e, e->start[jf]);
		}
		return 0;
	}
	case BPF_RET:
		if ((code & C_RVAL) == BPF_K)
			put(e, BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, (__s32)c->k);
		else if ((code & C_RVAL) != C_RET_A)
			return -EINVAL;
		ja(e, e->end);
		return 0;
	case C_MISC:
		if ((code & C_MISCOP) == C_TAX)
			put(e, BPF_ALU | BPF_MOV | BPF_X, R_X, R_A, 0, 0);
		else if ((code & C_MISCOP) == C_TXA)
			put(e, BPF_ALU | BPF_MOV | BPF_X, R_A, R_X, 0, 0);
		else
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

static bool uses_mem(const struct cbpf_insn *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((BPF_CLASS(c[i].code) == BPF_LD || BPF_CLASS(c[i].code) == BPF_LDX) &&
		     BPF_MODE(c[i].code) == C_MEM))
			return true;
	return false;
}

/* Both passes: the same code, first with out NULL. */
static int pass(struct emit *e, const struct cbpf_insn *c, size_t n)
{
	int ret;

	e->n = 0;
	/* A = X = 0; M[] = 0 where it is read (the buffer is reused). */
	put(e, BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0);
	put(e, BPF_ALU | BPF_MOV | BPF_K, R_X, 0, 0, 0);
	/* The verifier refuses instructions no path reaches. "Return 0" is
	 * reached only by a failed load or division, and a program without
	 * either (`len >= 0`) never gets there; it falls through the no-ops
	 * after it to the end of the block. A jump to it that the verifier
	 * can see is never taken (A is 0 here) makes both reachable, at the
	 * cost of one instruction. */
	jump(e, BPF_JMP | BPF_JNE | BPF_K, R_A, 0, 0, e->ret0);
	if (uses_mem(c, n))
		for (int m = 0; m < VNO_FILTER_MEM; m++)
			put(e, BPF_ST | BPF_MEM | BPF_W, R_DATA, 0,
			    (__s16)(VNO_FILTER_MEM_OFF + 4 * m), 0);
	for (size_t i = 0; i < n; i++) {
		e->start[i] = e->n;
		/* Dead classic code (after a RET or JA that nothing jumps
		 * past) would be dead eBPF, which the kernel refuses. */
		if (!e->reach[i])
			continue;
		if ((ret = one(e, &c[i], i, n)))
			return ret;
	}
	e->ret0 = e->start[n] = e->n;
	put(e, BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0);
	return 0;
}

/* Which classic instructions a path reaches: jumps go forward only, so
 * one pass in order. Targets out of the program are left to one(). */
static void reachable(const struct cbpf_insn *c, size_t n, bool *reach)
{
	memset(reach, 0, n * sizeof(*reach));
	reach[0] = true;
	for (size_t i = 0; i < n; i++) {
		__u16 code = c[i].code;

		if (!reach[i] || BPF_CLASS(code) == BPF_RET)
			continue;
		if (BPF_CLASS(code) != BPF_JMP) {
			if (i + 1 < n)
				reach[i + 1] = true;
		} else if (BPF_OP(code) == BPF_JA) {
			if ((__u64)c[i].k < n - i - 1)
				reach[i + 1 + c[i].k] = true;
		} else {
			if (i + 1 + c[i].jt < n)
				reach[i + 1 + c[i].jt] = true;
			if (i + 1 + c[i].jf < n)
				reach[i + 1 + c[i].jf] = true;
		}
	}
}

int cbpf_to_ebpf(const struct cbpf_insn *c, size_t n, struct bpf_insn *out, size_t max)
{
	size_t start[4096 + 1] = { 0 };
	bool reach[4096];
	struct emit e = { .max = max, .start = start, .end = max, .reach = reach };
	size_t used;
	int ret;

	/* BPF_MAXINSNS: what a classic program may hold. */
	if (!n || n > 4096)
		return -EINVAL;
	reachable(c, n, reach);
	if ((ret = pass(&e, c, n)))
		return ret;
	if (e.n > max)
		return -E2BIG;
	/* The lengths are known now: the jumps land where they should. */
	e.out = out;
	if ((ret = pass(&e, c, n)))
		return ret;
	used = e.n;
	for (size_t i = used; i < max; i++)
		out[i] = (struct bpf_insn){ .code = BPF_JMP | BPF_JA };
	return (int)used;
}
