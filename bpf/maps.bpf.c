// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one definition of every map and tunable the hook families share. */
#include "maps.h"

struct vno_rb_map events0 SEC(".maps");
struct vno_rb_map events1 SEC(".maps");
struct vno_rb_map events2 SEC(".maps");
struct vno_rb_map events3 SEC(".maps");
/* Filled by the loader with the first cfg_rings of them. */
struct vno_rings_map rings SEC(".maps");
struct vno_devs_map devs SEC(".maps");
struct vno_counters_map counters SEC(".maps");
struct vno_queues_map queues SEC(".maps");
struct vno_queues_fixed_map queues_fixed SEC(".maps");
struct vno_queue_counts_map queue_counts SEC(".maps");
struct vno_stats_map stats SEC(".maps");
struct vno_stats_fixed_map stats_fixed SEC(".maps");
struct vno_drops_map drops SEC(".maps");
struct vno_flight_map flight SEC(".maps");
struct vno_flight_head_map flight_head SEC(".maps");
struct vno_ids_map ids SEC(".maps");
struct vno_id_tags_map id_tags SEC(".maps");
struct vno_num_map nums SEC(".maps");
struct vno_filter_buf_map filter_buf SEC(".maps");
struct vno_stats vno_zero_stats;

const volatile __u32 cfg_netns = 0;
const volatile __u32 cfg_all_ifaces = 0;
const volatile __u32 cfg_all_frames = 0;
const volatile __u32 cfg_snaplen = VNO_HDR_MIN;
const volatile __u32 cfg_snaplen_encap = 0;
const volatile __u64 cfg_id_key = 0;
const volatile __u64 cfg_wakeup_bytes = 64 * 1024;
const volatile __u32 cfg_rings = 1;
const volatile __u32 cfg_events = 1;
const volatile __u32 cfg_stats = 1;
const volatile __u32 cfg_shinfo_direct = 1;
const volatile __u32 cfg_flight_window = 1024;
const volatile __u32 cfg_filter_pcap = 0;
const volatile __u32 cfg_n_preds = 0;
const volatile struct vno_bpf_pred cfg_preds[VNO_BPF_PREDS] = {};
const volatile __u32 cfg_n_ifindexes = 0;
/* Writable (.bss): a watched interface deleted and created again under the
 * same name gets a new ifindex, which user space puts in its place. */
volatile __u32 cfg_ifindexes[VNO_QUICK_IFS] = {};
const volatile __u32 cfg_if_netns[VNO_QUICK_IFS] = {};
const volatile __u32 cfg_if_slot[VNO_QUICK_IFS] = {};

char LICENSE[] SEC("license") = "Dual BSD/GPL";
