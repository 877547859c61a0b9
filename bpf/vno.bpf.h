/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one include of every .bpf.c file: the BPF-only helpers shared by
 * every hook family, one header per job. Each hook family uses nearly all
 * of them (a hop reads the skb, checks the device, counts, finds the skb's
 * state and emits), so one include serves them better than a list each;
 * every header includes what it needs itself and also compiles alone.
 */
#ifndef VNO_BPF_H
#define VNO_BPF_H

#include "maps.h"	/* map types, externs, rodata tunables */
#include "meta.h"	/* reading gso/csum metadata from the skb */
#include "watch.h"	/* is this device one of the chosen interfaces */
#include "stats.h"	/* counters and per-CPU aggregates */
#include "queue.h"	/* TX queue state */
#include "skb_state.h"	/* per-skb state table: packet ids, in-flight frames */
#include "flight.h"	/* flight recorder ring */
#include "filter.h"	/* the filter's BPF stage (-f, -m) */
#include "emit.h"	/* filling and sending records */

#endif /* VNO_BPF_H */
