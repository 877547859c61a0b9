/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pre-hang diagnosis: a per-device flight recorder of the last N frames
 * handed to the driver, a baseline of the frames before them, the ingress
 * device of each frame (stitched by pkt_id), and, when a hang fires, the
 * frames before it, their anomalies, the attributes over-represented just
 * before the hang (suspects) and the offload they accuse, with the commands
 * that switch exactly that off on the host, at the VMM and in the guest.
 *
 * Pure user space: `record` feeds it live, `report` from a capture file.
 * Memory is bounded by the options, whatever the traffic.
 */
#ifndef VNO_DIAGNOSE_H
#define VNO_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "vno.h"
#include "ifaces.h"
#include "anomaly.h"
#include "ethfeatures.h"
#include "offpath.h"
#include "remedy.h"
#include "ring_report.h"

enum vno_hang_source {
	VNO_HANG_WATCHDOG = 0, /* net_dev_xmit_timeout tracepoint */
	VNO_HANG_KMSG = 1,     /* a hang line in /dev/kmsg */
	VNO_HANG_STALL = 2,    /* frames handed to a queue, no completion */
	VNO_HANG_CARRIER = 3,  /* carrier flap on a watched interface */
	VNO_HANG_MANUAL = 4,   /* SIGUSR1, --trigger-after */
	VNO_HANG_DRIVER = 5,   /* the driver's own hang hook (e1000_print_hw_hang) */
	VNO_HANG__MAX = 6,
};

struct vno_hang {
	__u64 ts_ns;	     /* CLOCK_MONOTONIC if known, else 0 */
	__u32 netns;	     /* 0: any namespace */
	__u32 ifindex;	     /* 0: find the device by name */
	int queue;	     /* TX queue, -1 when unknown */
	int source;	     /* enum vno_hang_source */
	char dev[VNO_IFNAMSIZ];
	char detail[256];    /* the kmsg line, the stall's queue depth, … */
	struct ring_report ring; /* what the driver said of its TX ring; parser "" when nothing */
};

const char *diag_source_name(int source); /* "watchdog", "kmsg", … or "?" */
int diag_source_parse(const char *name);  /* -1 when unknown */

#define DIAG_WINDOW_DEFAULT 1024
#define DIAG_TERM_FRAMES 32
#define DIAG_RING_TERM_FRAMES 8 /* on_ring frames named in the terminal */
#define DIAG_MAX_SUSPECTS 8
#define DIAG_MAX_CAUSES 4

/* Attributes compared between the pre-hang window and the baseline; the
 * order breaks ties in lift (the most specific explanation first). */
enum diag_attr {
	DIAG_ATTR_ANOMALY = 0,
	DIAG_ATTR_GSO_TYPE = 1,
	DIAG_ATTR_GSO_SIZE = 2,
	DIAG_ATTR_CSUM = 3,
	DIAG_ATTR_INGRESS = 4,
	DIAG_ATTR_SIZE = 5,
	DIAG_ATTR__MAX = 6,
};

const char *diag_attr_name(int attr); /* "anomaly", "gso_type", "gso_size", … */

struct diag_opts {
	unsigned window;	/* frames kept per device; 0: DIAG_WINDOW_DEFAULT */
	unsigned max_devs;	/* devices with a window; 0: 64 */
	unsigned origin_slots;	/* pkt_id -> ingress slots (rounded up to 2^n); 0: 16384 */
	__u64 origin_ttl_ns;	/* an ingress older than this is not trusted; 0: 10 s */
	double min_lift;	/* a suspect's lift must reach this; 0: 2.0 */
	unsigned min_support;	/* and its window count this; 0: 3 */
	/* The hung devices are on this host, in this network namespace
	 * (record, export): their features are read live to check the
	 * remedy against, and the VM behind a tap is looked up. false for
	 * `report` of a capture made elsewhere. */
	bool read_features;
};

/* One frame of the window as the diagnosis shows it. */
struct diag_frame {
	struct vno_event ev;
	__u64 anomalies;		/* bit per rule id (anomaly.h) */
	char origin[VNO_IFNAMSIZ];	/* device it entered the host on, "" when unknown */
	__u32 origin_netns, origin_ifindex;
	__u8 origin_hop;		/* rx or tc-ingress */
	__u8 origin_tap;		/* the origin is a guest's tap */
	__u8 completed;			/* its done record arrived (0 also when unknowable) */
	__u8 counted;			/* one of the frames the suspects are computed on */
	__u8 on_ring;			/* on the hung ring when it stopped (diag_ring.c) */
};

struct diag_suspect {
	int attr;			/* enum diag_attr */
	char value[48];
	double lift;			/* window share / max(baseline share, smoothing) */
	__u32 window_count, window_total;
	__u64 baseline_count, baseline_total;
	char origin[VNO_IFNAMSIZ];	/* the tap most of these frames came from, or "" */
};

struct vno_diagnosis {
	struct vno_hang hang;
	char driver[32];		/* of the hung device, "" when unknown */
	struct diag_frame *frames;	/* the window, oldest first; owned */
	size_t n_frames;
	__u32 window_total;		/* frames the suspects were computed on */
	__u64 baseline_total;		/* ... and the frames compared against */
	bool compared;			/* enough frames to compute suspects at all */
	bool split_window;		/* too little before the window: compared its halves */
	bool completions_known;		/* done records were seen on this device */
	__u32 super_frames;		/* GSO frames in the window */
	__u32 in_flight;		/* handed to the driver and never completed */
	/* The driver's report of its ring (hang.ring) against the window:
	 * the newest ring.pending frames handed to the device and not done
	 * are marked on_ring; the driver's last completion round (drv-done,
	 * where its hooks exist) before the hang. */
	__u32 n_on_ring, on_ring_super;
	bool drv_done_known;
	__u64 drv_done_ago_ns, drv_done_latency_ns;
	__u32 anomalies[ANOMALY__MAX];	/* frames of the window per rule */
	struct diag_suspect suspects[DIAG_MAX_SUSPECTS];
	int n_suspects;
	char remedy[512];		/* one line; "" when there is nothing to switch off */
	unsigned accused;		/* REM_BIT()s the top suspect's frames accuse */
	struct remedy rem;		/* each place's command for them (remedy.h) */
	char tap[VNO_IFNAMSIZ];		/* the guest's tap the suspect came from, or "" */
	char vm[64];			/* the VM behind it, "" when not known */
	char vm_name[64];		/* its name alone (JSON), "" unless its VMM gave one */
	/* No offload accused: causes of hangs known for the driver's NIC
	 * family that are not offloads, each with how to check it. */
	char causes[DIAG_MAX_CAUSES][320];
	int n_causes;
	/* The guest's tap (or every tap on the hung device's bridge) through
	 * the bridge to the hung device, with the offloads that matter and
	 * where the frames of the window meet hardware offload; n 0 when no
	 * bridge joins them (offpath.h). */
	struct vno_path path;
	/* The frames it was made from were chosen by this filter ("-f '…'
	 * -m '…'"), not owned; NULL: every frame (pipeline_hang sets it). */
	const char *filter;
	char verdict[256];
};

struct diag;

/* NULL and errno (EINVAL, ENOMEM) on failure; @opts may be NULL. */
struct diag *diag__new(const struct diag_opts *opts);
void diag__free(struct diag *d);

/*
 * The interfaces frames are seen on (copied): drivers, MTU, GSO limits and
 * offload states for the anomaly rules, tap detection and the remedy.
 * Without them device-dependent rules stay silent. 0 or -ENOMEM.
 */
int diag__set_ifaces(struct diag *d, const struct vno_iface *ifs, size_t n);

/* Set diag_opts.read_features after diag__new(). */
void diag__set_read_features(struct diag *d, bool on);
/*
 * The features of device @ifname as known without reading them (a test,
 * a list saved elsewhere; copied): the remedy is checked against them
 * instead of the live device. 0, -EINVAL or -ENOMEM.
 */
int diag__set_features(struct diag *d, const char *ifname, const struct vno_features *fs);

/*
 * Feed one decoded record (every hop, in arrival order). rx and tc-ingress
 * records remember where a pkt_id entered; xmit records (tc-egress where
 * xmit is not hooked) and drops go into their device's window; done
 * records mark their frame completed. 0, or -EINVAL.
 */
int diag__add(struct diag *d, const struct vno_event *ev);
/* The same for a record the caller already marked with anomaly_mark():
 * @mask is what that found (the rules are not run again). */
int diag__add_checked(struct diag *d, const struct vno_event *ev, const __u64 *mask);
/* A record @f about to be fed: start fetching the slot of its pkt_id in the
 * table of ingresses, which every rx, xmit and done record reads and which
 * is too large to stay cached under load. */
void diag__prefetch(const struct diag *d, const struct vno_frame *f);

/*
 * Diagnose @h from what was fed so far into @out (zeroed first; release
 * with diagnosis_free()). A device with no frames still gets a verdict
 * saying so. 0, -EINVAL or -ENOMEM.
 */
int diag__hang(struct diag *d, const struct vno_hang *h, struct vno_diagnosis *out);

void diagnosis_free(struct vno_diagnosis *dg);

/* The terminal form: the last DIAG_TERM_FRAMES frames, anomalies,
 * suspects, remedy and verdict. */
void diag_print(FILE *out, const struct vno_diagnosis *dg);
/* The time a hang's frames are shown before: the hang when its clock is
 * the frames' (watchdog, stall, manual), else the last of @frames (a kmsg
 * timestamp is the printk clock, not CLOCK_MONOTONIC). */
__u64 diag_ref_ts(const struct vno_diagnosis *dg, const struct diag_frame *frames, size_t n);
/* One JSON line: {"type":"hang",…,"frames_before":[the whole window],…}\n */
void diag_json(FILE *out, const struct vno_diagnosis *dg);

#endif
