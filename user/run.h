/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A live session, shared by record and export: choose the interfaces,
 * load and attach, then turn by turn read the ring buffer and watch every
 * hang trigger (watchdog records, the kernel log, completion stalls,
 * carrier, by hand), feeding the pipeline.
 */
#ifndef VNO_RUN_H
#define VNO_RUN_H

#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <stdbool.h>
#include "loader.h"
#include "pipeline.h"
#include "ring_report.h"

/* Long-only options record and export share (getopt codes). */
enum {
	RUN_OPT_TC_MODE = 0x100,
	RUN_OPT_ATTACH,
	RUN_OPT_STALL,
	RUN_OPT_WINDOW,
	RUN_OPT_PATTERN,
	RUN_OPT_VM,
};

/* The short options the shared long ones have (getopt's optstring). */
#define RUN_SHORTOPTS "i:Z:"

#define RUN_LONGOPTS                                                          \
	{ "interface", required_argument, NULL, 'i' },                        \
	{ "tc-mode", required_argument, NULL, RUN_OPT_TC_MODE },              \
	{ "attach", required_argument, NULL, RUN_OPT_ATTACH },                \
	{ "stall-ms", required_argument, NULL, RUN_OPT_STALL },               \
	{ "window", required_argument, NULL, RUN_OPT_WINDOW },                \
	{ "hang-pattern", required_argument, NULL, RUN_OPT_PATTERN },         \
	{ "vm", required_argument, NULL, RUN_OPT_VM },                        \
	{ "user", required_argument, NULL, 'Z' }

struct run_opts {
	char **ifaces;		/* patterns; none = every interface of the netns */
	int n_ifaces;
	char **vms;		/* --vm: the taps of VMs so named (globs) */
	int n_vms;
	bool all_frames;
	unsigned snaplen;
	unsigned snaplen_encap;	/* encapsulated frames: VNO_SNAP_ENCAP unless --snaplen */
	unsigned long long rb_bytes;
	enum tc_mode tc_mode;
	enum attach_mode attach;	/* driver hooks */
	unsigned window;	/* flight recorder frames per device */
	unsigned stall_ms;	/* 0 = no stall trigger */
	char **hang_patterns;
	int n_hang_patterns;
	bool no_events;		/* export: aggregates and flight recorder only */
	const char *user;	/* -Z: run on as this user once attached */
	uid_t uid;
	gid_t gid;
};

struct kmsg_watch;
struct carrier_watch;
struct vno_ring;
struct live;
struct offwatch;

/* Export: a watched device's flight recorder as the pipeline has taken it. */
struct run_flight {
	bool has_recorder;	/* the loader gave it one (at most VNO_FLIGHT_MAX_DEVS) */
	__u64 last_ts;		/* the newest frame fed to the pipeline */
	__u32 netns, ifindex;	/* whose: a place in sel is reused by the live set */
};

struct runner {
	/* The pipeline and the interface lists: export's scrapes read them
	 * from an HTTP thread, so whatever feeds or reads them holds it. */
	pthread_mutex_t lock;
	bool lock_init;
	struct pipeline pipe;
	struct loader *l;
	struct vno_ring *rb;
	struct kmsg_watch *kw;
	struct carrier_watch *cw;
	struct vno_iface *all, *sel;	/* every interface here, the watched ones */
	size_t nall, nsel;		/* a watched one removed leaves a hole (ifindex 0) */
	struct live *live;		/* how they change (live.c) */
	unsigned set_gen;		/* bumped by live.c at each change of the set */
	struct offwatch *ow;		/* the watched devices' offload features */
	unsigned ow_gen;		/* the set_gen ow last followed */
	__u32 netns;
	unsigned stall_ms;
	bool no_events;
	struct run_flight *flight;	/* no_events: by position in sel */
	size_t n_flight;
	__u64 events, next_stall;
	/* Stall episodes already reported, by queue and first pending xmit. */
	struct {
		struct vno_queue_key k;
		__u64 first_pending_ns;
	} fired[64];
	unsigned n_fired;
	/* Interfaces named with -i: a watched one deleted is "gone" until an
	 * interface of the same name appears again (its new ifindex is then
	 * watched). By position in sel. */
	bool by_name;
	unsigned char *gone;
	/* The kernel log: read errors (not EAGAIN/EPIPE), and the last one. */
	__u64 kmsg_errors;
	int kmsg_last_err;
	/* A driver's hang report arriving record by record: the hang its
	 * first line made, held until the report is whole, the next record
	 * is not part of it, or RING_ASM_MS passed. */
	struct ring_asm ring;
	struct vno_hang held;
	bool holding;
	/* -Z */
	const char *user;
	uid_t uid;
	gid_t gid;
	bool tc;
	bool dropped;
};

void run_opts_init(struct run_opts *o);
/* Take option @c (-i or a RUN_OPT_*): 1 when it was one of them, 0 when
 * not, -EINVAL / -ENOMEM with one sentence in err. */
int run_opt(int c, char *arg, struct run_opts *o, char *err, size_t errlen);
void run_opts_free(struct run_opts *o);
/* getopt said ':' (an argument missing) or something unknown: the sentence
 * for it, naming @cmd's --help. Returns -EINVAL. */
int run_opt_bad(int c, char **argv, const char *cmd, char *err, size_t errlen);
/* After the options nothing may be left. 0 or -EINVAL. */
int run_opt_end(int argc, char **argv, char *err, size_t errlen);

/* 0, or -errno with one sentence in err; runner_close() either way. */
int runner_open(struct runner *r, const struct run_opts *o, const struct pipeline_opts *po,
		char *err, size_t errlen);
/* One turn: wait up to timeout_ms for records, then check the triggers.
 * 0, or -errno when the ring buffer cannot be read. */
int runner_poll(struct runner *r, int timeout_ms);
/*
 * Call @fn under the runner's lock, with the pipeline up to date: in
 * export mode (no frames stream to user space) what each watched device's
 * flight recorder got since the last look goes through the pipeline first.
 * Safe from another thread than runner_poll()'s; @fn must not call back
 * into the runner.
 */
void runner_read(struct runner *r, void (*fn)(const struct runner *r, void *ctx), void *ctx);
/* Diagnose every watched device now (SIGUSR1, --trigger-after). */
void runner_trigger(struct runner *r, const char *why);
/* -Z: switch to the user now (after the capture file is open), keeping
 * only what the session still needs (privdrop.c). 0 when there is no -Z;
 * else 0 or -errno with one sentence in err. runner_poll() does it on its
 * first turn when the command did not. */
int runner_drop_privileges(struct runner *r, char *err, size_t errlen);
/* Kernel-log lines overwritten before they were read, and read errors. */
__u64 runner_kmsg_lost(const struct runner *r);
/* Read what is still queued (at the end). */
void runner_drain(struct runner *r);
void runner_close(struct runner *r);

__u64 mono_now_ns(void);

/* Set by SIGINT/SIGTERM/SIGHUP (stop) and SIGUSR1 (diagnose now) once
 * run_signals() installed the handlers (SIGPIPE is ignored). */
extern volatile sig_atomic_t run_stop, run_usr1;
void run_signals(void);

#endif
