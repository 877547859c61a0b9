/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* open -> configure -> load -> attach, and the undoing of it. */
#ifndef VNO_LOADER_H
#define VNO_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include "ifaces.h"
#include "session.h"

enum tc_mode { TC_AUTO, TC_TCX, TC_CLSACT, TC_OFF };

/* Driver hooks: fentry where it attaches, else kprobe (auto); or forced. */
enum attach_mode { ATTACH_AUTO, ATTACH_FENTRY, ATTACH_KPROBE, ATTACH_TP };

/* clsact filters of ours are found by this handle and priority, so a run
 * killed with SIGKILL can have its leftovers removed by the next one. */
#define VNO_TC_HANDLE 0x766e
#define VNO_TC_PRIO 0xc0de

struct loader_opts {
	__u32 netns;
	bool all_ifaces;	/* every interface of netns, also ones created later */
	bool all_frames;	/* --all */
	unsigned snaplen;
	unsigned long rb_bytes; /* ring buffer size, power of two */
	enum tc_mode tc_mode;
	const struct vno_iface *ifaces; /* chosen interfaces */
	size_t n_ifaces;
	bool no_events;		/* export: aggregates only, no records to user space */
	enum attach_mode attach; /* driver hooks */
	unsigned window;	/* flight recorder frames per device (rounded up to 2^n), with
				 * no_events only; 0 off */
	bool live;		/* interfaces come and go (loader_iface_add/remove): no
				 * fixed table, every flight recorder slot allocated */
};

struct loader;

/* NULL on error with errno set and a sentence in err. */
struct loader *loader__open(const struct loader_opts *o, char *err, size_t errlen);
void loader__close(struct loader *l);

/* Hook used per hop: "tp_btf/net_dev_start_xmit", or "none: <why>". */
const char *loader_hook(const struct loader *l, int hop);
int loader_events_map_fd(const struct loader *l);
/* Sum over CPUs of the VNO_CNT_* counters. */
int loader_counters(const struct loader *l, __u64 out[VNO_CNT__MAX]);

/* What each hop would use on this kernel, and why, without loading (doctor). */
void loader_plan(char hooks[VNO_HOP__MAX][VNO_HOOK_LEN], enum tc_mode mode);

/* Driver functions: what a run would use for each (doctor), or did use. */
struct loader_drv {
	const char *func;	/* e1000_xmit_frame */
	const char *driver;	/* e1000e */
	const char *what;	/* "xmit: the frame and the TX ring" */
	char use[200];		/* "fentry", "kprobe", or "none: <why>" */
};
/* Fills *out (static storage) with every driver function; returns the count.
 * With @l, what that run attached; without, the plan for @mode. */
int loader_drivers(const struct loader *l, enum attach_mode mode, const struct loader_drv **out);
int attach_mode_parse(const char *s, enum attach_mode *m);

/* A watched interface was deleted and created again under the same name:
 * watch @new_ifindex in @old_ifindex's place (its table entry, flight
 * recorder slot and TC programs). 0 or -errno. */
int loader_iface_moved(struct loader *l, __u32 netns, __u32 old_ifindex, __u32 new_ifindex);

/* Every TX queue the BPF side has seen a recorded frame on. *out is malloc'd. */
struct loader_queue {
	struct vno_queue_key key;
	struct vno_queue_stat st;
	__s64 inflight;		/* xmit - done - freed: approximate, frames that vanish
				 * without a tracepoint stay in */
};
int loader_queues(const struct loader *l, struct loader_queue **out, size_t *n);
/* Oldest frame still in flight on a queue: its xmit time, 0 when none. */
__u64 loader_oldest_inflight(const struct loader *l, const struct vno_queue_key *k);

/* The flight recorder of one device, oldest first; *out is malloc'd. */
int loader_flight(const struct loader *l, __u32 netns, __u32 ifindex, struct vno_frame **out,
		  size_t *n);

/* In-kernel aggregates, summed over CPUs. */
struct loader_stat {
	struct vno_stats_key key;
	struct vno_stats st;
};
struct loader_drop {
	struct vno_drop_key key;
	__u64 count;
};
int loader_stats(const struct loader *l, struct loader_stat **out, size_t *n);
int loader_drops(const struct loader *l, struct loader_drop **out, size_t *n);

/* ---- the watched set at run time (live.c) ---- */

/* Watch one more interface: its entry in the watched table, a flight
 * recorder slot while one is free, the TC programs when the TC hops are
 * on. -EBUSY when this run matches a fixed table (no live set). 0 or -errno. */
int loader_iface_add(struct loader *l, const struct vno_iface *it);
/* Stop watching an interface (deleted, or no longer chosen): its entry, its
 * flight recorder slot (free for the next one), its TC attachments, and
 * its in-kernel aggregates, queue states and drop counts. 0 or -errno. */
int loader_iface_remove(struct loader *l, __u32 netns, __u32 ifindex);
/* The aggregates, queue states and drop counts of one interface, removed
 * (again: a completion of a frame sent before it went may land late). */
void loader_iface_purge(struct loader *l, __u32 netns, __u32 ifindex);
/* Flight recorder slots: in use, and in all. */
void loader_slots(const struct loader *l, unsigned *used, unsigned *total);

#endif
