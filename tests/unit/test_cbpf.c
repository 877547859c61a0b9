// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cbpf_ebpf: classic BPF translated into eBPF gives what libpcap's own
 * bpf_filter() gives, opcode class by opcode class (LD/LDX ABS, IND, MSH,
 * LEN, IMM, MEM; ST/STX; ALU with K and X, division and modulo by zero,
 * shifts by 32 and more; JA and conditional jumps both ways; RET; TAX/TXA),
 * over frames cut at every length, and for real pcap_compile output. The
* eBPF is run by a small interpreter of the instructions the translator
 * emits (ebpf_run.h, shared with tests/fuzz/fuzz_cbpf.c), which also checks every load and store stays inside the buffer
 * the BPF programs hand it (what the verifier will demand) and that no
 * register outside r0-r5 is touched.
 */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include "cbpf_ebpf.h"
#include "filter.h"
#include "vno.h"

/* libpcap's interpreter (pcap/bpf.h; its struct bpf_insn is struct
 * sock_filter, which this file cannot include beside linux/bpf.h). */
extern unsigned bpf_filter(const void *pc, const unsigned char *p, unsigned wirelen,
			   unsigned buflen);

#define MAXI VNO_FILTER_INSNS

#define EBPF_CHECK(cond, ...) cr_assert(cond, __VA_ARGS__)
#include "ebpf_run.h"

/* Translated, every instruction reachable, run on @data cut at every
 * length from 0 to @len, checked against libpcap; returns how many of
 * those runs matched. */
static int same(const struct sock_filter *c, size_t n, const __u8 *data, __u32 len)
{
	static struct bpf_insn out[MAXI];
	int used = cbpf_to_ebpf((const struct cbpf_insn *)c, n, out, MAXI), matched = 0;

	cr_assert_gt(used, 0, "translation failed: %d", used);
	ebpf_all_reachable(out, MAXI);
	for (__u32 cut = 0; cut <= len; cut++) {
		__u32 wire = len + 100;
		__u32 want = bpf_filter(c, data, wire, cut), got = ebpf_run(out, MAXI, data, cut, wire);

		cr_assert_eq(got, want, "cut at %u: eBPF %u, libpcap %u", cut, got, want);
		matched += got != 0;
	}
	return matched;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const __u8 frame[40] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
				0xaa, 0xbb, 0x08, 0x00, 0x45, 0x00, 0x01, 0x02, 0xfe, 0xdc,
				0x40, 0x00, 0x40, 0x06, 0x12, 0x34, 0xc0, 0x00, 0x02, 0x05,
				0xc6, 0x33, 0x64, 0x07, 0x03, 0x69, 0x00, 0x50, 0x80, 0x01 };

Test(cbpf, ld_abs)
{
	/* A = P[k:size], returned: word, half, byte, and reaching the end. */
	for (__u32 k = 0; k < 40; k += 3) {
		struct sock_filter w[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, k), BPF_STMT(BPF_RET | BPF_A, 0) };
		struct sock_filter h[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, k), BPF_STMT(BPF_RET | BPF_A, 0) };
		struct sock_filter b[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, k), BPF_STMT(BPF_RET | BPF_A, 0) };

		same(w, N(w), frame, 40);
		same(h, N(h), frame, 40);
		same(b, N(b), frame, 40);
	}
	/* Beyond any buffer the programs copy: no match, never a load. */
	struct sock_filter far[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 100000),
				     BPF_STMT(BPF_RET | BPF_K, 1) };
	cr_assert_eq(same(far, N(far), frame, 40), 0);
}

Test(cbpf, ld_ind_and_msh)
{
	/* X = 4 * (P[14] & 0xf) (the IPv4 header length), then A = P[X + 14 + k]. */
	for (__u32 k = 0; k < 12; k++) {
		struct sock_filter p[] = { BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
					   BPF_STMT(BPF_LD | BPF_H | BPF_IND, 14 + k),
					   BPF_STMT(BPF_RET | BPF_A, 0) };
		struct sock_filter w[] = { BPF_STMT(BPF_LDX | BPF_IMM, k),
					   BPF_STMT(BPF_LD | BPF_W | BPF_IND, 20),
					   BPF_STMT(BPF_RET | BPF_A, 0) };
		struct sock_filter b[] = { BPF_STMT(BPF_LDX | BPF_IMM, 3 * k),
					   BPF_STMT(BPF_LD | BPF_B | BPF_IND, 2),
					   BPF_STMT(BPF_RET | BPF_A, 0) };

		same(p, N(p), frame, 40);
		same(w, N(w), frame, 40);
		same(b, N(b), frame, 40);
	}
	/* X huge: out of bounds, no match (no wrap-around). */
	struct sock_filter big[] = { BPF_STMT(BPF_LDX | BPF_IMM, 0xFFFFFFF0u),
				     BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0x20),
				     BPF_STMT(BPF_RET | BPF_K, 7) };
	cr_assert_eq(same(big, N(big), frame, 40), 0);
	struct sock_filter msh_out[] = { BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 39),
					 BPF_STMT(BPF_TXA, 0), BPF_STMT(BPF_RET | BPF_A, 0) };
	same(msh_out, N(msh_out), frame, 40);
}

Test(cbpf, len_imm_mem)
{
	struct sock_filter len[] = { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter xlen[] = { BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_TXA, 0),
				      BPF_STMT(BPF_RET | BPF_A, 0) };
	/* M[3] = P[12:2]; M[15] = 0xdead; A = M[3] + M[15] via X. */
	struct sock_filter mem[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12), BPF_STMT(BPF_ST, 3),
		BPF_STMT(BPF_LDX | BPF_IMM, 0xdead),	BPF_STMT(BPF_STX, 15),
		BPF_STMT(BPF_LD | BPF_IMM, 0),		BPF_STMT(BPF_LDX | BPF_MEM, 3),
		BPF_STMT(BPF_LD | BPF_MEM, 15),		BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	cr_assert_eq(same(len, N(len), frame, 40), 41);
	cr_assert_eq(same(xlen, N(xlen), frame, 40), 41);
	same(mem, N(mem), frame, 40);
	/* Scratch memory beyond M[15] is refused, as libpcap's checker does. */
	struct sock_filter bad[] = { BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, 1) };
	struct bpf_insn out[MAXI];
	cr_assert_eq(cbpf_to_ebpf((const struct cbpf_insn *)bad, N(bad), out, MAXI), -EINVAL);
}

Test(cbpf, alu)
{
	static const __u16 ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_OR,
				     BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH };
	static const __u32 ks[] = { 0, 1, 3, 31, 32, 33, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu };

	for (size_t o = 0; o < N(ops); o++)
		for (size_t j = 0; j < N(ks); j++) {
			/* A = P[14:4] op K, and op X with X = K. */
			struct sock_filter k[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 14),
						   BPF_STMT(BPF_ALU | ops[o] | BPF_K, ks[j]),
						   BPF_STMT(BPF_RET | BPF_A, 0) };
			struct sock_filter x[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 14),
						   BPF_STMT(BPF_LDX | BPF_IMM, ks[j]),
						   BPF_STMT(BPF_ALU | ops[o] | BPF_X, 0),
						   BPF_STMT(BPF_RET | BPF_A, 0) };
			bool by_zero = (ops[o] == BPF_DIV || ops[o] == BPF_MOD) && !ks[j];
			bool wide = (ops[o] == BPF_LSH || ops[o] == BPF_RSH) && ks[j] >= 32;

			/* libpcap itself divides by a zero K (its checker
			 * refuses the program first) and shifts by K >= 32
			 * as C does: those are checked below, alone. */
			if (!by_zero && !wide)
				same(k, N(k), frame, 40);
			if (!by_zero)
				same(x, N(x), frame, 40);
		}
	struct sock_filter neg[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 16), BPF_STMT(BPF_ALU | BPF_NEG, 0),
				     BPF_STMT(BPF_RET | BPF_A, 0) };
	same(neg, N(neg), frame, 40);
	/* Division and modulo by zero end the program with 0 (no match). */
	struct sock_filter divx[] = { BPF_STMT(BPF_LD | BPF_IMM, 10), BPF_STMT(BPF_LDX | BPF_IMM, 0),
				      BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, 1) };
	struct sock_filter modx[] = { BPF_STMT(BPF_LD | BPF_IMM, 10), BPF_STMT(BPF_LDX | BPF_IMM, 0),
				      BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, 1) };
	struct sock_filter divk[] = { BPF_STMT(BPF_LD | BPF_IMM, 10), BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
				      BPF_STMT(BPF_RET | BPF_K, 1) };
	struct sock_filter lshk[] = { BPF_STMT(BPF_LD | BPF_IMM, 10), BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 40),
				      BPF_STMT(BPF_RET | BPF_A, 0) };
	cr_assert_eq(same(divx, N(divx), frame, 40), 0);
	cr_assert_eq(same(modx, N(modx), frame, 40), 0);
	static struct bpf_insn out[MAXI];
	cr_assert_gt(cbpf_to_ebpf((const struct cbpf_insn *)divk, N(divk), out, MAXI), 0);
	cr_assert_eq(ebpf_run(out, MAXI, frame, 40, 40), 0, "A / 0 is no match");
	cr_assert_gt(cbpf_to_ebpf((const struct cbpf_insn *)lshk, N(lshk), out, MAXI), 0);
	cr_assert_eq(ebpf_run(out, MAXI, frame, 40, 40), 0, "A << 40 is 0");
}

Test(cbpf, jumps)
{
	static const __u16 ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
	static const __u32 ks[] = { 0, 0x45, 0x46, 0x4500, 0x4501, 0x80000000u, 0xFFFFFFFFu };
	static const __u8 offs[][2] = { { 0, 1 }, { 1, 0 }, { 0, 2 }, { 2, 0 }, { 1, 2 }, { 2, 1 },
					{ 1, 1 }, { 0, 0 } };

	for (size_t o = 0; o < N(ops); o++)
		for (size_t j = 0; j < N(ks); j++)
			for (size_t f = 0; f < N(offs); f++) {
				/* A = P[14:2]; jump on K and on X; three RETs tell the way. */
				struct sock_filter k[] = {
					BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 14),
					BPF_JUMP(BPF_JMP | ops[o] | BPF_K, ks[j], offs[f][0], offs[f][1]),
					BPF_STMT(BPF_RET | BPF_K, 10), BPF_STMT(BPF_RET | BPF_K, 20),
					BPF_STMT(BPF_RET | BPF_K, 30),
				};
				struct sock_filter x[] = {
					BPF_STMT(BPF_LDX | BPF_IMM, ks[j]),
					BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 14),
					BPF_JUMP(BPF_JMP | ops[o] | BPF_X, 0, offs[f][0], offs[f][1]),
					BPF_STMT(BPF_RET | BPF_K, 10), BPF_STMT(BPF_RET | BPF_K, 20),
					BPF_STMT(BPF_RET | BPF_K, 30),
				};

				same(k, N(k), frame, 40);
				same(x, N(x), frame, 40);
			}
	struct sock_filter ja[] = { BPF_STMT(BPF_LD | BPF_IMM, 5), BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
				    BPF_STMT(BPF_RET | BPF_K, 0), BPF_STMT(BPF_RET | BPF_A, 0) };
	cr_assert_eq(same(ja, N(ja), frame, 40), 41);
	/* A jump out of the program is refused. */
	struct sock_filter out_of[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
					BPF_STMT(BPF_RET | BPF_K, 0) };
	static struct bpf_insn out[MAXI];
	cr_assert_eq(cbpf_to_ebpf((const struct cbpf_insn *)out_of, N(out_of), out, MAXI), -EINVAL);
}

Test(cbpf, ret_tax_txa)
{
	struct sock_filter p[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23), BPF_STMT(BPF_TAX, 0),
				   BPF_STMT(BPF_LD | BPF_IMM, 0), BPF_STMT(BPF_TXA, 0),
				   BPF_STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter k[] = { BPF_STMT(BPF_RET | BPF_K, 262144) };

	cr_assert_eq(same(p, N(p), frame, 40), 40 - 23);
	cr_assert_eq(same(k, N(k), frame, 40), 41);
}

/* Codes bpf_validate() lets pass with unused bits set, which neither
 * pcap_compile emits nor the kernel accepts (found by fuzz_cbpf). */
Test(cbpf, unknown_codes)
{
	static const __u16 codes[] = { 0x67 /* MISC, not TAX/TXA */, 0x88 /* LD|H|LEN */,
				       0xb0 /* LD|B|MSH */, 0x1e /* RET|A|X */ };
	static struct bpf_insn out[MAXI];

	for (size_t i = 0; i < N(codes); i++) {
		struct sock_filter p[] = { { codes[i], 0, 0, 0 }, BPF_STMT(BPF_RET | BPF_K, 1) };

		cr_assert_eq(cbpf_to_ebpf((const struct cbpf_insn *)p, N(p), out, MAXI), -EINVAL,
			     "code %#x", codes[i]);
	}
}

Test(cbpf, too_long)
{
	struct sock_filter p[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_A, 0) };
	static struct bpf_insn out[MAXI];

	cr_assert_eq(cbpf_to_ebpf((const struct cbpf_insn *)p, N(p), out, 4), -E2BIG);
	cr_assert_eq(cbpf_to_ebpf((const struct cbpf_insn *)p, 0, out, MAXI), -EINVAL);
}

/* Real expressions through pcap_compile, over a TCP frame to port 873 and
 * its variants, VLAN-tagged ones included. */
Test(cbpf, pcap_compile)
{
	static const char *exprs[] = { "tcp port 873", "host 192.0.2.5 and tcp port 873",
				       "vlan 10 and tcp", "ip[2:2] > 100", "len >= 0",
				       "tcp[tcpflags] & tcp-syn != 0", "ether proto 0x0101",
				       "ip6 or udp", "not tcp port 80", "tcp[13] & 2 = 2 or ip[8] < 64",
				       "greater 100", "less 60 or len > 1000" };
	__u8 f[80];

	memset(f, 0, sizeof(f));
	memcpy(f, frame, sizeof(frame));
	/* TCP header: ports 41001 -> 873, flags SYN. */
	f[34] = 41001 >> 8, f[35] = 41001 & 0xFF, f[36] = 873 >> 8, f[37] = 873 & 0xFF;
	f[47] = 0x02;
	for (size_t e = 0; e < N(exprs); e++) {
		char err[256];
		struct vno_filter *flt = vno_filter__new(exprs[e], NULL, 0, err, sizeof(err));
		const struct cbpf_insn *c;
		size_t n;

		cr_assert_not_null(flt, "%s: %s", exprs[e], err);
		c = vno_filter__cbpf(flt, &n);
		cr_assert_not_null(c);
		same((const struct sock_filter *)c, n, f, 60);
		/* The same frame with an 802.1Q tag 10 after the MAC addresses. */
		__u8 v[84];
		memcpy(v, f, 12);
		v[12] = 0x81, v[13] = 0x00, v[14] = 0x00, v[15] = 10;
		memcpy(v + 16, f + 12, 60);
		same((const struct sock_filter *)c, n, v, 76);
		vno_filter__free(flt);
	}
}
