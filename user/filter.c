// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * -f and -m (filter.h). The -f language is libpcap's own (pcap_compile);
 * the -m grammar is parsed here by hand because it is ours and tiny — no
 * library parses it, and a table-driven recursive descent over one line
 * is shorter than a generator's glue:
 *
 *   pred   := "anomaly" | field op value | field "in" list
 *   field  := gso_size | gso_segs (segs) | gso_type | ip_summed | csum_start
 *           | csum_offset | len | queue | hop | dev | vm | anomaly
 *   op     := "==" | "!=" | "<" | "<=" | ">" | ">=" | "has"
 *   list   := ["("] value {"," value} [")"]
 *   value  := number (decimal or 0x hex) | name | name "|" name …
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anomaly.h"
#include "cbpf_ebpf.h"
#include "decode.h"
#include "dynlib.h"
#include "filter.h"

enum kind { K_NUM, K_GSO, K_NAME_HOP, K_NAME_CSUM, K_STR, K_ANOM };

static const struct {
	const char *name;
	enum vno_match_field field;
	enum kind kind;
} fields[] = {
	{ "gso_size", VNO_MF_GSO_SIZE, K_NUM },	    { "gso_segs", VNO_MF_GSO_SEGS, K_NUM },
	{ "segs", VNO_MF_GSO_SEGS, K_NUM },	    { "gso_type", VNO_MF_GSO_TYPE, K_GSO },
	{ "ip_summed", VNO_MF_IP_SUMMED, K_NAME_CSUM }, { "csum_start", VNO_MF_CSUM_START, K_NUM },
	{ "csum_offset", VNO_MF_CSUM_OFFSET, K_NUM }, { "len", VNO_MF_LEN, K_NUM },
	{ "queue", VNO_MF_QUEUE, K_NUM },	    { "hop", VNO_MF_HOP, K_NAME_HOP },
	{ "dev", VNO_MF_DEV, K_STR },		    { "vm", VNO_MF_VM, K_STR },
	{ "anomaly", VNO_MF_ANOMALY, K_ANOM },
};

struct lex {
	const char *s, *p;
	char *err;
	size_t errlen;
};

static int fail(struct lex *l, const char *what)
{
	/* The predicate quoted up to 64 bytes, so the column always fits. */
	snprintf(l->err, l->errlen, "-m '%.64s%s': %s at column %d", l->s,
		 strlen(l->s) > 64 ? "…" : "", what, (int)(l->p - l->s) + 1);
	return -EINVAL;
}

static void skip(struct lex *l)
{
	while (*l->p == ' ' || *l->p == '\t')
		l->p++;
}

/* A word: letters, digits and the characters of names and globs. */
static size_t word(struct lex *l, char *out, size_t outlen)
{
	size_t n = 0;

	skip(l);
	while (l->p[n] && (isalnum((unsigned char)l->p[n]) || strchr("_-.*?[]:@+/", l->p[n])))
		n++;
	if (n && n < outlen) {
		memcpy(out, l->p, n);
		out[n] = '\0';
	}
	return n;
}

static int parse_num(const char *w, unsigned long long *v)
{
	char *end;

	if (!isdigit((unsigned char)w[0]))
		return -1;
	errno = 0;
	*v = strtoull(w, &end, 0);
	return *end || errno ? -1 : 0;
}

/* One value of field kind @k into m->num[i] / m->str[i]. */
static int value(struct lex *l, struct vno_match *m, enum kind k, unsigned i)
{
	char w[64];
	size_t n = word(l, w, sizeof(w));
	unsigned long long v = 0;
	int id;

	if (!n)
		return fail(l, "a value is missing");
	if (n >= sizeof(w))
		return fail(l, "the value is too long (at most 63 characters)");
	switch (k) {
	case K_NUM:
		if (parse_num(w, &v) || v > 0xFFFFFFFFull)
			return fail(l, "not a number from 0 to 4294967295");
		break;
	case K_NAME_HOP:
		if ((id = vno_hop_parse(w)) < 0 && (parse_num(w, &v) || v >= VNO_HOP__MAX))
			return fail(l, "not a hop name (rx, tc-ingress, tc-egress, xmit, done, drop, …)");
		if (id >= 0)
			v = id;
		break;
	case K_NAME_CSUM:
		for (id = 0; id < VNO_CSUM__MAX && strcmp(w, vno_csum_name(id)); id++)
			;
		if (id < VNO_CSUM__MAX)
			v = id;
		else if (parse_num(w, &v) || v >= VNO_CSUM__MAX)
			return fail(l, "not a checksum state (none, unnecessary, complete, partial)");
		break;
	case K_GSO:
		/* name|name|…: the OR of the bits; "none" is 0. */
		for (;;) {
			unsigned b;

			if (!strcmp(w, "none")) {
				b = 32;
			} else {
				for (b = 0; b < 32; b++)
					if (vno_gso_bit_name(b) && !strcmp(w, vno_gso_bit_name(b)))
						break;
				if (b == 32 && !parse_num(w, &v))
					goto gso_num;
				if (b == 32)
					return fail(l, "not a gso_type bit name (tcpv4, tcpv6, udp_l4, dodgy, …)");
			}
			if (b < 32)
				v |= 1ull << b;
			l->p += n;
			skip(l);
			if (*l->p != '|')
				goto stored;
			l->p++;
			n = word(l, w, sizeof(w));
			if (!n || n >= sizeof(w))
				return fail(l, "a gso_type bit name is missing after |");
		}
	gso_num:
		if (v > 0xFFFFFFFFull)
			return fail(l, "not a 32-bit gso_type mask");
		break;
	case K_STR:
		snprintf(m->str[i], sizeof(m->str[i]), "%s", w);
		break;
	case K_ANOM:
		if (!strcmp(w, "none")) {
			v = ~0ull;
		} else if ((id = anomaly_parse(w)) < 0) {
			return fail(l, "not an anomaly rule name (see the README's rule table)");
		} else {
			v = id;
		}
		break;
	}
	l->p += n;
stored:
	m->num[i] = v;
	return 0;
}

static const struct {
	const char *tok;
	enum vno_match_op op;
} ops[] = { /* two-character ones first */
	{ "==", VNO_MO_EQ }, { "!=", VNO_MO_NE }, { "<=", VNO_MO_LE }, { ">=", VNO_MO_GE },
	{ "<", VNO_MO_LT },  { ">", VNO_MO_GT },
};

int vno_match_parse(const char *s, struct vno_match *m, char *err, size_t errlen)
{
	struct lex l = { .s = s, .p = s, .err = err, .errlen = errlen };
	char w[32];
	size_t n, i;
	enum kind k;
	int ret;

	memset(m, 0, sizeof(*m));
	n = word(&l, w, sizeof(w));
	if (!n)
		return fail(&l, "a field name is missing");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (n < sizeof(w) && !strcmp(w, fields[i].name))
			break;
	if (i == sizeof(fields) / sizeof(fields[0]))
		return fail(&l, "unknown field (gso_size, gso_segs, gso_type, ip_summed, csum_start, "
				"csum_offset, len, queue, hop, dev, vm, anomaly)");
	m->field = fields[i].field;
	k = fields[i].kind;
	l.p += n;
	skip(&l);
	if (!*l.p) {
		if (k != K_ANOM)
			return fail(&l, "an operator is missing (== != < <= > >= has in)");
		m->op = VNO_MO_ANY;
		return 0;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(l.p, ops[i].tok, strlen(ops[i].tok)))
			break;
	if (i < sizeof(ops) / sizeof(ops[0])) {
		m->op = ops[i].op;
		l.p += strlen(ops[i].tok);
	} else if (!strncmp(l.p, "has", 3) && !isalnum((unsigned char)l.p[3]) && l.p[3] != '_') {
		m->op = VNO_MO_HAS;
		l.p += 3;
	} else if (!strncmp(l.p, "in", 2) && !isalnum((unsigned char)l.p[2]) && l.p[2] != '_') {
		m->op = VNO_MO_IN;
		l.p += 2;
	} else {
		return fail(&l, "not an operator (== != < <= > >= has in)");
	}
	/* Which operators make sense on which field. */
	if (m->op == VNO_MO_HAS && k != K_GSO && k != K_ANOM)
		return fail(&l, "`has` is for the flag sets gso_type and anomaly");
	if (m->op >= VNO_MO_LT && m->op <= VNO_MO_GE && k != K_NUM)
		return fail(&l, "< <= > >= compare numbers; this field takes == != in");
	if ((m->op == VNO_MO_EQ || m->op == VNO_MO_NE) && k == K_ANOM) {
		/* only "anomaly == none" / "anomaly != none" */
		struct lex save = l;

		if ((ret = value(&l, m, k, 0)))
			return ret;
		if (m->num[0] != ~0ull) {
			l = save;
			skip(&l);
			return fail(&l, "anomaly compares with none; use `anomaly has RULE`");
		}
		m->n = 1;
	} else if (m->op == VNO_MO_IN) {
		bool paren;

		skip(&l);
		paren = *l.p == '(';
		l.p += paren;
		do {
			if (m->n == VNO_MATCH_VALS)
				return fail(&l, "more than 16 values in the list");
			if ((ret = value(&l, m, k, m->n)))
				return ret;
			if (k == K_ANOM && m->num[m->n] == ~0ull)
				return fail(&l, "none is not a rule; use `anomaly == none`");
			m->n++;
			skip(&l);
		} while (*l.p == ',' && ++l.p);
		if (paren) {
			if (*l.p != ')')
				return fail(&l, "`)` is missing");
			l.p++;
		}
	} else {
		if ((ret = value(&l, m, k, 0)))
			return ret;
		if (k == K_ANOM && m->num[0] == ~0ull)
			return fail(&l, "none is not a rule; use `anomaly == none`");
		m->n = 1;
	}
	skip(&l);
	if (*l.p)
		return fail(&l, "unexpected text after the predicate");
	return 0;
}

static bool cmp(enum vno_match_op op, unsigned long long a, unsigned long long b)
{
	switch (op) {
	case VNO_MO_EQ: return a == b;
	case VNO_MO_NE: return a != b;
	case VNO_MO_LT: return a < b;
	case VNO_MO_LE: return a <= b;
	case VNO_MO_GT: return a > b;
	case VNO_MO_GE: return a >= b;
	default: return false;
	}
}

bool vno_match_eval(const struct vno_match *m, const struct vno_event *ev,
		    const struct vno_iface *dev, unsigned long long anomalies)
{
	const struct vno_frame *f = &ev->f;
	unsigned long long v = 0;
	char name[VNO_IFNAMSIZ + 1];
	const char *s = NULL;

	switch (m->field) {
	case VNO_MF_GSO_SIZE: v = f->gso_size; break;
	case VNO_MF_GSO_SEGS: v = f->gso_segs; break;
	case VNO_MF_GSO_TYPE: v = f->gso_type; break;
	case VNO_MF_IP_SUMMED: v = f->ip_summed; break;
	case VNO_MF_CSUM_START: v = f->csum_start; break;
	case VNO_MF_CSUM_OFFSET: v = f->csum_offset; break;
	case VNO_MF_LEN: v = f->len; break;
	case VNO_MF_QUEUE: v = f->queue; break;
	case VNO_MF_HOP: v = f->hop; break;
	case VNO_MF_DEV:
		snprintf(name, sizeof(name), "%.*s", VNO_IFNAMSIZ, f->dev);
		s = name;
		break;
	case VNO_MF_VM:
		/* Unknown VM: "" — matches no name, and every `!=`. */
		s = dev ? dev->vm : "";
		break;
	case VNO_MF_ANOMALY:
		if (m->op == VNO_MO_ANY)
			return anomalies != 0;
		if (m->op == VNO_MO_EQ)
			return anomalies == 0;
		if (m->op == VNO_MO_NE)
			return anomalies != 0;
		for (unsigned i = 0; i < m->n; i++) {
			bool in = m->num[i] < 64 && (anomalies >> m->num[i] & 1);

			if (m->op == VNO_MO_IN && in)
				return true;
			if (m->op == VNO_MO_HAS && !in)
				return false;
		}
		return m->op == VNO_MO_HAS;
	}
	if (s) {
		bool any = false;

		for (unsigned i = 0; i < m->n && !any; i++)
			any = s[0] && !fnmatch(m->str[i], s, 0);
		return m->op == VNO_MO_NE ? !any : any;
	}
	if (m->op == VNO_MO_HAS)
		return (v & m->num[0]) == m->num[0];
	if (m->op == VNO_MO_IN) {
		for (unsigned i = 0; i < m->n; i++)
			if (v == m->num[i])
				return true;
		return false;
	}
	return cmp(m->op, v, m->num[0]);
}

/* Packet ids kept at an earlier hop, so their later hops are kept too: an
 * open-addressed table, an id leaves it at its last hop (done/drop) or is
 * overwritten when the table is full of ids that never reached one. */
#define KEPT_SLOTS 16384 /* frames in flight between their first and last hop */

struct vno_filter {
	struct bpf_program prog;
	bool has_prog;
	struct vno_match m[VNO_MATCH_MAX];
	size_t n_m;
	char *expr;		/* -f as given */
	char *preds[VNO_MATCH_MAX]; /* -m as given */
	__u64 kept[KEPT_SLOTS]; /* 0 = free */
	bool bpf_judged;	/* the BPF programs evaluated all of it (vno_filter__judged_in_bpf) */
	bool remember;		/* with bpf_judged: ids kept for the driver hops */
	char str[2048];
};

static size_t kept_slot(__u64 id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 50) & (KEPT_SLOTS - 1);
}

/* At most 8 probes: a full neighbourhood overwrites its first slot. */
static void kept_add(struct vno_filter *f, __u64 id)
{
	size_t s = kept_slot(id);

	for (int i = 0; i < 8; i++) {
		size_t j = (s + i) & (KEPT_SLOTS - 1);

		if (!f->kept[j] || f->kept[j] == id) {
			f->kept[j] = id;
			return;
		}
	}
	f->kept[s] = id;
}

static bool kept_take(struct vno_filter *f, __u64 id, bool last)
{
	size_t s = kept_slot(id);

	for (int i = 0; i < 8; i++) {
		size_t j = (s + i) & (KEPT_SLOTS - 1);

		if (f->kept[j] == id) {
			if (last)
				f->kept[j] = 0;
			return true;
		}
	}
	return false;
}

static void quote(char *buf, size_t len, const char *opt, const char *s)
{
	size_t off = strlen(buf);

	snprintf(buf + off, len - off, "%s%s '%s'", off ? " " : "", opt, s);
}

int vno_filter_opt(int c, const char *arg, const char **expr, const char **match,
		   size_t *n_match, char *err, size_t errlen)
{
	if (c == 'f') {
		if (*expr) {
			snprintf(err, errlen, "-f is given once; join expressions with `and`");
			return -EINVAL;
		}
		*expr = arg;
		return 1;
	}
	if (c != 'm')
		return 0;
	if (*n_match == VNO_MATCH_MAX) {
		snprintf(err, errlen, "-m: at most %d predicates", VNO_MATCH_MAX);
		return -EINVAL;
	}
	match[(*n_match)++] = arg;
	return 1;
}

/* libpcap, opened by the first compile() (dynlib.c): a filter with a
 * compiled program has it. */
static const struct vno_pcap *pc;

/* libpcap 1.10 says "syntax error" without a place. The place is found as
 * tcpdump users do by hand: the longest run of leading words that compiles
 * on its own; the error is at the word after it. Returns its column (1-based). */
static int syntax_column(pcap_t *p, const char *expr)
{
	size_t len = strlen(expr), good = 0;
	char *pre = malloc(len + 1);
	struct bpf_program prog;

	if (!pre)
		return 1;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && expr[i] != ' ' && expr[i] != '\t')
			continue;
		if (i && (expr[i - 1] == ' ' || expr[i - 1] == '\t'))
			continue;
		memcpy(pre, expr, i);
		pre[i] = '\0';
		if (i && !pc->pcap_compile(p, &prog, pre, 1, PCAP_NETMASK_UNKNOWN)) {
			pc->pcap_freecode(&prog);
			good = i;
		}
	}
	free(pre);
	while (good < len && (expr[good] == ' ' || expr[good] == '\t'))
		good++;
	return (int)good + 1;
}

static int compile(struct vno_filter *f, const char *expr, char *err, size_t errlen)
{
	char msg[PCAP_ERRBUF_SIZE + 64];
	pcap_t *p;

	pc = vno_pcap(msg, sizeof(msg));
	if (!pc) {
		snprintf(err, errlen, "-f: %s", msg);
		return -ENOENT;
	}
	/* The frame bytes start at the MAC header: Ethernet, 65535 bytes. */
	p = pc->pcap_open_dead(DLT_EN10MB, 65535);
	if (!p) {
		snprintf(err, errlen, "-f: libpcap could not start");
		return -ENOMEM;
	}
	if (pc->pcap_compile(p, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(msg, sizeof(msg), "%s", pc->pcap_geterr(p));
		if (strstr(msg, "syntax error"))
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " at column %d",
				 syntax_column(p, expr));
		snprintf(err, errlen, "-f '%.200s%s': %s", expr, strlen(expr) > 200 ? "…" : "", msg);
		pc->pcap_close(p);
		return -EINVAL;
	}
	pc->pcap_close(p);
	f->has_prog = true;
	return 0;
}

struct vno_filter *vno_filter__new(const char *expr, const char *const *preds, size_t n_preds,
				   char *err, size_t errlen)
{
	struct vno_filter *f;
	int ret = -ENOMEM;

	if (n_preds > VNO_MATCH_MAX) {
		snprintf(err, errlen, "-m: at most %d predicates", VNO_MATCH_MAX);
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto cleanup;
	if (expr) {
		if ((ret = compile(f, expr, err, errlen)))
			goto cleanup;
		ret = -ENOMEM;
		if (!(f->expr = strdup(expr)))
			goto cleanup;
		quote(f->str, sizeof(f->str), "-f", expr);
	}
	for (size_t i = 0; i < n_preds; i++) {
		if ((ret = vno_match_parse(preds[i], &f->m[i], err, errlen)))
			goto cleanup;
		ret = -ENOMEM;
		if (!(f->preds[i] = strdup(preds[i])))
			goto cleanup;
		f->n_m = i + 1;
		quote(f->str, sizeof(f->str), "-m", preds[i]);
	}
	return f;
cleanup:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	vno_filter__free(f);
	errno = -ret;
	return NULL;
}

void vno_filter__free(struct vno_filter *f)
{
	if (!f)
		return;
	if (f->has_prog)
		pc->pcap_freecode(&f->prog);
	for (size_t i = 0; i < f->n_m; i++)
		free(f->preds[i]);
	free(f->expr);
	free(f);
}

const char *vno_filter__expr(const struct vno_filter *f)
{
	return f ? f->expr : NULL;
}

size_t vno_filter__n_match(const struct vno_filter *f)
{
	return f ? f->n_m : 0;
}

const char *vno_filter__match_str(const struct vno_filter *f, size_t i)
{
	return f && i < f->n_m ? f->preds[i] : NULL;
}

const char *vno_filter__str(const struct vno_filter *f)
{
	return f ? f->str : "";
}

bool vno_filter__pcap_match(const struct vno_filter *f, const struct vno_event *ev)
{
	unsigned cap = ev->f.cap_len < VNO_SNAP_MAX ? ev->f.cap_len : VNO_SNAP_MAX;
	__u8 buf[VNO_SNAP_MAX + 4];
	struct pcap_pkthdr h = { 0 };
	const __u8 *bytes = ev->data;

	if (!f || !f->has_prog)
		return true;
	if (!cap)
		return false;
	/* A tag the skb carries out of band goes back into the bytes after the
	 * MAC addresses, as libpcap does on Linux for a tag it learns from
	 * PACKET_AUXDATA, so `vlan 10` matches as in tcpdump. */
	if ((ev->f.flags & VNO_F_VLAN_HW) && ev->f.vlan_proto && cap >= 12) {
		memcpy(buf, ev->data, 12);
		buf[12] = ev->f.vlan_proto >> 8;
		buf[13] = ev->f.vlan_proto & 0xFF;
		buf[14] = ev->f.vlan_tci >> 8;
		buf[15] = ev->f.vlan_tci & 0xFF;
		memcpy(buf + 16, ev->data + 12, cap - 12);
		cap += 4;
		bytes = buf;
	}
	h.caplen = cap;
	h.len = ev->f.len > cap ? ev->f.len : cap;
	return pc->pcap_offline_filter(&f->prog, &h, bytes) != 0;
}

/* The hops whose records the BPF stage filters (bpf/filter.h). */
static bool judged_hop(__u8 hop)
{
	return hop == VNO_HOP_RX || hop == VNO_HOP_TC_INGRESS || hop == VNO_HOP_TC_EGRESS ||
	       hop == VNO_HOP_XMIT || hop == VNO_HOP_DONE || hop == VNO_HOP_DROP;
}

void vno_filter__judged_in_bpf(struct vno_filter *f, bool yes, bool driver_hops)
{
	if (!f)
		return;
	f->bpf_judged = yes;
	f->remember = driver_hops;
}

bool vno_filter__keep(struct vno_filter *f, const struct vno_event *ev,
		      const struct vno_iface *dev, unsigned long long anomalies)
{
	bool last, fresh, ok = true;

	if (!f || ev->f.hop == VNO_HOP_HANG)
		return true;
	last = ev->f.hop == VNO_HOP_DONE || ev->f.hop == VNO_HOP_DROP;
	if (f->bpf_judged && judged_hop(ev->f.hop)) {
		/* Kept by the programs already, with the same answer; only the
		 * ids, for the driver hops the programs do not filter. */
		if (!f->remember || !ev->f.pkt_id)
			return true;
		if (last)
			kept_take(f, ev->f.pkt_id, true);
		else
			kept_add(f, ev->f.pkt_id);
		return true;
	}
	/* Where a frame enters a device it is judged afresh: the skb behind a
	 * kept id may have been freed without a last hop (delivered locally)
	 * and its address reused by another frame. */
	fresh = ev->f.hop == VNO_HOP_RX || ev->f.hop == VNO_HOP_TC_INGRESS ||
		ev->f.hop == VNO_HOP_GUEST;
	if (ev->f.pkt_id && kept_take(f, ev->f.pkt_id, last || fresh) && !fresh)
		return true;
	for (size_t i = 0; ok && i < f->n_m; i++)
		ok = vno_match_eval(&f->m[i], ev, dev, anomalies);
	if (ok)
		ok = vno_filter__pcap_match(f, ev);
	if (ok && ev->f.pkt_id && !last)
		kept_add(f, ev->f.pkt_id);
	return ok;
}

/* libpcap's struct bpf_insn is struct sock_filter, which cbpf_ebpf.h spells
 * without including either header. */
_Static_assert(sizeof(struct cbpf_insn) == sizeof(struct bpf_insn), "cBPF layout");

const struct cbpf_insn *vno_filter__cbpf(const struct vno_filter *f, size_t *n)
{
	if (!f || !f->has_prog) {
		*n = 0;
		return NULL;
	}
	*n = f->prog.bf_len;
	return (const struct cbpf_insn *)f->prog.bf_insns;
}

/* A dev predicate the programs can test: at most 4 names (16 bytes each
 * in struct vno_bpf_pred), none of them a glob (fnmatch's * ? [ \). */
static bool dev_exact(const struct vno_match *m)
{
	if (m->n > VNO_BPF_PRED_VALS / 4)
		return false;
	for (unsigned j = 0; j < m->n; j++)
		if (!m->str[j][0] || strlen(m->str[j]) >= VNO_IFNAMSIZ || strpbrk(m->str[j], "*?[\\"))
			return false;
	return true;
}

size_t vno_filter__bpf_preds(const struct vno_filter *f, struct vno_bpf_pred *out, bool *all)
{
	size_t n = 0;

	*all = true;
	for (size_t i = 0; f && i < f->n_m; i++) {
		const struct vno_match *m = &f->m[i];

		/* vm needs the VM behind the device, anomaly the decoder,
		 * a dev glob fnmatch: user space only. */
		if (m->field == VNO_MF_VM || m->field == VNO_MF_ANOMALY || n == VNO_BPF_PREDS ||
		    (m->field == VNO_MF_DEV && !dev_exact(m))) {
			*all = false;
			continue;
		}
		memset(&out[n], 0, sizeof(out[n]));
		out[n].field = m->field;
		out[n].op = m->op;
		out[n].n = m->n;
		for (unsigned j = 0; j < m->n && j < VNO_BPF_PRED_VALS; j++) {
			if (m->field == VNO_MF_DEV)
				memcpy(&out[n].v[4 * j], m->str[j], strlen(m->str[j]));
			else
				out[n].v[j] = (__u32)m->num[j];
		}
		n++;
	}
	return n;
}

const char *vno_filter_where_text(const char *where)
{
	if (!where || !strcmp(where, "user"))
		return "user space, after decoding";
	if (!strcmp(where, "bpf"))
		return "the BPF programs";
	return "the BPF programs for what they know, user space for the rest";
}

_Static_assert(VNO_BPF_PRED_VALS == VNO_MATCH_VALS && VNO_BPF_PREDS == VNO_MATCH_MAX,
	       "every predicate fits the programs' table");
