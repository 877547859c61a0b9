/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of the HTML page share (html_report.c, html_text.c,
 * html_timeline.c, html_sections.c). */
#ifndef VNO_HTML_INT_H
#define VNO_HTML_INT_H

#include <stdbool.h>
#include <stdio.h>
#include "html_report.h"

struct html_hang {
	struct vno_diagnosis dg;	/* frames NULL: see last/n_last */
	struct diag_frame *last;	/* the newest HTML_FRAMES frames of its window */
	size_t n_last;
	struct vno_frame *path;		/* their records at other hops */
	size_t n_path;
};

struct html_report {
	struct vno_frame *ring;		/* the last HTML_RING records, every hop */
	size_t ring_n, ring_head;
	struct html_hang *hangs;	/* HTML_HANGS_DRAWN drawn in full */
	size_t n_hangs;
	struct vno_diagnosis *listed;	/* the others up to HTML_HANGS_LISTED, frameless */
	size_t n_listed;
	__u64 hangs_more;		/* past HTML_HANGS_LISTED */
};

/* html_text.c: a name of at most @len bytes, escaped; durations and counts
 * as people read them; an anomaly mask as the rules' names. */
void html_name(FILE *out, const char *s, size_t len);
void html_dur(char *buf, size_t len, double s);
void html_count(char *buf, size_t len, __u64 v);
void html_anomalies(FILE *out, __u64 m);

/* html_timeline.c: a hang's timeline, and the table of its frames. */
void html_timeline(FILE *out, const struct html_hang *hh);
void html_frame_table(FILE *out, const struct html_hang *hh);

/* html_sections.c */
void html_suspects(FILE *out, const struct vno_diagnosis *dg);
void html_remedies(FILE *out, const struct vno_diagnosis *dg);
void html_devices(FILE *out, const struct agg *a, const struct vno_session *sess);
void html_session(FILE *out, const struct vno_session *s, const struct html_page *p);

#endif
