/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The live interface set of a session: which interfaces -i and --vm choose
 * as interfaces appear, go and come back while it runs (guests starting
 * and stopping make and remove their taps), each one's identity learnt
 * before its first frame is attributed, and the BPF side kept in step.
 */
#ifndef VNO_LIVE_H
#define VNO_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct live;
struct runner;
struct run_opts;
struct carrier_link;

/* The matching part alone (no kernel): -i patterns (names or globs) and
 * --vm patterns (globs on the VM's name). NULL on ENOMEM. */
struct live *live__new(char *const *pats, int npat, char *const *vms, int nvm);
void live__free(struct live *lv);
/* Is an interface named @name, with the VM @vm behind it ("" or NULL:
 * none known), chosen? With no pattern at all, every interface is. */
bool live_match(const struct live *lv, const char *name, const char *vm);
/* Does some pattern name an interface by exact name (no glob)? */
bool live_pattern_is_name(const char *pat);

/*
 * Choose the interfaces present at start (r->all is listed): r->sel, the
 * sentence for a pattern that matches nothing yet (said once on stderr: a
 * warning for record, the normal state of an exporter waiting for guests,
 * @waiting), and whether the set can change (*dynamic: then the loader is
 * opened with .live). 0 or -errno with a sentence in err.
 */
int live_open(struct runner *r, const struct run_opts *o, bool waiting, bool *dynamic,
	      char *err, size_t errlen);
/* After the loader is open: the runner's side of the set is complete. */
int live_ready(struct runner *r, bool dynamic);
/* A link message (carrier_watch__read's link_fn). */
int live_on_link(const struct carrier_link *ev, void *ctx);
/* Each turn: purges of removed interfaces' late counters, and a full
 * resync when link messages were lost (@resync). */
void live_tick(struct runner *r, bool resync);
void live_close(struct runner *r);

/* The set is read by other threads (export's scrapes) under this lock;
 * the main thread changes it only while holding it. */
void live_lock(struct runner *r);
void live_unlock(struct runner *r);
/* The VM behind (netns, ifindex) as last learnt, or NULL. Under the lock
 * from other threads. */
const char *live_vm(const struct runner *r, __u32 netns, __u32 ifindex);

#endif
