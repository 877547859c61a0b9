/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The `export` command's parts: its options (parsed apart from running, so
 * they can be tested), the exporter's state, and the scrape that builds the
 * exposition (export_scrape.c) for http.c to serve. cmd_export.c runs it.
 */
#ifndef VNO_EXPORT_H
#define VNO_EXPORT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include "filter.h"
#include "hang_capture.h"
#include "prom.h"
#include "run.h"
#include "session.h"
#include "webconfig.h"

struct export_opts {
	struct run_opts run;		/* what export shares with record */
	const char *listen;		/* as given; NULL: the default */
	char host[64];			/* "" = every address */
	unsigned port;
	const char *hang_dir;
	const char *web_config;		/* --web.config.file; NULL: plain HTTP */
	bool json, help;
	const char *filter_expr;	/* -f EXPR, or NULL */
	const char *match[VNO_MATCH_MAX]; /* -m PRED… */
	size_t n_match;
};

/* 0, or -EINVAL / -ENOMEM with one sentence in err. */
int export_parse_args(int argc, char **argv, struct export_opts *o, char *err, size_t errlen);
void export_opts_free(struct export_opts *o);

/*
 * "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (every address). ADDR may be a
 * name. host gets "" for every address. 0 or -EINVAL.
 */
int export_parse_listen(const char *s, char *host, size_t hostlen, unsigned *port);

/* Interface names remembered after their device is gone, so its counters
 * keep their label. */
#define NAME_CACHE_MAX 4096

struct http_server;

struct name_entry {
	__u32 netns, ifindex;
	__u64 gen;		/* scrape that last resolved it */
	char name[IF_NAMESIZE];
};

struct exporter {
	struct runner r;
	struct http_server *http;
	struct webconfig wc;
	bool json;
	char hooks[VNO_HOP__MAX][VNO_HOOK_LEN];
	char listen[80];
	struct vno_filter *filter;	/* -f / -m, or NULL */

	/* Main thread only: --hang-dir. */
	const char *hang_dir;
	struct hang_dir hd;
	struct vno_session sess;
	char *drop_reasons;
	/* Written at a hang (the runner's lock held), read by scrapes under
	 * it: each device's pending descriptors at its last ring report. */
	struct prom_ring rings[64];
	size_t n_rings;

	/* Scrapes only (http.c renders one at a time). */
	__u64 gen;
	/* NAME_CACHE_MAX allocated at once: a scrape holds pointers to the
	 * names while it resolves more (pages are touched only when used). */
	struct name_entry *names;
	size_t n_names;
};

/* The exposition of one scrape, malloc'd (@ctx is the exporter); NULL with
 * errno on failure. http.c calls it, one render at a time. */
char *export_scrape(void *ctx, size_t *len);

#endif
