/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * struct loader, private to the files that make up the loader: loader.c
 * fills it, kmaps.c reads the maps it holds.
 */
#ifndef VNO_LOADER_INT_H
#define VNO_LOADER_INT_H

#include <bpf/libbpf.h>
#define VNO_QUICK_IFS 16 /* bpf/maps.h */
#include "vno.h" /* before the skeleton: its .bss holds a struct vno_stats */
#include "vno.skel.h"
#include "loader.h"
#include "loader_tc.h"
#include "hook_plan.h"

struct loader {
	struct vno_bpf *skel;
	struct bpf_link *links[N_HOOKS];
	struct bpf_link *drv_links[N_DRV][2];
	struct tc_links tc;
	char hooks[VNO_HOP__MAX][VNO_HOOK_LEN];
	unsigned window;	/* flight recorder frames per slot */
	unsigned n_rings;	/* ring buffers in use (events0..) */
	bool shinfo_probe_read;	/* cfg_shinfo_direct off: the release predates it, or
				 * the verifier refused it */
	/* The first interfaces: the flight recorder's slots (n_slots of
	 * them) and the programs' fixed table (n_fixed <= VNO_QUICK_IFS). */
	struct vno_dev_key first[VNO_FLIGHT_MAX_DEVS];
	unsigned n_slots;
	unsigned n_fixed;
	enum tc_mode tc_used;	/* how the TC programs went on: TC_OFF, TC_TCX, TC_CLSACT */
	char filter_where[12];	/* "bpf", "bpf+user", "user" */
	bool filter_in_bpf;	/* this attempt put a filter stage in the programs */
	bool filter_off;	/* the verifier refused it: user space only */
};

/* The filter's BPF stage into the opened object (loader_filter.c). */
void configure_filter(struct loader *l, const struct loader_opts *o);

#endif
