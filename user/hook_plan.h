/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which program each hook uses on this kernel: the tables of tracepoint
 * hooks and driver functions with their variants in order of preference,
 * and the choice among them from what the probes say attaches here. The
 * loader's private half; loader_plan(), loader_drivers() and
 * attach_mode_parse() (loader.h) are its public face.
 */
#ifndef VNO_HOOK_PLAN_H
#define VNO_HOOK_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "vno.h"
#include "loader.h"

/* A tracepoint hook: one program per variant, in the order of
 * hook_variant_kind (tp_btf, raw_tp, tracepoint). */
struct hook_def {
	const char *name, *category;
	int hop;
	const char *prog[3]; /* per hook_variant_kind */
};

#define N_HOOKS 5
extern const struct hook_def hook_defs[N_HOOKS];
extern const int hook_variant_kind[3];

/* A driver function: the fentry program(s) and the kprobe program(s); a
 * second name is the exit half (fexit, kretprobe). */
struct drv_def {
	const char *func, *driver, *what;
	const char *fentry[2], *kprobe[2];
	bool needs_types;
};

#define N_DRV 11
extern const struct drv_def drv_defs[N_DRV];
enum { DRV_FENTRY = 0, DRV_KPROBE = 1 };

/* First variant of @h that this kernel loads and attaches, skipping the ones
 * in @disabled (bit per variant); -1 when none. */
int hook_choose(const struct hook_def *h, unsigned disabled);
/* "tp_btf/net_dev_start_xmit" for variant @v of @h, or why none (v < 0). */
void hook_use(char out[VNO_HOOK_LEN], const struct hook_def *h, int v);
/* The section prefix of variant kind @kind: "tp_btf", "raw_tp", "tracepoint". */
const char *hook_kind_prefix(int kind);

/* The kind for driver function @i (DRV_FENTRY/DRV_KPROBE), or -1 with why
 * in what loader_drivers() reports for it. @disabled: bit 0 fentry, bit 1
 * kprobe. */
int drv_plan(size_t i, enum attach_mode mode, unsigned disabled);
/* The program names of driver function @d for @kind. */
const char *const *drv_progs(const struct drv_def *d, int kind);
/* The driver hops' hook strings ("fentry/e1000_xmit_frame kprobe/start_xmit")
 * from the kinds in @drv, and each function's state for loader_drivers();
 * @all_off (when set) is why none is used. */
void drv_describe(char hooks[VNO_HOP__MAX][VNO_HOOK_LEN], const int *drv, const char *all_off);

/* The TC attach mode for @want on this kernel, and how to say it in *why
 * ("tcx", "tc clsact", or "none: <why>"). */
enum tc_mode tc_choose(enum tc_mode want, const char **why);

#endif
