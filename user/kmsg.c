// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Hang messages in the kernel log. The patterns are matched against the
 * message with /dev/kmsg's \xNN escapes undone and newlines turned into
 * spaces, so a multi-line report (e1000e's register dump is one record)
 * reads as one line and user regexes see the text as dmesg shows it.
 *
 * The tables are process-wide: one reader, one event loop.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kmsg.h"

struct kmsg_pattern {
	const char *name;
	const char *regex;
	int dev_group;	 /* 0: take a watched name appearing in the line */
	int queue_group; /* 0: none */
	int bus_group;	 /* a PCI bus id standing for the device (dev_err()); 0: none */
};

/*
 * netdev_err() and friends prefix "<driver> <bus-id> <ifname>: " (or just
 * "<ifname>: " for a device without a parent), so "([^ :]+): " right
 * before the text is the interface name. Names cannot hold ':' or spaces.
 */
static const struct kmsg_pattern builtin[] = {
	/* e1000e: e1000_print_hw_hang(), e_err() -> netdev_err(). The
	 * message most Proxmox/KVM host reports start from. */
	{ "e1000e_hw_hang", "([^ :]+): Detected Hardware Unit Hang", 1, 0 },
	/* e1000e: e1000_reset_task() after a hang or a TX timeout. */
	{ "e1000e_reset", "([^ :]+): Reset adapter unexpectedly", 1, 0 },
	/* dev_watchdog() (net/sched/sch_generic.c), older kernels: a WARN_ONCE
	 * "NETDEV WATCHDOG: %s (%s): transmit queue %u timed out[ %u ms]". */
	{ "netdev_watchdog",
	  "NETDEV WATCHDOG: ([^ :]+) \\([^)]*\\): transmit queue ([0-9]+) timed out", 1, 2 },
	/* dev_watchdog(), newer kernels: netdev_crit(dev, "NETDEV WATCHDOG:
	 * CPU: %d: transmit queue %u timed out %u ms"), once per timeout. */
	{ "netdev_watchdog",
	  "([^ :]+): NETDEV WATCHDOG: CPU: [0-9]+: transmit queue ([0-9]+) timed out", 1, 2 },
	/* virtio_net: virtnet_tx_timeout(), netdev_err(dev, "TX timeout on
	 * queue: %u, sq: %s, ..."). A nested guest's NIC, or a vhost stall. */
	{ "virtio_net_tx_timeout", "([^ :]+): TX timeout on queue: ([0-9]+)", 1, 2 },
	/* igb: igb_clean_tx_irq() reports with dev_err(tx_ring->dev, …), so
	 * the line names the PCI function ("igb 0000:02:00.1: Detected Tx Unit
	 * Hang"), not the interface: the bus id is looked up in sysfs. Before
	 * the generic entry, which would take "00.1" for a name. */
	{ "tx_unit_hang",
	  "^[a-z0-9_]+ ([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]): Detected Tx Unit Hang"
	  "(.*Tx Queue +<([0-9]+)>)?", 0, 3, 1 },
	/* e1000 and ixgbe: "Detected Tx Unit Hang" with "Tx Queue <N>" in the
	 * dump that follows (e_err -> netdev_err, so the name is there). */
	{ "tx_unit_hang", "([^ :]+): Detected Tx Unit Hang(.*Tx Queue +<([0-9]+)>)?", 1, 3 },
	/* i40e_tx_timeout() and ice_tx_timeout(): netdev_info(), one line
	 * with the ring's indexes (read by ring_report.c). */
	{ "i40e_tx_timeout", "([^ :]+): tx_timeout: VSI_seid: [0-9]+, Q ([0-9]+),", 1, 2 },
	{ "ice_tx_timeout", "([^ :]+): tx_timeout: VSI_num: [0-9]+, Q ([0-9]+),", 1, 2 },
};

#define N_BUILTIN (sizeof(builtin) / sizeof(builtin[0]))

static regex_t builtin_re[N_BUILTIN];
static bool builtin_ready;

struct user_pattern {
	regex_t re;
	char name[16];
	int dev_group, queue_group;
};

static struct user_pattern user[KMSG_USER_PATTERNS_MAX];
static size_t n_user;

size_t kmsg_builtin_count(void)
{
	return N_BUILTIN;
}

const char *kmsg_builtin_name(size_t i)
{
	return i < N_BUILTIN ? builtin[i].name : NULL;
}

const char *kmsg_builtin_regex(size_t i)
{
	return i < N_BUILTIN ? builtin[i].regex : NULL;
}

static int builtin_compile(void)
{
	size_t i;

	if (builtin_ready)
		return 0;
	for (i = 0; i < N_BUILTIN; i++) {
		if (regcomp(&builtin_re[i], builtin[i].regex, REG_EXTENDED)) {
			/* A table bug, not a user error: say which entry. */
			fprintf(stderr, "kmsg: built-in pattern %s does not compile\n",
				builtin[i].name);
			while (i--)
				regfree(&builtin_re[i]);
			return -EINVAL;
		}
	}
	builtin_ready = true;
	return 0;
}

/*
 * An upper bound on the positions glibc's regcomp() builds for an ERE:
 * each atom counts 1, a group one more than what it holds, and a bound
 * {m,n} multiplies the item before it by its largest count (the n - m
 * optional copies twice), '+', '*' and '?' by two (glibc compiles x+ as
 * x x*; an item that may match empty costs its epsilon closures more). Nested
 * bounds multiply ("((.{99}){99}){99}" is a million positions and
 * hundreds of MB), so a pattern past KMSG_PATTERN_SIZE_MAX is refused
 * before it is compiled. Written here: no library answers this.
 */
static double pattern_size(const char *re)
{
	double stack[32], cur = 0, prev = 0;
	int depth = 0;
	const char *p = re;

	while (*p) {
		char c = *p++;

		if (c == '(') {
			if (depth == 32)
				return 1e300;
			stack[depth++] = cur;
			cur = prev = 0;
		} else if (c == ')' && depth) {
			/* The group is a node of its own: "()" is one
			 * position, and "()+++…" doubles it as any atom. */
			double inner = cur + 1;

			cur = stack[--depth] + inner;
			prev = inner;
		} else if (c == '{' && (isdigit((unsigned char)*p) || *p == ',')) {
			/* "{,n}" is glibc's {0,n}: a bound all the same. */
			unsigned long m = isdigit((unsigned char)*p) ? strtoul(p, (char **)&p, 10) : 0,
				      n = m;

			if (*p == ',')
				n = isdigit((unsigned char)*++p) ? strtoul(p, (char **)&p, 10) : m + 1;
			if (*p == '}')
				p++;
			if (n < m)
				n = m;
			/* The optional copies (n - m of them) count twice,
			 * as '?' does. */
			cur += prev * ((double)(2 * n - m) - 1);
			prev *= (double)(2 * n - m);
		} else if (c == '+' || c == '*' || c == '?') {
			/* x+ is compiled as x x*: each '+' doubles what it
			 * repeats, so "a++++…" grows as 2^n. '*' and '?'
			 * copy nothing but make x match empty, and a run of
			 * such items costs regcomp's epsilon closures the
			 * square of its length ("(a*){2000}" took 1.2 s):
			 * they count twice too. */
			cur += prev;
			prev *= 2;
		} else if (c == '[') {
			/* A bracket expression is one atom: "[]x]", "[^]x]" and
			 * "[[:alpha:]]" included. */
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
					const char *end = strstr(p + 2, (char[]){ p[1], ']', 0 });

					p = end ? end + 2 : p + strlen(p);
				} else {
					p++;
				}
			}
			if (*p)
				p++;
			cur += 1;
			prev = 1;
		} else {
			if (c == '\\' && *p)
				p++;
			cur += 1;
			prev = 1;
		}
	}
	while (depth)
		cur = stack[--depth] + cur;
	return cur;
}

int kmsg_add_pattern(const char *regex, char *err, size_t errlen)
{
	struct user_pattern *p;
	int rc;

	if (!regex || !*regex) {
		if (err && errlen)
			snprintf(err, errlen, "empty --hang-pattern");
		return -EINVAL;
	}
	if (n_user >= KMSG_USER_PATTERNS_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "more than %d --hang-pattern options",
				 KMSG_USER_PATTERNS_MAX);
		return -ENOSPC;
	}
	if (pattern_size(regex) > KMSG_PATTERN_SIZE_MAX) {
		if (err && errlen)
			snprintf(err, errlen,
				 "--hang-pattern '%.64s' is larger than %d positions once its {n} bounds and + repeats are expanded; use fewer or smaller bounds",
				 regex, KMSG_PATTERN_SIZE_MAX);
		return -E2BIG;
	}
	p = &user[n_user];
	rc = regcomp(&p->re, regex, REG_EXTENDED);
	if (rc) {
		if (err && errlen) {
			char why[128];

			regerror(rc, &p->re, why, sizeof(why));
			snprintf(err, errlen, "--hang-pattern '%s': %s", regex, why);
		}
		regfree(&p->re);
		return -EINVAL;
	}
	p->dev_group = p->re.re_nsub >= 1 ? 1 : 0;
	p->queue_group = p->re.re_nsub >= 2 ? 2 : 0;
	snprintf(p->name, sizeof(p->name), "user%zu", n_user + 1);
	n_user++;
	return 0;
}

void kmsg_patterns_free(void)
{
	size_t i;

	for (i = 0; i < n_user; i++)
		regfree(&user[i].re);
	n_user = 0;
	if (builtin_ready) {
		for (i = 0; i < N_BUILTIN; i++)
			regfree(&builtin_re[i]);
		builtin_ready = false;
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undo /dev/kmsg's escaping (msg_add_ext_text(): bytes < 0x20, >= 0x7f and
 * '\' become \xNN); control characters become spaces so the record reads
 * as one line, newlines too unless @keep_nl. */
static void unescape_nl(const char *s, size_t len, char *out, size_t outlen, bool keep_nl)
{
	size_t i = 0, o = 0;

	while (i < len && o + 1 < outlen) {
		int c = (unsigned char)s[i];

		if (c == '\\' && i + 3 < len && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
		    hexval(s[i + 3]) >= 0) {
			c = hexval(s[i + 2]) << 4 | hexval(s[i + 3]);
			i += 4;
		} else {
			i++;
		}
		if ((c < 0x20 || c == 0x7f) && !(keep_nl && c == '\n'))
			c = ' ';
		out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void unescape(const char *s, size_t len, char *out, size_t outlen)
{
	unescape_nl(s, len, out, outlen, false);
}

/* Parse "pri,seq,ts_usec,flags[,…];" and return the message start, or
 * @line itself when it has no such header. */
static const char *parse_header(const char *line, struct kmsg_hit *hit)
{
	unsigned long long pri, seq, ts;
	const char *semi = strchr(line, ';');
	char *end;

	hit->seq = 0;
	hit->ts_usec = 0;
	hit->level = -1;
	if (!semi || !isdigit((unsigned char)line[0]))
		return line;
	errno = 0;
	pri = strtoull(line, &end, 10);
	if (*end != ',' || end > semi)
		return line;
	seq = strtoull(end + 1, &end, 10);
	if (*end != ',' || end > semi)
		return line;
	ts = strtoull(end + 1, &end, 10);
	if ((*end != ',' && *end != ';') || end > semi || errno)
		return line;
	hit->seq = seq;
	hit->ts_usec = ts;
	hit->level = (int)(pri & 7);
	return semi + 1;
}

static bool is_name_char(int c)
{
	/* What can sit inside an interface name as the kernel prints it; a
	 * match must not be part of a longer name ("eth0" in "eth0.100"). */
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '@';
}

static bool word_at(const char *msg, const char *at, size_t len)
{
	int before = at > msg ? (unsigned char)at[-1] : ' ';
	int after = (unsigned char)at[len];

	if (is_name_char(before))
		return false;
	/* A trailing '.' ends a sentence more often than a VLAN name. */
	if (after == '.' && !isalnum((unsigned char)at[len + 1]))
		return true;
	return !is_name_char(after);
}

/* The longest watched name appearing in @msg as a word, or NULL. */
static const char *find_watched(const char *msg, const char *const *watched, int n)
{
	const char *best = NULL;
	size_t best_len = 0;
	int i;

	for (i = 0; i < n; i++) {
		const char *w = watched[i], *p;
		size_t len;

		if (!w || !*w)
			continue;
		len = strlen(w);
		for (p = strstr(msg, w); p; p = strstr(p + 1, w)) {
			if (word_at(msg, p, len)) {
				if (len > best_len) {
					best = w;
					best_len = len;
				}
				break;
			}
		}
	}
	return best;
}

static bool is_watched(const char *dev, const char *const *watched, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (watched[i] && !strcmp(watched[i], dev))
			return true;
	return false;
}

static const char *sysfs = "/sys";

void kmsg_set_sysfs(const char *root)
{
	sysfs = root ? root : "/sys";
}

/* The interface of PCI function @bus (its one entry under net/; a function
 * with several is a multi-port card: the first watched one is taken). */
static bool bus_ifname(const char *bus, const char *const *watched, int n, char *out,
		       size_t len)
{
	char path[256];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/net", sysfs, bus);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= len)
			continue;
		if (n > 0 && !is_watched(de->d_name, watched, n))
			continue;
		snprintf(out, len, "%s", de->d_name);
		found = true;
	}
	closedir(d);
	return found;
}

/* Fill dev/queue from a match; false when the line is not for us. */
static bool take(const char *msg, const regmatch_t *m, size_t nm, int dev_group,
		 int queue_group, int bus_group, const char *const *watched, int n,
		 struct kmsg_hit *hit)
{
	hit->dev[0] = '\0';
	hit->queue = -1;
	if (bus_group > 0 && (size_t)bus_group < nm && m[bus_group].rm_so >= 0) {
		char bus[VNO_IFNAMSIZ];
		size_t len = (size_t)(m[bus_group].rm_eo - m[bus_group].rm_so);

		if (len >= sizeof(bus))
			return false;
		memcpy(bus, msg + m[bus_group].rm_so, len);
		bus[len] = '\0';
		/* Not a device here, or not one watched: not for us. Watching
		 * every device, the bus id stands for the name. */
		if (!bus_ifname(bus, watched, n, hit->dev, sizeof(hit->dev))) {
			if (n > 0)
				return false;
			snprintf(hit->dev, sizeof(hit->dev), "%s", bus);
		}
	} else if (dev_group > 0 && (size_t)dev_group < nm && m[dev_group].rm_so >= 0) {
		size_t len = (size_t)(m[dev_group].rm_eo - m[dev_group].rm_so);

		if (len == 0 || len >= sizeof(hit->dev))
			return false;
		memcpy(hit->dev, msg + m[dev_group].rm_so, len);
		hit->dev[len] = '\0';
		if (n > 0 && !is_watched(hit->dev, watched, n))
			return false;
	} else if (n > 0) {
		const char *w = find_watched(msg, watched, n);

		if (!w)
			return false;
		snprintf(hit->dev, sizeof(hit->dev), "%s", w);
	}
	if (queue_group > 0 && (size_t)queue_group < nm && m[queue_group].rm_so >= 0) {
		const char *q = msg + m[queue_group].rm_so;
		long v;
		char *end;

		errno = 0;
		v = strtol(q, &end, 10);
		if (end > q && end <= msg + m[queue_group].rm_eo && !errno && v >= 0 &&
		    v <= 0xFFFF)
			hit->queue = (int)v;
	}
	return true;
}

#define MAX_GROUPS 10

int kmsg_text(const char *line, char *out, size_t len)
{
	struct kmsg_hit h;
	const char *body;

	if (!line || !out || !len)
		return -EINVAL;
	out[0] = '\0';
	if (line[0] == ' ' || line[0] == '\0' || line[0] == '\n')
		return 0;
	body = parse_header(line, &h);
	unescape_nl(body, strcspn(body, "\n"), out, len, true);
	/* A report's trailing newline is no line of its own. */
	while (*out && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
	return 1;
}

int kmsg_match(const char *line, const char *const *watched, int n, struct kmsg_hit *hit)
{
	regmatch_t m[MAX_GROUPS];
	struct kmsg_hit h;
	const char *body;
	size_t i;
	int err;

	if (!line || !hit || n < 0 || (n > 0 && !watched))
		return -EINVAL;
	err = builtin_compile();
	if (err)
		return err;
	/* Dictionary continuation lines (" SUBSYSTEM=net") and blank lines. */
	if (line[0] == ' ' || line[0] == '\0' || line[0] == '\n')
		return 0;

	memset(&h, 0, sizeof(h));
	body = parse_header(line, &h);
	unescape(body, strcspn(body, "\n"), h.msg, sizeof(h.msg));

	for (i = 0; i < N_BUILTIN; i++) {
		const struct kmsg_pattern *p = &builtin[i];

		if (regexec(&builtin_re[i], h.msg, MAX_GROUPS, m, 0))
			continue;
		if (!take(h.msg, m, MAX_GROUPS, p->dev_group, p->queue_group, p->bus_group, watched, n,
			  &h))
			continue;
		snprintf(h.pattern, sizeof(h.pattern), "%s", p->name);
		*hit = h;
		return 1;
	}
	for (i = 0; i < n_user; i++) {
		const struct user_pattern *p = &user[i];

		if (regexec(&p->re, h.msg, MAX_GROUPS, m, 0))
			continue;
		if (!take(h.msg, m, MAX_GROUPS, p->dev_group, p->queue_group, 0, watched, n, &h))
			continue;
		snprintf(h.pattern, sizeof(h.pattern), "%s", p->name);
		*hit = h;
		return 1;
	}
	return 0;
}

/* /dev/kmsg hands out one record per read() and refuses (EINVAL) a buffer
 * shorter than the record; records are at most a few KiB with their
 * dictionary (PRINTKRB_RECORD_MAX 1024 text + header + dict). */
#define KMSG_BUF 16384

struct kmsg_watch {
	int fd;
	__u64 lost;
	size_t used;	  /* bytes of a partial line carried over (regular files) */
	char buf[KMSG_BUF + 1];
};

struct kmsg_watch *kmsg_watch__open_path(const char *path)
{
	struct kmsg_watch *w;
	int err;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->fd < 0)
		goto err;
	/* On /dev/kmsg SEEK_END means "the next record to be logged":
	 * a hang logged before we started is not this run's hang. */
	if (lseek(w->fd, 0, SEEK_END) < 0)
		goto err;
	return w;
err:
	err = errno;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	errno = err;
	return NULL;
}

struct kmsg_watch *kmsg_watch__open(void)
{
	return kmsg_watch__open_path("/dev/kmsg");
}

int kmsg_watch__fd(const struct kmsg_watch *w)
{
	return w ? w->fd : -EINVAL;
}

__u64 kmsg_watch__lost(const struct kmsg_watch *w)
{
	return w ? w->lost : 0;
}

/* Pass the complete lines in w->buf[0..w->used) to @fn, keep the rest. */
static int flush_lines(struct kmsg_watch *w, kmsg_line_fn fn, void *ctx, int *count)
{
	char *start = w->buf, *end = w->buf + w->used, *nl;
	int rc = 0;

	while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
		*nl = '\0';
		if (start[0] != ' ' && start[0] != '\0') {
			(*count)++;
			rc = fn ? fn(start, ctx) : 0;
		}
		start = nl + 1;
		if (rc < 0)
			break;
	}
	w->used = (size_t)(end - start);
	memmove(w->buf, start, w->used);
	return rc;
}

int kmsg_watch__read(struct kmsg_watch *w, kmsg_line_fn fn, void *ctx)
{
	int count = 0, rc;
	ssize_t n;

	if (!w)
		return -EINVAL;
	for (;;) {
		n = read(w->fd, w->buf + w->used, KMSG_BUF - w->used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			if (errno == EPIPE) {
				/* The ring wrapped past our position; the
				 * next read continues at the oldest record. */
				w->lost++;
				continue;
			}
			return -errno;
		}
		if (n == 0)
			break;
		w->used += (size_t)n;
		rc = flush_lines(w, fn, ctx, &count);
		if (rc < 0)
			return rc;
		if (w->used == KMSG_BUF) {
			/* A line longer than the buffer: pass it cut. */
			w->buf[KMSG_BUF] = '\0';
			count++;
			rc = fn ? fn(w->buf, ctx) : 0;
			w->used = 0;
			if (rc < 0)
				return rc;
		}
	}
	return count;
}

void kmsg_watch__free(struct kmsg_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
