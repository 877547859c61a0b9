/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The loader's public API: open -> configure -> load -> attach and the
 * undoing of it (loader.c), what each hop would use on this kernel
 * (hook_plan.c), and the readers of the kernel maps (kmaps.h).
 */
#ifndef VNO_LOADER_H
#define VNO_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include "ifaces.h"
#include "session.h"
#include "kmaps.h" /* the readers of the kernel maps, part of this API */
#include "filter.h"

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
	unsigned snaplen_encap;	/* for encapsulated frames, when larger than snaplen */
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
	const struct vno_filter *filter; /* -f / -m: their BPF stage, with events only */
};

struct loader;

/* NULL on error with errno set and a sentence in err. */
struct loader *loader__open(const struct loader_opts *o, char *err, size_t errlen);
void loader__close(struct loader *l);

/* Hook used per hop: "tp_btf/net_dev_start_xmit", or "none: <why>". */
const char *loader_hook(const struct loader *l, int hop);
/* The ring buffers' fds into @fds (VNO_RINGS of room); how many. */
int loader_events_map_fds(const struct loader *l, int *fds);
/* Where the run's -f / -m are evaluated: "bpf", "bpf+user" or "user"
 * (vno_filter_where_text says it in words). */
const char *loader_filter_where(const struct loader *l);

/* What each hop would use on this kernel, and why, without loading (doctor). */
void loader_plan(char hooks[VNO_HOP__MAX][VNO_HOOK_LEN], enum tc_mode mode);

/* Driver functions: what a run would use for each (doctor), or did use. */
struct loader_drv {
	const char *func;	/* e1000_xmit_frame */
	const char *driver;	/* e1000e */
	const char *what;	/* "drv-xmit: the frame and the TX ring" */
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
