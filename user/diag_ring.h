/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the diagnosis does with a driver's report of its TX ring
 * (ring_report.h): which frames of the window were on the ring when it
 * stopped, and the report as the hang's "ring" JSON object, written and
 * read back (a capture's hang note).
 */
#ifndef VNO_DIAG_RING_H
#define VNO_DIAG_RING_H

#include "diagnose.h"
#include "json_writer.h"

/* Mark dg->frames[].on_ring: the frames handed to the hung device (xmit)
 * and not done at the hang, the newest hang.ring.pending of them; none
 * when the report gives no count or completions are not known. */
void diag_ring(struct vno_diagnosis *dg);

/* "ring": the report's object, or null when there was none. */
void diag_ring_json(struct jw *w, const struct vno_diagnosis *dg);
/* "on_ring": indexes into frames_before, oldest first. */
void diag_on_ring_json(struct jw *w, const struct vno_diagnosis *dg);

/* The "ring" object of a hang note (@json) into @r; @r is left empty
 * (parser "") when the note has none, as older captures do. 0 or -EINVAL. */
int diag_ring_from_json(const char *json, struct ring_report *r);

#endif
