// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The filter's BPF stage, set up between open and load: the -m predicates
 * the programs can test into rodata, and the -f expression's classic BPF,
 * translated (cbpf_ebpf.c), written over the placeholder block every
 * program that emits frames carries (bpf/filter.h). The block has a fixed
 * length and nothing in it is relocated, so libbpf's relocations,
 * func_info and line_info stay valid (bpf_program__insns/set_insns, both
 * in libbpf 1.0 and later).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cbpf_ebpf.h"
#include "loader_int.h"
#include "log.h"

/* Is @p[i] the start of an untouched placeholder block? */
static bool is_block(const struct bpf_insn *p, size_t i, size_t cnt)
{
	if (i + VNO_FILTER_INSNS > cnt || p[i].code != (BPF_LD | BPF_DW | BPF_IMM) ||
	    p[i].dst_reg != BPF_REG_0 || p[i].src_reg ||
	    (__u32)p[i].imm != (__u32)VNO_FILTER_MARK ||
	    (__u32)p[i + 1].imm != (__u32)(VNO_FILTER_MARK >> 32))
		return false;
	for (size_t j = i + 2; j < i + VNO_FILTER_INSNS; j++)
		if (p[j].code != (BPF_JMP | BPF_JA) || p[j].off || p[j].imm)
			return false;
	return true;
}

/* @block over every placeholder of every program; how many, or -errno. */
static int patch(struct bpf_object *obj, const struct bpf_insn *block)
{
	struct bpf_program *prog;
	int total = 0;

	bpf_object__for_each_program(prog, obj) {
		size_t cnt = bpf_program__insn_cnt(prog), n = 0;
		const struct bpf_insn *old = bpf_program__insns(prog);
		struct bpf_insn *copy;
		int ret;

		for (size_t i = 0; i + 1 < cnt; i++)
			n += is_block(old, i, cnt);
		if (!n)
			continue;
		copy = malloc(cnt * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, old, cnt * sizeof(*copy));
		for (size_t i = 0; i + 1 < cnt; i++)
			if (is_block(old, i, cnt))
				memcpy(&copy[i], block, VNO_FILTER_INSNS * sizeof(*block));
		ret = bpf_program__set_insns(prog, copy, cnt);
		free(copy);
		if (ret)
			return ret;
		total += n;
	}
	return total;
}

/* -f into the programs: true when written. */
static bool pcap_into_bpf(struct loader *l, const struct vno_filter *f)
{
	size_t n;
	const struct cbpf_insn *c = vno_filter__cbpf(f, &n);
	struct bpf_insn *block = calloc(VNO_FILTER_INSNS, sizeof(*block));
	int ret;

	if (!block)
		return false;
	ret = cbpf_to_ebpf(c, n, block, VNO_FILTER_INSNS);
	if (ret == -E2BIG)
		pr_warn("-f: its %zu classic BPF instructions do not fit in the BPF programs' "
			"block of %d: evaluated in user space\n", n, VNO_FILTER_INSNS);
	else if (ret < 0)
		pr_warn("-f: its classic BPF cannot be translated (%s): evaluated in user space\n",
			strerror(-ret));
	else if ((ret = patch(l->skel->obj, block)) <= 0)
		pr_warn("-f: %s: evaluated in user space\n",
			ret ? strerror(-ret) : "no placeholder found in the BPF programs");
	else
		pr_info("-f: %zu classic BPF instructions in %d programs' placeholders\n", n, ret);
	free(block);
	return ret > 0;
}

void configure_filter(struct loader *l, const struct loader_opts *o)
{
	struct vno_bpf_pred preds[VNO_BPF_PREDS];
	const struct vno_filter *f = o->filter;
	bool all = true, pcap = false, has_pcap;
	size_t n_preds = 0, n;

	l->filter_in_bpf = false;
	snprintf(l->filter_where, sizeof(l->filter_where), "user");
	/* export: the flight recorder in the kernel has no frame bytes, and
	 * its series count every frame; the filter runs when it is read. */
	if (!f || o->no_events || l->filter_off)
		return;
	has_pcap = vno_filter__cbpf(f, &n) != NULL;
	n_preds = vno_filter__bpf_preds(f, preds, &all);
	if (has_pcap)
		pcap = pcap_into_bpf(l, f);
	l->skel->rodata->cfg_filter_pcap = pcap;
	l->skel->rodata->cfg_n_preds = n_preds;
	memcpy((void *)l->skel->rodata->cfg_preds, preds, n_preds * sizeof(preds[0]));
	l->filter_in_bpf = pcap || n_preds;
	if (l->filter_in_bpf)
		snprintf(l->filter_where, sizeof(l->filter_where), "%s",
			 (pcap || !has_pcap) && all ? "bpf" : "bpf+user");
}

const char *loader_filter_where(const struct loader *l)
{
	return l->filter_where;
}
