// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The drivers' hang reports (ring_report.c): every fixture of
 * tests/fixtures/hang-reports read field by field, whole, flattened as the
 * kmsg trigger keeps it, and record by record through the assembler. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag_ring.h"
#include "ring_report.h"

#define DIR "tests/fixtures/hang-reports/"

struct expect {
	char parser[32], driver[32];
	long long queue, head, tail, pending, waited, status, wb, mac, pci, timeout;
	bool has_driver, has_timeout;
};

/* The report lines of @name into @text ('\n' between them), its "expect:"
 * line into @e. */
static void load(const char *name, char *text, size_t len, struct expect *e)
{
	char path[256], line[512];
	FILE *f;
	size_t o = 0;

	snprintf(path, sizeof(path), DIR "%s", name);
	f = fopen(path, "r");
	cr_assert(f, "%s cannot be opened (run from the top directory)", path);
	memset(e, 0, sizeof(*e));
	text[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char *p;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#') {
			p = strstr(line, "expect: ");
			if (!p)
				continue;
			cr_assert_eq(sscanf(p, "expect: parser=%31s queue=%lli head=%lli tail=%lli "
					       "pending=%lli waited_jiffies=%lli status=%lli "
					       "written_back=%lli mac=%lli pci=%lli",
					    e->parser, &e->queue, &e->head, &e->tail, &e->pending,
					    &e->waited, &e->status, &e->wb, &e->mac, &e->pci),
				     10, "%s: bad expect line", name);
			if ((p = strstr(line, " driver=")))
				e->has_driver = sscanf(p, " driver=%31s", e->driver) == 1;
			if ((p = strstr(line, " timeout_ms=")))
				e->has_timeout = sscanf(p, " timeout_ms=%lli", &e->timeout) == 1;
			continue;
		}
		o += (size_t)snprintf(text + o, len - o, "%s%s", o ? "\n" : "", line);
		cr_assert_lt(o, len);
	}
	fclose(f);
	cr_assert(e->parser[0], "%s has no expect line", name);
}

static void check(const char *name, const char *how, const struct ring_report *r,
		  const struct expect *e)
{
	cr_expect_str_eq(r->parser, e->parser, "%s (%s): parser", name, how);
	cr_expect_eq(r->queue, e->queue, "%s (%s): queue %d", name, how, r->queue);
	cr_expect_eq(r->head, e->head, "%s (%s): head %lld", name, how, r->head);
	cr_expect_eq(r->tail, e->tail, "%s (%s): tail %lld", name, how, r->tail);
	cr_expect_eq(r->pending, e->pending, "%s (%s): pending %lld", name, how, r->pending);
	cr_expect_eq(r->waited_jiffies, e->waited, "%s (%s): waited %lld", name, how,
		     r->waited_jiffies);
	cr_expect_eq(r->status, e->status, "%s (%s): status %llx", name, how, r->status);
	cr_expect_eq(r->written_back, e->wb, "%s (%s): written back %d", name, how,
		     r->written_back);
	cr_expect_eq(r->mac_status, e->mac, "%s (%s): MAC status", name, how);
	cr_expect_eq(r->pci_status, e->pci, "%s (%s): PCI status", name, how);
	if (e->has_driver)
		cr_expect_str_eq(r->driver, e->driver, "%s (%s): driver", name, how);
	if (e->has_timeout)
		cr_expect_eq(r->timeout_ms, e->timeout, "%s (%s): timeout %lld", name, how,
			     r->timeout_ms);
}

static const char *const fixtures[] = {
	"e1000e.txt", "e1000.txt", "igb.txt", "igc.txt", "ixgbe.txt",
	"i40e.txt", "ice.txt", "r8169.txt", "netdev_watchdog.txt",
};

Test(ring, fixtures_whole)
{
	static char text[8192];
	struct ring_report r;
	struct expect e;

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		load(fixtures[i], text, sizeof(text), &e);
		cr_assert_eq(ring_report_parse(text, 0, &r), 1, "%s not recognised", fixtures[i]);
		check(fixtures[i], "whole", &r, &e);
		cr_expect_eq(r.waited_ms, -1, "no HZ, no ms");
	}
}

Test(ring, fixtures_flattened)
{
	static char text[8192];
	struct ring_report r;
	struct expect e;

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		load(fixtures[i], text, sizeof(text), &e);
		for (char *p = text; *p; p++)
			if (*p == '\n')
				*p = ' ';
		cr_assert_eq(ring_report_parse(text, 0, &r), 1, "%s not recognised", fixtures[i]);
		check(fixtures[i], "flattened", &r, &e);
	}
}

/* One record per line, as older kernels and syslog relays hand it out. */
Test(ring, fixtures_record_by_record)
{
	static char text[8192];
	struct ring_asm a;
	struct ring_report r;
	struct expect e;

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		char *line, *save = NULL;
		int rc = -1, n = 0;

		load(fixtures[i], text, sizeof(text), &e);
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			rc = n++ ? ring_asm_more(&a, line, 10) : ring_asm_start(&a, line, 0);
			cr_assert_geq(rc, 0, "%s: line %d not taken: %s", fixtures[i], n, line);
		}
		cr_expect_eq(rc, 1, "%s: its last line completes it", fixtures[i]);
		ring_asm_take(&a, 0, &r);
		check(fixtures[i], "records", &r, &e);
		cr_expect_eq(r.lines, n);
		cr_expect_not(ring_asm_open(&a));
	}
}

/* The report of issue #23 (e1000e, 82579LM on Proxmox), and the sentence. */
Test(ring, issue_report_and_sentence)
{
	const char *text = "e1000e 0000:00:19.0 eno1: Detected Hardware Unit Hang:\n"
			   "  TDH                  <5d>\n  TDT                  <90>\n"
			   "  next_to_use          <90>\n  next_to_clean        <5c>\n"
			   "buffer_info[next_to_clean]:\n  time_stamp           <10014eaa6>\n"
			   "  next_to_watch        <5d>\n  jiffies              <10014f100>\n"
			   "  next_to_watch.status <0>\nMAC Status             <80083>\n"
			   "PHY Status             <796d>\nPHY 1000BASE-T Status  <3800>\n"
			   "PHY Extended Status    <3000>\nPCI Status             <10>";
	struct ring_report r;
	char s[160];

	cr_assert_eq(ring_report_parse(text, 250, &r), 1);
	cr_expect_eq(r.pending, 51);
	cr_expect_eq(r.waited_jiffies, 0x65a);
	cr_expect_eq(r.waited_ms, 6504);
	cr_expect_eq(r.written_back, 0);
	cr_expect_eq(r.phy_status, 0x796d);
	cr_expect_str_eq(r.driver, "e1000e");
	ring_report_sentence(&r, s, sizeof(s));
	cr_expect_str_eq(s, "TX ring stuck: 51 descriptors pending, oldest for 1626 jiffies "
			    "(6504 ms), never written back");
	r.waited_ms = -1;
	ring_report_sentence(&r, s, sizeof(s));
	cr_expect_str_eq(s, "TX ring stuck: 51 descriptors pending, oldest for 1626 jiffies, "
			    "never written back");
}

/* A record that is not one of its lines is the caller's; the report stays
 * open for lines logged after it, and is read as far as it came. */
Test(ring, other_records_in_between)
{
	struct ring_asm a;
	struct ring_report r;

	cr_assert_eq(ring_asm_start(&a, "e1000e 0000:00:19.0 eno1: Detected Hardware Unit Hang:", 0), 0);
	cr_assert_eq(ring_asm_more(&a, "  TDH                  <5d>", 1), 0);
	cr_assert_eq(ring_asm_more(&a, "br0: port 1(tap0) entered forwarding state", 2), -1);
	cr_assert(ring_asm_open(&a));
	cr_assert_eq(ring_asm_more(&a, "e1000e 0000:00:19.0 eno1: Detected Hardware Unit Hang:", 2), -1);
	cr_assert_eq(ring_asm_more(&a, "PCI Status             <10>", 3), 1, "its last line completes it");
	ring_asm_take(&a, 0, &r);
	cr_expect_eq(r.head, 0x5d);
	cr_expect_eq(r.pci_status, 0x10);
	cr_expect_eq(r.lines, 3);
	cr_expect_eq(r.tail, -1);
	cr_expect_eq(r.pending, -1);
	cr_expect_eq(ring_asm_start(&a, "e1000e 0000:00:19.0 eno1: Detected Hardware Unit Hang:", 3), 0);
	cr_expect(ring_asm_open(&a));
}

Test(ring, bounded_in_time_and_lines)
{
	struct ring_asm a;
	int i, rc = 0;

	cr_assert_eq(ring_asm_start(&a, "igb 0000:02:00.1: Detected Tx Unit Hang", 100), 0);
	cr_expect_not(ring_asm_expired(&a, 100 + RING_ASM_MS));
	cr_expect(ring_asm_expired(&a, 100 + RING_ASM_MS + 1));
	cr_expect_eq(ring_asm_more(&a, "  TDH                  <0>", 100 + RING_ASM_MS + 1), -1);

	cr_assert_eq(ring_asm_start(&a, "igb 0000:02:00.1: Detected Tx Unit Hang", 0), 0);
	for (i = 1; i < 10 * RING_ASM_LINES && rc == 0; i++)
		rc = ring_asm_more(&a, "  TDH                  <0>", 1);
	cr_expect_eq(rc, 1, "the line bound completes it");
	cr_expect_leq(i, RING_ASM_LINES);
	cr_expect_eq(ring_asm_more(&a, "  TDT                  <1>", 1), -1);
}

Test(ring, not_reports)
{
	struct ring_report r;
	struct ring_asm a;

	cr_expect_eq(ring_report_parse("e1000e 0000:00:19.0 eno1: Reset adapter unexpectedly", 0, &r), 0);
	cr_expect_eq(ring_report_parse("", 0, &r), 0);
	cr_expect_eq(ring_report_parse(NULL, 0, &r), 0);
	cr_expect_eq(ring_asm_start(&a, "eno1: NIC Link is Up", 0), -1);
	cr_expect_not(ring_asm_open(&a));
	/* Values that do not fit, labels inside longer words, no '>'. */
	cr_assert_eq(ring_report_parse("e1000e x eno1: Detected Hardware Unit Hang: TDH <fffffffffffffffffff> "
				       "XTDT <5> TDT <6", 0, &r), 1);
	cr_expect_eq(r.head, -1);
	cr_expect_eq(r.tail, -1);
	cr_expect(!ring_report_has_ring(&r));
}

/* The frames on the ring: handed to the hung device (xmit), not done, the
 * newest ring.pending of them; a frame on another device or done is not. */
Test(ring, on_ring_frames)
{
	struct diag_frame f[6] = {};
	struct vno_diagnosis dg = {};
	unsigned want[6] = { 0, 0, 1, 0, 0, 1 };

	for (int i = 0; i < 6; i++) {
		f[i].ev.f.hop = VNO_HOP_XMIT;
		f[i].ev.f.ifindex = 2;
		f[i].ev.f.gso_size = i == 5 ? 1448 : 0;
	}
	f[1].completed = 1;	/* done: not on the ring */
	f[3].ev.f.ifindex = 3;	/* another device */
	f[4].ev.f.hop = VNO_HOP_DROP;
	dg.frames = f;
	dg.n_frames = 6;
	dg.hang.ifindex = 2;
	dg.completions_known = true;
	ring_report_init(&dg.hang.ring);
	strcpy(dg.hang.ring.parser, "e1000e");
	dg.hang.ring.pending = 2;
	diag_ring(&dg);
	for (int i = 0; i < 6; i++)
		cr_expect_eq(f[i].on_ring, want[i], "frame %d", i);
	cr_expect_eq(dg.n_on_ring, 2);
	cr_expect_eq(dg.on_ring_super, 1);

	/* Without completions nothing can be said to be on the ring. */
	for (int i = 0; i < 6; i++)
		f[i].on_ring = 0;
	dg.completions_known = false;
	diag_ring(&dg);
	cr_expect_eq(dg.n_on_ring, 0);
}

/* The hang note's ring object reads back as written; a note without one
 * (an older capture) reads as no report. */
Test(ring, json_roundtrip)
{
	struct vno_diagnosis dg = {};
	struct ring_report back;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_eq(ring_report_parse("igb 0000:02:00.1: Detected Tx Unit Hang\n  Tx Queue <3>\n"
				       "  TDH <f0>\n  TDT <10>\n  time_stamp <100>\n  jiffies <200>\n"
				       "  desc.status <1>", 100, &dg.hang.ring), 1);
	strcpy(dg.hang.dev, "eth0");
	f = open_memstream(&buf, &len);
	diag_json(f, &dg);
	fclose(f);
	cr_assert_eq(diag_ring_from_json(buf, &back), 0);
	cr_expect_str_eq(back.parser, "igb");
	cr_expect_str_eq(back.driver, "igb");
	cr_expect_eq(back.queue, 3);
	cr_expect_eq(back.head, 0xf0);
	cr_expect_eq(back.tail, 0x10);
	cr_expect_eq(back.pending, 32);
	cr_expect_eq(back.waited_jiffies, 0x100);
	cr_expect_eq(back.waited_ms, 2560);
	cr_expect_eq(back.written_back, 1);
	cr_expect_eq(back.mac_status, -1);
	cr_expect_eq(back.lines, 7);
	free(buf);

	cr_assert_eq(diag_ring_from_json("{\"type\":\"hang\",\"dev\":\"eth0\"}", &back), 0);
	cr_expect_str_eq(back.parser, "");
	cr_expect_eq(back.pending, -1);
	cr_expect_eq(diag_ring_from_json("{not json", &back), -EINVAL);
}
