// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TX ring state from the drivers' own hang reports (ring_report.h). Each
 * table entry is one driver message: the ERE its first line matches and
 * the labels of the fields it prints, each read as "LABEL <hex>" (the
 * Intel register dumps), "LABEL 0xhex" or "LABEL decimal" (i40e/ice,
 * the watchdog). Labels are looked up in the joined text, so a report
 * read as one record with newlines, as several records or flattened with
 * spaces reads the same.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>
#include "ring_report.h"

enum ring_field_id {
	F_QUEUE, F_HEAD, F_TAIL, F_HEAD_TAIL, F_NTU, F_NTC, F_TS, F_JIFFIES,
	F_STATUS, F_MAC, F_PHY, F_PCI, F_TIMEOUT, F_OTHER,
};

struct ring_field {
	const char *label;
	int id;
};

struct ring_parser {
	const char *name;
	const char *first;	/* ERE on the first line */
	const struct ring_field *fields;
	const char *last;	/* the label of the last line; NULL: one line */
	long long ring_size;	/* the driver's default TX ring (0: unknown) */
	long long dd_bit;	/* status bit the hardware sets on write-back (0: none) */
};

/* e1000e: e1000_print_hw_hang() in drivers/net/ethernet/intel/e1000e/netdev.c. */
static const struct ring_field e1000e_fields[] = {
	{ "TDH", F_HEAD }, { "TDT", F_TAIL }, { "next_to_use", F_NTU },
	{ "next_to_clean", F_NTC }, { "time_stamp", F_TS }, { "next_to_watch", F_OTHER },
	{ "jiffies", F_JIFFIES }, { "next_to_watch.status", F_STATUS },
	{ "MAC Status", F_MAC }, { "PHY Status", F_PHY },
	{ "PHY 1000BASE-T Status", F_OTHER }, { "PHY Extended Status", F_OTHER },
	{ "PCI Status", F_PCI }, { NULL, 0 },
};

/* e1000 (e1000_clean_tx_irq), igb (igb_clean_tx_irq), igc
 * (igc_clean_tx_irq): "Detected Tx Unit Hang" then "Tx Queue <n>", the
 * registers, and e1000's next_to_watch.status or igb/igc's desc.status. */
static const struct ring_field tx_unit_fields[] = {
	{ "Tx Queue", F_QUEUE }, { "TDH", F_HEAD }, { "TDT", F_TAIL },
	{ "next_to_use", F_NTU }, { "next_to_clean", F_NTC }, { "time_stamp", F_TS },
	{ "next_to_watch", F_OTHER }, { "jiffies", F_JIFFIES },
	{ "next_to_watch.status", F_STATUS }, { "desc.status", F_STATUS }, { NULL, 0 },
};

/* ixgbe: ixgbe_clean_tx_irq(), "TDH, TDT <h>, <t>" on one line. */
static const struct ring_field ixgbe_fields[] = {
	{ "Tx Queue", F_QUEUE }, { "TDH, TDT", F_HEAD_TAIL }, { "next_to_use", F_NTU },
	{ "next_to_clean", F_NTC }, { "time_stamp", F_TS }, { "jiffies", F_JIFFIES },
	{ NULL, 0 },
};

/* i40e_tx_timeout(): "tx_timeout: VSI_seid: %d, Q %d, NTC: 0x%x, HWB: 0x%x,
 * NTU: 0x%x, TAIL: 0x%x, INT: 0x%x" (HWB: the head write-back). */
static const struct ring_field i40e_fields[] = {
	{ "Q", F_QUEUE }, { "NTC:", F_NTC }, { "HWB:", F_HEAD }, { "NTU:", F_NTU },
	{ "TAIL:", F_TAIL }, { NULL, 0 },
};

/* ice_tx_timeout(): "tx_timeout: VSI_num: %d, Q %u, NTC: 0x%x, HW_HEAD:
 * 0x%x, NTU: 0x%x, INT: 0x%x"; no tail register, NTU stands for it. */
static const struct ring_field ice_fields[] = {
	{ "Q", F_QUEUE }, { "NTC:", F_NTC }, { "HW_HEAD:", F_HEAD }, { "NTU:", F_NTU },
	{ NULL, 0 },
};

/* dev_watchdog() (net/sched/sch_generic.c): "transmit queue %u timed out
 * %u ms" (the ms since 5.x). r8169 and most drivers print nothing more. */
static const struct ring_field watchdog_fields[] = {
	{ "transmit queue", F_QUEUE }, { "timed out", F_TIMEOUT }, { NULL, 0 },
};

/*
 * The default ring sizes: E1000_DEFAULT_TXD (e1000, e1000e), IGB_DEFAULT_TXD,
 * IGC_DEFAULT_TXD, IXGBE_DEFAULT_TXD, I40E_DEFAULT_NUM_DESCRIPTORS,
 * ICE_DFLT_NUM_TX_DESC. Only used when tail < head (the ring wrapped);
 * `ethtool -G` changes them, which the report cannot tell.
 * The write-back bit: E1000_TXD_STAT_DD / IGC_TXD_STAT_DD, bit 0.
 */
static const struct ring_parser parsers[] = {
	{ "e1000e", "Detected Hardware Unit Hang", e1000e_fields, "PCI Status", 256, 1 },
	{ "e1000", "^e1000 .*Detected Tx Unit Hang", tx_unit_fields, "next_to_watch.status", 256, 1 },
	{ "igb", "^igb .*Detected Tx Unit Hang", tx_unit_fields, "desc.status", 256, 1 },
	{ "igc", "^igc .*Detected Tx Unit Hang", tx_unit_fields, "desc.status", 256, 1 },
	{ "ixgbe", "^ixgbe .*Detected Tx Unit Hang", ixgbe_fields, "jiffies", 512, 0 },
	{ "i40e", "tx_timeout: VSI_seid: [0-9]+, Q [0-9]+, NTC:", i40e_fields, NULL, 512, 0 },
	{ "ice", "tx_timeout: VSI_num: [0-9]+, Q [0-9]+, NTC:", ice_fields, NULL, 256, 0 },
	{ "netdev_watchdog", "NETDEV WATCHDOG: .*transmit queue [0-9]+ timed out", watchdog_fields,
	  NULL, 0, 0 },
	/* A "Detected Tx Unit Hang" without a driver prefix we know. */
	{ "tx_unit_hang", "Detected Tx Unit Hang", tx_unit_fields, "jiffies", 0, 0 },
};

#define N_PARSERS (sizeof(parsers) / sizeof(parsers[0]))

static regex_t parser_re[N_PARSERS];
static bool parser_ready;

size_t ring_parser_count(void)
{
	return N_PARSERS;
}

const char *ring_parser_name(size_t i)
{
	return i < N_PARSERS ? parsers[i].name : NULL;
}

static int compile(void)
{
	size_t i;

	if (parser_ready)
		return 0;
	for (i = 0; i < N_PARSERS; i++) {
		if (regcomp(&parser_re[i], parsers[i].first, REG_EXTENDED | REG_NOSUB)) {
			while (i--)
				regfree(&parser_re[i]);
			return -EINVAL;
		}
	}
	parser_ready = true;
	return 0;
}

void ring_report_init(struct ring_report *r)
{
	memset(r, 0, sizeof(*r));
	r->queue = -1;
	r->head = r->tail = r->next_to_use = r->next_to_clean = -1;
	r->pending = r->ring_size = -1;
	r->time_stamp = r->jiffies = r->waited_jiffies = r->waited_ms = -1;
	r->status = -1;
	r->written_back = -1;
	r->mac_status = r->phy_status = r->pci_status = -1;
	r->timeout_ms = -1;
}

bool ring_report_has_ring(const struct ring_report *r)
{
	return r && (r->head >= 0 || r->tail >= 0 || r->next_to_use >= 0 ||
		     r->next_to_clean >= 0 || r->waited_jiffies >= 0);
}

/* The parser whose first line @text starts with; -1 for none. */
static int which_parser(const char *text)
{
	char first[512];
	size_t n = strcspn(text, "\n");
	size_t i;

	if (compile())
		return -1;
	if (n >= sizeof(first))
		n = sizeof(first) - 1;
	memcpy(first, text, n);
	first[n] = '\0';
	for (i = 0; i < N_PARSERS; i++)
		if (!regexec(&parser_re[i], first, 0, NULL, 0))
			return (int)i;
	return -1;
}

/* Read "<hex>", "0xhex" or "decimal" at @p (after blanks); -1 on none.
 * Values past 2^62 are refused: no register or jiffies count is that big. */
static long long read_value(const char *p, const char **end)
{
	unsigned long long v = 0;
	int base = 10, digits = 0;
	bool angle = false;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '<') {
		angle = true;
		base = 16;
		p++;
	} else if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++, digits++) {
		int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			break;
		if (v > (1ULL << 62) / 16)
			return -1;
		v = v * (unsigned)base + (unsigned)d;
	}
	if (!digits || (angle && *p != '>'))
		return -1;
	if (angle)
		p++;
	if (end)
		*end = p;
	return (long long)v;
}

static bool label_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-' || c == ':';
}

/* The value after the first @label in @text standing as a label: not part
 * of a longer word, followed by a value. */
static const char *find_label(const char *text, const char *label)
{
	size_t len = strlen(label);
	const char *p;

	for (p = strstr(text, label); p; p = strstr(p + 1, label)) {
		const char *after = p + len;

		if (p > text && label_char((unsigned char)p[-1]))
			continue;
		if (label_char((unsigned char)label[len - 1]) && label[len - 1] != ':' &&
		    label_char((unsigned char)*after))
			continue;
		if (read_value(after, NULL) < 0)
			continue;
		return after;
	}
	return NULL;
}

static void set_field(struct ring_report *r, int id, long long v, const char *after)
{
	const char *end;

	switch (id) {
	case F_QUEUE:
		if (v <= 0xFFFF)
			r->queue = (int)v;
		break;
	case F_HEAD: r->head = v; break;
	case F_TAIL: r->tail = v; break;
	case F_HEAD_TAIL:
		r->head = v;
		read_value(after, &end);
		while (*end == ',' || *end == ' ')
			end++;
		r->tail = read_value(end, NULL);
		break;
	case F_NTU: r->next_to_use = v; break;
	case F_NTC: r->next_to_clean = v; break;
	case F_TS: r->time_stamp = v; break;
	case F_JIFFIES: r->jiffies = v; break;
	case F_STATUS: r->status = v; break;
	case F_MAC: r->mac_status = v; break;
	case F_PHY: r->phy_status = v; break;
	case F_PCI: r->pci_status = v; break;
	case F_TIMEOUT: r->timeout_ms = v; break;
	default: break;
	}
}

/* The driver a message names: netdev_*()'s "<driver> <bus-id> …" prefix or
 * the watchdog's "(<driver>)". */
static void driver_of(const char *text, char *buf, size_t len)
{
	const char *p = strstr(text, "NETDEV WATCHDOG: ");
	size_t n;

	buf[0] = '\0';
	if (p) {
		const char *open = strchr(p, '('), *close = open ? strchr(open, ')') : NULL;
		const char *nl = strchr(p, '\n');

		if (open && close && (!nl || close < nl) && close - open - 1 > 0 &&
		    (size_t)(close - open - 1) < len) {
			snprintf(buf, len, "%.*s", (int)(close - open - 1), open + 1);
			return;
		}
	}
	/* "driver 0000:00:19.0 ..." : a lower-case word, a space, then a
	 * bus id with a ':' in it. */
	n = strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (n && n < len && text[n] == ' ' && strchr(text + n + 1, ':') &&
	    strcspn(text + n + 1, " ") > strcspn(text + n + 1, ":"))
		snprintf(buf, len, "%.*s", (int)n, text);
}

static void derive(const struct ring_parser *p, long hz, struct ring_report *r)
{
	long long head = r->head, tail = r->tail >= 0 ? r->tail : r->next_to_use;

	r->ring_size = p->ring_size ? p->ring_size : -1;
	if (head >= 0 && tail >= 0) {
		if (tail >= head)
			r->pending = tail - head;
		else if (p->ring_size && head < p->ring_size && tail < p->ring_size)
			r->pending = tail + p->ring_size - head;
	}
	if (r->jiffies >= 0 && r->time_stamp >= 0) {
		if (r->jiffies >= r->time_stamp)
			r->waited_jiffies = r->jiffies - r->time_stamp;
		else if (r->jiffies <= 0xffffffffLL && r->time_stamp <= 0xffffffffLL)
			/* A 32-bit kernel's jiffies wrapped in between. */
			r->waited_jiffies = (r->jiffies - r->time_stamp) & 0xffffffffLL;
	}
	/* No kernel has waited 2^53 jiffies; a report that says so gives no ms. */
	if (r->waited_jiffies >= 0 && r->waited_jiffies <= LLONG_MAX / 1000 && hz > 0)
		r->waited_ms = r->waited_jiffies * 1000 / hz;
	if (r->status >= 0 && p->dd_bit)
		r->written_back = (r->status & p->dd_bit) ? 1 : 0;
}

static int parse_with(int pi, const char *text, long hz, struct ring_report *r)
{
	const struct ring_parser *p = &parsers[pi];
	const struct ring_field *f;
	const char *c;

	ring_report_init(r);
	snprintf(r->parser, sizeof(r->parser), "%s", p->name);
	driver_of(text, r->driver, sizeof(r->driver));
	for (f = p->fields; f->label; f++) {
		const char *after = find_label(text, f->label);

		if (after)
			set_field(r, f->id, read_value(after, NULL), after);
	}
	r->lines = 1;
	for (c = text; (c = strchr(c, '\n')); c++)
		if (c[1])
			r->lines++;
	derive(p, hz, r);
	return 1;
}

int ring_report_parse(const char *text, long hz, struct ring_report *r)
{
	int pi;

	if (!r)
		return 0;
	ring_report_init(r);
	if (!text)
		return 0;
	pi = which_parser(text);
	if (pi < 0)
		return 0;
	return parse_with(pi, text, hz, r);
}

void ring_asm_init(struct ring_asm *a)
{
	memset(a, 0, sizeof(*a));
	a->parser = -1;
}

bool ring_asm_open(const struct ring_asm *a)
{
	return a && a->parser >= 0;
}

bool ring_asm_expired(const struct ring_asm *a, __u64 now_ms)
{
	return ring_asm_open(a) && now_ms >= a->start_ms && now_ms - a->start_ms > RING_ASM_MS;
}

static void append(struct ring_asm *a, const char *text)
{
	size_t n = strlen(text);

	if (a->len && a->len + 1 < sizeof(a->text))
		a->text[a->len++] = '\n';
	if (n > sizeof(a->text) - 1 - a->len)
		n = sizeof(a->text) - 1 - a->len;
	memcpy(a->text + a->len, text, n);
	a->len += n;
	a->text[a->len] = '\0';
	for (const char *c = text; (c = strchr(c, '\n')); c++)
		a->lines++;
	a->lines++;
}

static bool has_last(const struct ring_asm *a)
{
	const char *last = parsers[a->parser].last;

	return !last || find_label(a->text, last);
}

int ring_asm_start(struct ring_asm *a, const char *text, __u64 now_ms)
{
	int pi;

	ring_asm_init(a);
	if (!text)
		return -1;
	pi = which_parser(text);
	if (pi < 0)
		return -1;
	a->parser = pi;
	a->start_ms = now_ms;
	append(a, text);
	a->complete = has_last(a) || a->lines >= RING_ASM_LINES;
	return a->complete ? 1 : 0;
}

/* A record that continues the open report: its first non-blank word is
 * one of the parser's labels or the "buffer_info[next_to_clean]" head. */
static bool continues(const struct ring_asm *a, const char *text)
{
	const struct ring_field *f;

	while (*text == ' ' || *text == '\t')
		text++;
	if (!strncmp(text, "buffer_info[", 12) || !strncmp(text, "tx_buffer_info[", 15))
		return true;
	for (f = parsers[a->parser].fields; f->label; f++) {
		size_t n = strlen(f->label);

		/* The label, then blanks: its value may be one we refuse
		 * (a 64-bit pointer), the line is the report's all the same. */
		if (!strncmp(text, f->label, n) && (text[n] == ' ' || text[n] == '\t'))
			return true;
	}
	return false;
}

int ring_asm_more(struct ring_asm *a, const char *text, __u64 now_ms)
{
	if (!ring_asm_open(a) || !text || a->complete || ring_asm_expired(a, now_ms) ||
	    a->lines >= RING_ASM_LINES || !continues(a, text))
		return -1;
	append(a, text);
	a->complete = has_last(a) || a->lines >= RING_ASM_LINES;
	return a->complete ? 1 : 0;
}

void ring_asm_take(struct ring_asm *a, long hz, struct ring_report *r)
{
	if (ring_asm_open(a))
		parse_with(a->parser, a->text, hz, r);
	else
		ring_report_init(r);
	ring_asm_init(a);
}

/* "CONFIG_HZ=250" in a kernel config. */
static long hz_from_line(const char *line)
{
	if (strncmp(line, "CONFIG_HZ=", 10))
		return 0;
	return strtol(line + 10, NULL, 10);
}

long ring_kernel_hz(void)
{
	static long hz = -1;
	char line[256], path[128];
	struct utsname u;
	gzFile gz;
	FILE *f;

	if (hz >= 0)
		return hz;
	hz = 0;
	gz = gzopen("/proc/config.gz", "rb");
	if (gz) {
		while (!hz && gzgets(gz, line, sizeof(line)))
			hz = hz_from_line(line);
		gzclose(gz);
	}
	if (!hz && !uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = fopen(path, "r");
		if (f) {
			while (!hz && fgets(line, sizeof(line), f))
				hz = hz_from_line(line);
			fclose(f);
		}
	}
	if (hz < 0 || hz > 100000)
		hz = 0;
	return hz;
}

void ring_report_sentence(const struct ring_report *r, char *buf, size_t len)
{
	size_t o = 0;

#define PUT(...)                                                                   \
	do {                                                                       \
		int n_ = snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__);    \
		if (n_ > 0)                                                        \
			o += (size_t)n_;                                           \
	} while (0)
	if (!len)
		return;
	buf[0] = '\0';
	if (!r || !ring_report_has_ring(r))
		return;
	PUT("TX ring stuck:");
	if (r->pending >= 0)
		PUT(" %lld descriptor%s pending", r->pending, r->pending == 1 ? "" : "s");
	else
		PUT(" head %lld, tail %lld", r->head, r->tail);
	if (r->waited_jiffies >= 0) {
		PUT(", oldest for %lld jiffies", r->waited_jiffies);
		if (r->waited_ms >= 0)
			PUT(" (%lld ms)", r->waited_ms);
	}
	if (r->written_back == 0)
		PUT(", never written back");
	else if (r->written_back == 1)
		PUT(", written back but not cleaned");
#undef PUT
	if (o >= len)
		buf[len - 1] = '\0';
}
