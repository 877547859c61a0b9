/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* record's options, parsed apart from running so they can be tested. */
#ifndef VNO_RECORD_H
#define VNO_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include "loader.h"

struct record_opts {
	char **ifaces;	/* patterns, pointing into argv */
	int n_ifaces;
	unsigned long long duration_ms; /* 0: until a signal */
	bool json, all, quiet, help;
	unsigned snaplen;
	unsigned long long rb_bytes;
	enum tc_mode tc_mode;
	enum attach_mode attach;	/* driver hooks */
	unsigned stall_ms;		/* completion stall trigger; 0 = off */
	unsigned window;		/* flight recorder frames per device */
	unsigned long long trigger_after_ms; /* manual trigger after this long; 0 = never */
	char **hang_patterns;		/* --hang-pattern, pointing into argv */
	int n_hang_patterns;
	const char *write_path;		/* -w FILE */
	bool force;			/* overwrite FILE */
	unsigned long long rotate_size;	/* bytes; 0 = one file */
	unsigned rotate_count;
};

/* 0, or -EINVAL with one sentence in err. */
int record_parse_args(int argc, char **argv, struct record_opts *o, char *err, size_t errlen);
void record_opts_free(struct record_opts *o);

#endif
