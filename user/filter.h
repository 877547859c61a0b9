/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which frames a run keeps: a pcap-filter(7) expression (-f, compiled by
 * libpcap) over the frame's first bytes, and offload predicates (-m) over
 * the decoded record. A frame kept at one hop is kept at its later hops
 * (same pkt_id) so latency and hang windows stay whole.
 */
#ifndef VNO_FILTER_H
#define VNO_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include "ifaces.h"
#include "vno.h"

#define VNO_MATCH_MAX 16  /* -m predicates per run */
#define VNO_MATCH_VALS 16 /* values in one `in` list */

/* enum vno_match_field and enum vno_match_op are in vno.h: the BPF
 * programs evaluate the predicates on the fields they know (bpf/filter.h). */

/* One parsed -m predicate. Numbers, hop and checksum names, gso bit masks
 * and anomaly rule ids are in num[]; dev and vm names (fnmatch globs) in str[]. */
struct vno_match {
	enum vno_match_field field;
	enum vno_match_op op;
	unsigned n;			/* values in num[] or str[] */
	unsigned long long num[VNO_MATCH_VALS];
	char str[VNO_MATCH_VALS][64];
};

/* Parse one predicate; 0, or -EINVAL with one sentence in err naming the
 * position (1-based column) of the problem. */
int vno_match_parse(const char *s, struct vno_match *m, char *err, size_t errlen);
/* Does the decoded, anomaly-checked frame hold @m? @dev may be NULL;
 * @anomalies is the mask of rules it tripped. */
bool vno_match_eval(const struct vno_match *m, const struct vno_event *ev,
		    const struct vno_iface *dev, unsigned long long anomalies);

struct vno_filter;

/* -f / -m of a command line (record, export, report): 1 when @c was one
 * of them (stored), 0 when not, -EINVAL with one sentence in err. */
int vno_filter_opt(int c, const char *arg, const char **expr, const char **match,
		   size_t *n_match, char *err, size_t errlen);

/* Compile @expr (may be NULL) and parse @preds; NULL with errno set and
 * one sentence in err ("-f: syntax error at column 6: …", exit 2). */
struct vno_filter *vno_filter__new(const char *expr, const char *const *preds, size_t n_preds,
				   char *err, size_t errlen);
void vno_filter__free(struct vno_filter *f);
/* The BPF programs evaluate all of @f (loader_filter_where() is "bpf"): the
 * records of the hops they filter are kept as they come, their packet ids
 * remembered when @driver_hops are attached, which are judged here. */
void vno_filter__judged_in_bpf(struct vno_filter *f, bool yes, bool driver_hops);
/* Keep this record? Hang records are always kept. */
bool vno_filter__keep(struct vno_filter *f, const struct vno_event *ev,
		      const struct vno_iface *dev, unsigned long long anomalies);
/* What the filter is, as the session block and the diagnosis say it:
 * "-f 'tcp port 873' -m 'gso_size < 100'"; "" when none. */
const char *vno_filter__str(const struct vno_filter *f);
/* The -f expression (NULL when none) and the i-th -m predicate as given. */
const char *vno_filter__expr(const struct vno_filter *f);
size_t vno_filter__n_match(const struct vno_filter *f);
const char *vno_filter__match_str(const struct vno_filter *f, size_t i);
/* Where the filter runs, as the ready line and doctor say it: "user"
 * (after decoding), "bpf" (in the BPF programs, checked again after
 * decoding) or "bpf+user" (what the programs know there, the rest after
 * decoding). */
const char *vno_filter_where_text(const char *where);

struct cbpf_insn;
/* The classic BPF pcap_compile made of -f; NULL when there is no -f. */
const struct cbpf_insn *vno_filter__cbpf(const struct vno_filter *f, size_t *n);
/* The -m predicates on fields the BPF programs know (every field but vm
 * and anomaly; dev when its names are exact) into @out (VNO_BPF_PREDS of
 * them); returns how many.
 * *all says whether that is every predicate. */
size_t vno_filter__bpf_preds(const struct vno_filter *f, struct vno_bpf_pred *out, bool *all);

/* Does the frame's pcap-filter match alone (no predicates, no hop keeping)? */
bool vno_filter__pcap_match(const struct vno_filter *f, const struct vno_event *ev);

#endif
