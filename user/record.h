/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* record's options, parsed apart from running so they can be tested. */
#ifndef VNO_RECORD_H
#define VNO_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include "filter.h"
#include "run.h"

struct record_opts {
	struct run_opts run;		/* what record shares with export */
	unsigned long long duration_ms; /* 0: until a signal */
	bool json, quiet, help;
	unsigned long long trigger_after_ms; /* manual trigger after this long; 0 = never */
	const char *write_path;		/* -w FILE */
	bool force;			/* overwrite FILE */
	unsigned long long rotate_size;	/* bytes; 0 = one file */
	unsigned rotate_count;
	bool writer_thread;		/* --writer-thread: capture_opts.async */
	const char *html_path;		/* --html FILE, written when the recording ends */
	const char *filter_expr;	/* -f EXPR (pcap-filter), or NULL */
	const char *match[VNO_MATCH_MAX]; /* -m PRED…, all must hold */
	size_t n_match;
};

/* 0, or -EINVAL with one sentence in err. */
int record_parse_args(int argc, char **argv, struct record_opts *o, char *err, size_t errlen);
void record_opts_free(struct record_opts *o);

#endif
