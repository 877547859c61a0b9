/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report's work without the command line: a capture file through the
 * pipeline into one output stream. The unit tests and the fuzz target call
 * it on files from anyone; memory, time and output stay bounded.
 */
#ifndef VNO_REPORT_H
#define VNO_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "filter.h"

/* Hangs diagnosed one by one (each prints its window: ~5 KiB on the
 * terminal, ~0.6 MiB of JSON); later ones are counted in the summary. */
#define REPORT_HANGS_MAX 100

struct report_opts {
	bool json;
	bool frames;		/* every frame too */
	unsigned window;	/* flight recorder frames per device; 0: default */
	unsigned max_hangs;	/* 0: REPORT_HANGS_MAX */
	const char *html;	/* --html FILE: the page too, or NULL */
	const char *cmdline;	/* what the page says wrote it, or NULL */
	struct vno_filter *filter; /* -f / -m, or NULL: every frame */
};

/*
 * Report on @path, or on @fd when it is >= 0 (@path then only names it),
 * into @out. Returns 0, 3 when the file is cut short (the report covers
 * what was read), 1 on an error; for 1 and 3 the sentence is in @err.
 * With o->html the page is written in every case, saying the problem;
 * a page that cannot be written is an error (1).
 */
int report_run(const char *path, int fd, const struct report_opts *o, FILE *out, char *err,
	       size_t errlen);

#endif
