/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every map and tunable the hook families share, declared: the map types,
 * the externs each .bpf.c file links against (maps.bpf.c defines them
 * once, and the objects are linked into one by bpftool gen object), and
 * the rodata configuration the loader sets before load.
 */
#ifndef VNO_BPF_MAPS_H
#define VNO_BPF_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "vno.h"

/* The ring buffers (VNO_RINGS, include/vno.h): events0.. sized by the
 * loader, the first cfg_rings of them put in rings. */
struct vno_rb_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
};

struct vno_rings_map {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, VNO_RINGS);
	__type(key, __u32);
	__array(values, struct vno_rb_map);
};

struct vno_devs_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct vno_dev_key);
	__type(value, struct vno_dev_val);
};

struct vno_queues_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vno_queue_key);
	__type(value, struct vno_queue_stat);
};

/* The same for the first VNO_FIXED_QUEUES queues of the fixed interfaces,
 * by position (VNO_QUEUE_FIXED_IDX), to spare a hash lookup per frame. */
struct vno_queues_fixed_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set by the loader */
	__type(key, __u32);
	__type(value, struct vno_queue_stat);
};

struct vno_stats_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vno_stats_key);
	__type(value, struct vno_stats);
};

/* The same for the fixed interfaces (cfg_n_ifindexes), by position:
 * VNO_STATS_FIXED_IDX(index in the table, hop, gso kind). An array lookup
 * is a few instructions where a hash lookup is a call. */
struct vno_stats_fixed_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* set by the loader */
	__type(key, __u32);
	__type(value, struct vno_stats);
};

struct vno_drops_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 2048);
	__type(key, struct vno_drop_key);
	__type(value, __u64);
};

struct vno_flight_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* slots x window, set by the loader */
	__type(key, __u32);
	__type(value, struct vno_frame);
};

struct vno_flight_head_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VNO_FLIGHT_MAX_DEVS);
	__type(key, __u32);
	__type(value, __u64);
};

struct vno_counters_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VNO_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
};

/* struct vno_queue_count per CPU, by the same index as queues_fixed. */
struct vno_queue_counts_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* set by the loader */
	__type(key, __u32);
	__type(value, struct vno_queue_count);
};

/* The per-skb state table (skb_state.h says how it is used). */
#define VNO_IDS_BITS 16

struct vno_ids_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << VNO_IDS_BITS);
	__type(key, __u32);
	__type(value, struct vno_skb_state);
};

/* A 16-bit tag per ids slot, four to a word: a hop that only looks an skb
 * up (a release) reads the one word of its set and leaves the 64-byte
 * slots alone unless a tag matches. Most skbs a host frees were never
 * tracked, so most releases stop here. 0: an empty slot. */
struct vno_id_tags_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, (1 << VNO_IDS_BITS) / 4);
	__type(key, __u32);
	__type(value, __u64);
};

/* One number per CPU to turn a pointer into a plain number. */
struct vno_num_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

/* The bytes -f runs on, and its scratch memory (bpf/filter.h). */
struct vno_filter_buf_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vno_filter_buf);
};

extern struct vno_rb_map events0 SEC(".maps");
extern struct vno_rb_map events1 SEC(".maps");
extern struct vno_rb_map events2 SEC(".maps");
extern struct vno_rb_map events3 SEC(".maps");
extern struct vno_rings_map rings SEC(".maps");
extern struct vno_devs_map devs SEC(".maps");
extern struct vno_counters_map counters SEC(".maps");
extern struct vno_queues_map queues SEC(".maps");
extern struct vno_queues_fixed_map queues_fixed SEC(".maps");
extern struct vno_queue_counts_map queue_counts SEC(".maps");
extern struct vno_stats_map stats SEC(".maps");
extern struct vno_stats_fixed_map stats_fixed SEC(".maps");
extern struct vno_drops_map drops SEC(".maps");
extern struct vno_flight_map flight SEC(".maps");
extern struct vno_flight_head_map flight_head SEC(".maps");
extern struct vno_ids_map ids SEC(".maps");
extern struct vno_id_tags_map id_tags SEC(".maps");
extern struct vno_num_map nums SEC(".maps");
extern struct vno_filter_buf_map filter_buf SEC(".maps");
/* All zero: the initial value of a new stats entry (too big for the stack). */
extern struct vno_stats vno_zero_stats;

/* Tunables, set through the skeleton's rodata before load (maps.bpf.c). */
extern const volatile __u32 cfg_netns;	    /* with cfg_all_ifaces: watch this netns */
extern const volatile __u32 cfg_all_ifaces; /* every ifindex of cfg_netns, not only devs */
extern const volatile __u32 cfg_all_frames; /* every skb, not only offload-carrying ones */
extern const volatile __u32 cfg_snaplen;    /* frame bytes to copy, >= VNO_HDR_MIN */
extern const volatile __u32 cfg_snaplen_encap; /* for an encapsulated skb, when larger */
extern const volatile __u64 cfg_id_key;	    /* per-run key hiding skb addresses */
extern const volatile __u64 cfg_wakeup_bytes; /* wake user space past this much data */
extern const volatile __u32 cfg_rings;	    /* ring buffers in use, 1..VNO_RINGS */
extern const volatile __u32 cfg_events;	    /* records to the ring buffer (0: export) */
extern const volatile __u32 cfg_stats;	    /* in-kernel aggregates */
/* Through a BTF skb, read skb_shared_info with plain loads from skb->head
 * (a pointer to untrusted read-only memory to newer verifiers); 0 where the
 * verifier refuses that: one probe read. */
extern const volatile __u32 cfg_shinfo_direct;
extern const volatile __u32 cfg_flight_window;
/* The filter's BPF stage (bpf/filter.h): the -f translation was written
 * into the programs, and the -m predicates on fields known here. */
extern const volatile __u32 cfg_filter_pcap;
extern const volatile __u32 cfg_n_preds;
extern const volatile struct vno_bpf_pred cfg_preds[VNO_BPF_PREDS]; /* frames per device, power of two; 0 off */
/* The chosen interfaces when they are few and fixed: (ifindex, netns,
 * flight recorder slot + 1) in place of a lookup in devs, and the ifindex
 * checked before anything else is read, as most skbs in a host are on other
 * devices. 0 entries: devs decides. */
#define VNO_QUICK_IFS 16
extern const volatile __u32 cfg_n_ifindexes;
extern volatile __u32 cfg_ifindexes[VNO_QUICK_IFS]; /* .bss: updated when one comes back */
extern const volatile __u32 cfg_if_netns[VNO_QUICK_IFS];
extern const volatile __u32 cfg_if_slot[VNO_QUICK_IFS];

/* Frame bytes to copy of an skb: a tunnel's frame (skb->encapsulation)
 * gets the larger snap that holds its inner headers too. */
static __always_inline __u32 vno_snaplen(bool encap)
{
	return encap && cfg_snaplen_encap > cfg_snaplen ? cfg_snaplen_encap : cfg_snaplen;
}

#endif /* VNO_BPF_MAPS_H */
