// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Offload state as data: two feature lists compared (what switched, in the
 * newer list's order, by name), and an offload_change written as a JSON
 * line and read back as report reads the capture note, strictly; and the
 * kept features read again on a poll, a difference said once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "offchange.h"
#include "offwatch.h"

static struct vno_feature before_f[] = {
	{ "tx-checksum-ip-generic", true, true },
	{ "tx-tcp-segmentation", true, true },
	{ "tx-generic-segmentation", true, true },
	{ "rx-gro-hw", false, false },
};

Test(offload, diff_names_what_switched)
{
	/* The same names, one in another place, two switched. */
	struct vno_feature now_f[] = {
		{ "tx-checksum-ip-generic", true, true },
		{ "tx-generic-segmentation", false, true },
		{ "tx-tcp-segmentation", false, true },
		{ "rx-gro-hw", false, false },
		{ "new-feature", true, true },	/* in one list only: no change */
	};
	struct vno_features before = { 4, before_f }, now = { 5, now_f };
	struct vno_feature_change c[8];
	unsigned n = vno_features_diff(&before, &now, c, 8);

	cr_assert_eq(n, 2);
	cr_assert_str_eq(c[0].name, "tx-generic-segmentation");
	cr_assert(c[0].from && !c[0].to);
	cr_assert_str_eq(c[1].name, "tx-tcp-segmentation");
	/* Nothing switched: nothing said; the count past @max still counted. */
	cr_assert_eq(vno_features_diff(&before, &before, c, 8), 0);
	cr_assert_eq(vno_features_diff(&before, &now, c, 1), 2);
	cr_assert_str_eq(c[0].name, "tx-generic-segmentation");
	/* A device read for the first time (nothing before) changes nothing. */
	cr_assert_eq(vno_features_diff(NULL, &now, c, 8), 0);
}

static char *to_json(const struct offload_change *oc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	offload_change_json(f, oc);
	fclose(f);
	return buf;
}

Test(offload, change_json_round_trip)
{
	struct offload_change oc = { .ts_ns = 1234567, .netns = 4026531840u, .ifindex = 7,
				     .dev = "tap0", .driver = "tun", .vm = "web-01", .n = 2 },
			      back;
	char *s;

	oc.c[0] = (struct vno_feature_change){ "tx-tcp-segmentation", true, false };
	oc.c[1] = (struct vno_feature_change){ "tx-udp-segmentation", false, true };
	s = to_json(&oc);
	cr_assert_str_eq(s, "{\"type\":\"offload_change\",\"ts_ns\":1234567,\"dev\":\"tap0\","
			    "\"ifindex\":7,\"netns\":4026531840,\"driver\":\"tun\",\"vm\":\"web-01\","
			    "\"changed\":[{\"feature\":\"tx-tcp-segmentation\",\"from\":true,"
			    "\"to\":false},{\"feature\":\"tx-udp-segmentation\",\"from\":false,"
			    "\"to\":true}]}\n");
	s[strlen(s) - 1] = '\0'; /* a note holds the line without its newline */
	cr_assert_eq(offload_change_from_json(s, strlen(s), &back), 0);
	cr_assert_str_eq(back.dev, "tap0");
	cr_assert_str_eq(back.vm, "web-01");
	cr_assert_str_eq(back.driver, "tun");
	cr_assert_eq(back.ifindex, 7);
	cr_assert_eq(back.netns, 4026531840u);
	cr_assert_eq(back.ts_ns, 1234567);
	cr_assert_eq(back.n, 2);
	cr_assert_str_eq(back.c[1].name, "tx-udp-segmentation");
	cr_assert(!back.c[1].from && back.c[1].to);
	free(s);
}

Test(offload, change_note_refused_when_not_one)
{
	static const char *const bad[] = {
		"", "not json", "[]", "{}",
		"{\"dev\":\"up0\"}",			     /* no changes */
		"{\"dev\":\"up0\",\"changed\":[]}",
		"{\"dev\":\"\",\"changed\":[{\"feature\":\"x\",\"from\":true,\"to\":false}]}",
		"{\"dev\":7,\"changed\":[{\"feature\":\"x\",\"from\":true,\"to\":false}]}",
		"{\"dev\":\"up0\",\"changed\":[{\"feature\":\"x\",\"from\":1,\"to\":0}]}",
		"{\"dev\":\"up0\",\"changed\":{\"feature\":\"x\"}}",
	};
	struct offload_change oc;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_neq(offload_change_from_json(bad[i], strlen(bad[i]), &oc), 0, "case %zu", i);
	/* Members it does not know, and null ones, are fine. */
	cr_assert_eq(offload_change_from_json(
			     "{\"dev\":\"up0\",\"vm\":null,\"driver\":null,\"extra\":[1],"
			     "\"changed\":[{\"feature\":\"x\",\"from\":true,\"to\":false,\"y\":1}]}",
			     strlen("{\"dev\":\"up0\",\"vm\":null,\"driver\":null,\"extra\":[1],"
				    "\"changed\":[{\"feature\":\"x\",\"from\":true,\"to\":false,\"y\":1}]}"),
			     &oc),
		     0);
	cr_assert_eq(oc.vm[0], '\0');
}

Test(offload, change_terminal_line)
{
	struct offload_change oc = { .ts_ns = 2500000000ULL, .dev = "up\x1b[0m", .driver = "veth",
				     .n = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	oc.c[0] = (struct vno_feature_change){ "tx-generic-segmentation", true, false };
	offload_change_print(f, &oc);
	fclose(f);
	/* A name from a capture cannot steer the terminal. */
	cr_assert_str_eq(buf, "OFFLOAD up\\x1b[0m (veth) at 2.500000 s: tx-generic-segmentation on -> off\n");
	free(buf);
}

/* Without ethtool notifications (a kernel before 5.6) every kept device is
 * read again each OFFWATCH_POLL_NS, and what differs from what was kept is
 * one change. On "lo", which every namespace has and anyone may read. */
static struct offload_change seen;
static unsigned n_seen;

static void on_change(struct offload_change *oc, void *ctx)
{
	(void)ctx;
	seen = *oc;
	n_seen++;
}

Test(offload, watch_reads_again_when_polling)
{
	struct offwatch *ow = offwatch__new(false);
	struct vno_iface lo = { .name = "lo", .ifindex = 1, .netns = 7 };
	struct offwatch_dev *d;
	__u64 t = 5 * OFFWATCH_POLL_NS;

	cr_assert_not_null(ow);
	cr_assert_str_eq(offwatch_how(ow), "a read every second");
	offwatch_sync(ow, &lo, NULL, 1);
	d = (struct offwatch_dev *)offwatch_find(ow, 7, 1);
	cr_assert_not_null(d);
	if (!d->fs.n) {
		offwatch__free(ow);
		cr_skip_test("lo answers no ETHTOOL_GFEATURES here");
	}
	n_seen = 0;
	offwatch_check(ow, t, on_change, NULL);
	cr_assert_eq(n_seen, 0, "read again unchanged: nothing said");
	/* Pretend the kept state was another: the next read disagrees. */
	d->fs.f[0].active = !d->fs.f[0].active;
	offwatch_check(ow, t + OFFWATCH_POLL_NS / 2, on_change, NULL);
	cr_assert_eq(n_seen, 0, "not read again before the period");
	offwatch_check(ow, t + OFFWATCH_POLL_NS, on_change, NULL);
	cr_assert_eq(n_seen, 1);
	cr_assert_str_eq(seen.dev, "lo");
	cr_assert_eq(seen.ifindex, 1);
	cr_assert_eq(seen.netns, 7);
	cr_assert_eq(seen.n, 1);
	cr_assert_str_eq(seen.c[0].name, d->fs.f[0].name);
	cr_assert_eq(seen.c[0].to, d->fs.f[0].active);
	cr_assert_neq(seen.c[0].from, seen.c[0].to);
	/* Gone from the set: forgotten. */
	offwatch_sync(ow, &lo, (const unsigned char *)"\1", 1);
	cr_assert_null(offwatch_find(ow, 7, 1));
	offwatch__free(ow);
}
