/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The HTML page (record --html, report --html): one self-contained file a
 * person opens in a browser — inline CSS and SVG written here, no script,
 * no font, no request to anything else. Per hang a timeline of the frames
 * before it along their path, the suspects and the remedy commands; per
 * device the distributions the aggregator kept; the session.
 *
 * It is a sink of the pipeline like the others: it keeps the last records
 * of every hop (to find a window frame again at its other hops by packet
 * id) and a copy of each hang's diagnosis, and summarises; it does not
 * embed every frame. Every string that can come from a capture goes
 * through html_str().
 */
#ifndef VNO_HTML_REPORT_H
#define VNO_HTML_REPORT_H

#include <stdio.h>
#include <linux/types.h>
#include "agg.h"
#include "diagnose.h"
#include "session.h"

/* Records of every hop kept to draw a window frame's other hops. */
#define HTML_RING 16384
/* Hangs drawn in full (timeline, table, suspects); later ones are listed. */
#define HTML_HANGS_DRAWN 8
/* Hangs listed at all (the rest counted). */
#define HTML_HANGS_LISTED 100
/* Frames of a window drawn on its timeline (the newest), and rows of the
 * frame table under it: the page summarises (<= 1 MiB for any capture). */
#define HTML_FRAMES 160
#define HTML_TABLE_ROWS 40
/* Their records at other hops drawn at most (a few hops each). */
#define HTML_PATH (4 * HTML_FRAMES)
/* Lanes (device, hop) of one timeline. */
#define HTML_LANES 12
/* Devices with pictures, interfaces in the session table. */
#define HTML_DEVICES 32
#define HTML_IFACES 64

struct html_report;

/* NULL and errno ENOMEM on failure. */
struct html_report *html_report__new(void);
void html_report__free(struct html_report *h);

/* Each decoded record, as the pipeline's on_frame sees it. */
void html_report__frame(struct html_report *h, const struct vno_event *ev);
/* Each hang's diagnosis, as the pipeline's on_hang sees it (copied). 0 or
 * -ENOMEM. */
int html_report__hang(struct html_report *h, const struct vno_diagnosis *dg);

struct html_page {
	const char *source;		/* "capture bed.pcapng.gz", "recording" */
	const struct vno_session *sess;	/* NULL: the file had none */
	const struct agg *agg;		/* NULL: nothing was read */
	__u64 lost, unmatched;
	double duration_s;
	/* A sentence saying where the capture was cut or why it could not be
	 * read; NULL when it was read whole. */
	const char *problem;
	const char *written_by;		/* the command line that wrote the page */
};

/* The page into @out. 0, or -EIO when @out failed. */
int html_report__write(struct html_report *h, FILE *out, const struct html_page *p);
/* The same into @path (created or truncated, mode 0644 less the umask).
 * 0, or -errno with a sentence in @err. */
int html_report__write_file(struct html_report *h, const char *path, const struct html_page *p,
			    char *err, size_t errlen);

/* @s as HTML text or attribute value: & < > " ' as entities; control
 * bytes, DEL, C1 controls and bytes that are not UTF-8 as the text \xNN. */
void html_str(FILE *out, const char *s);

#endif
