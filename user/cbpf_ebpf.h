/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Classic BPF (what pcap_compile produces for -f) translated into eBPF
 * instructions that run inside the hooks, in the placeholder block the BPF
 * programs carry for it (bpf/filter.h). The translated code keeps the
 * semantics of libpcap's bpf_filter(): loads are big-endian and checked
 * against the bytes copied, and a load out of bounds or a division by zero
 * ends the program with 0 (no match).
 *
 * Register use, the contract with bpf/filter.h:
 *   r1  the frame's bytes (a map value of VNO_FILTER_BUF bytes, then the
 *       16 words of scratch memory M[] at VNO_FILTER_MEM_OFF)
 *   r2  how many bytes were copied (<= VNO_FILTER_BUF)
 *   r3  the wire length (BPF_LEN)
 *   r0  A, and the result: 0 no match
 *   r4  X;  r5 a temporary.  No stack, no calls, r6-r9 untouched.
 */
#ifndef VNO_CBPF_EBPF_H
#define VNO_CBPF_EBPF_H

#include <stddef.h>
#include <linux/types.h>

/* The layout of struct sock_filter and of libpcap's struct bpf_insn. */
struct cbpf_insn {
	__u16 code;
	__u8 jt;
	__u8 jf;
	__u32 k;
};

struct bpf_insn;

/*
 * Translate @n classic instructions into exactly @max eBPF instructions at
 * @out (the tail padded with no-ops, jumps to the end of the block ending
 * the program). Returns the instructions used before the padding, -E2BIG
 * when they do not fit in @max, -EINVAL for an instruction or jump that
 * libpcap's own checker would refuse.
 */
int cbpf_to_ebpf(const struct cbpf_insn *c, size_t n, struct bpf_insn *out, size_t max);

#endif
