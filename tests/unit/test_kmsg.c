// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Hang lines from the kernel log, as /dev/kmsg hands them out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include "kmsg.h"

static const char *const watched[] = { "eno1", "eth0", "eth1", "enp59s0f0" };
#define N_WATCHED ((int)(sizeof(watched) / sizeof(watched[0])))

static void fini(void)
{
	kmsg_patterns_free();
}

TestSuite(kmsg, .fini = fini);

static struct kmsg_hit must_hit(const char *line, const char *dev, int queue, const char *pattern)
{
	struct kmsg_hit h;
	int rc = kmsg_match(line, watched, N_WATCHED, &h);

	cr_assert_eq(rc, 1, "no hit for: %s", line);
	cr_assert_str_eq(h.dev, dev);
	cr_assert_eq(h.queue, queue, "queue %d, want %d", h.queue, queue);
	cr_assert_str_eq(h.pattern, pattern);
	return h;
}

static void must_miss(const char *line)
{
	struct kmsg_hit h;

	cr_assert_eq(kmsg_match(line, watched, N_WATCHED, &h), 0, "unexpected hit: %s", line);
}

Test(kmsg, e1000e_hardware_unit_hang)
{
	/* e1000_print_hw_hang(): one record, newlines escaped by /dev/kmsg. */
	struct kmsg_hit h = must_hit(
		"3,1182,512345678,-;e1000e 0000:00:19.0 eno1: Detected Hardware Unit Hang:\\x0a"
		"  TDH                  <6b>\\x0a  TDT                  <8a>\\x0a"
		"  next_to_use          <8a>\\x0a  next_to_clean        <6a>\\x0a"
		"buffer_info[next_to_clean]:\\x0a  time_stamp           <1000a8c2a>\\x0a"
		"  next_to_watch        <6b>\\x0a  jiffies              <1000a8f80>\\x0a"
		"  next_to_watch.status <0>\\x0aMAC Status             <80083>\\x0a"
		"PHY Status             <796d>\\x0aPHY 1000BASE-T Status  <3800>\\x0a"
		"PHY Extended Status    <3000>\\x0aPCI Status             <10>\n",
		"eno1", -1, "e1000e_hw_hang");

	cr_assert_eq(h.seq, 1182);
	cr_assert_eq(h.ts_usec, 512345678ull);
	cr_assert_eq(h.level, 3);
	/* Escapes undone, newlines read as spaces, no control bytes left. */
	cr_assert_not_null(strstr(h.msg, "Unit Hang:   TDH"));
	cr_assert_null(strchr(h.msg, '\n'));
	cr_assert_null(strstr(h.msg, "\\x0a"));
}

/* One line, one hit: the built-in patterns on the lines each driver logs.
 * Criterion copies parameters into each test's own process: arrays, not
 * pointers. */
struct hit_case {
	char line[256], dev[16], pattern[32];
	int queue;
};

ParameterizedTestParameters(kmsg, builtin_hits)
{
	static struct hit_case cases[] = {
		{ "3,1190,517000001,-;e1000e 0000:00:19.0 eno1: Reset adapter unexpectedly\n",
		  "eno1", "e1000e_reset", -1 },
		/* WARN_ONCE in older dev_watchdog(), with and without "ms". */
		{ "4,1201,520000000,-;NETDEV WATCHDOG: eno1 (e1000e): transmit queue 0 timed out",
		  "eno1", "netdev_watchdog", 0 },
		{ "4,1201,520000000,c;NETDEV WATCHDOG: eth1 (virtio_net): transmit queue 3 "
		  "timed out 5440 ms",
		  "eth1", "netdev_watchdog", 3 },
		/* netdev_crit() in newer dev_watchdog(). */
		{ "2,1300,530000000,-;e1000e 0000:00:19.0 eno1: NETDEV WATCHDOG: CPU: 3: "
		  "transmit queue 0 timed out 5120 ms",
		  "eno1", "netdev_watchdog", 0 },
		{ "3,900,40000000,-;virtio_net virtio0 eth0: TX timeout on queue: 1, sq: output.1, "
		  "vq: 0x3, name: output.1, 5000000 usecs ago",
		  "eth0", "virtio_net_tx_timeout", 1 },
		/* e1000's Tx Unit Hang, with its queue line and without. */
		{ "3,77,1000,-;e1000 0000:00:03.0 eth1: Detected Tx Unit Hang\\x0a"
		  "  Tx Queue             <2>\\x0a  TDH                  <5f>\\x0a",
		  "eth1", "tx_unit_hang", 2 },
		{ "3,78,1001,-;e1000 0000:00:03.0 eth1: Detected Tx Unit Hang", "eth1",
		  "tx_unit_hang", -1 },
	};

	return cr_make_param_array(struct hit_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct hit_case *c, kmsg, builtin_hits)
{
	must_hit(c->line, c->dev, c->queue, c->pattern);
}

Test(kmsg, plain_dmesg_lines_match_too)
{
	struct kmsg_hit h = must_hit("e1000e 0000:00:19.0 eno1: Detected Hardware Unit Hang:", "eno1",
				     -1, "e1000e_hw_hang");

	cr_assert_eq(h.seq, 0);
	cr_assert_eq(h.level, -1);
}

Test(kmsg, ordinary_lines_do_not_match)
{
	must_miss("6,1100,500000000,-;e1000e 0000:00:19.0 eno1: NIC Link is Up 1000 Mbps Full "
		  "Duplex, Flow Control: Rx/Tx");
	must_miss("6,1101,500000100,-;br0: port 2(tap101i0) entered forwarding state");
	must_miss("4,1102,500000200,-;------------[ cut here ]------------");
	must_miss("6,1103,500000300,-;virtio_net virtio0 eth0: renamed from ens3");
	/* Dictionary continuation lines of a matching record. */
	must_miss(" SUBSYSTEM=pci");
	must_miss(" DEVICE=+pci:0000:00:19.0");
	must_miss("");
}

Test(kmsg, unwatched_device_is_ignored)
{
	struct kmsg_hit h;
	const char *line = "3,1182,512345678,-;e1000e 0000:00:1f.6 eno2: Detected Hardware Unit Hang:";

	must_miss(line);
	must_miss("4,1,2,-;NETDEV WATCHDOG: eth0.100 (8021q): transmit queue 0 timed out");
	/* With no watch list every device counts. */
	cr_assert_eq(kmsg_match(line, NULL, 0, &h), 1);
	cr_assert_str_eq(h.dev, "eno2");
}

Test(kmsg, bad_arguments)
{
	struct kmsg_hit h;

	cr_assert_eq(kmsg_match(NULL, watched, N_WATCHED, &h), -EINVAL);
	cr_assert_eq(kmsg_match("x", watched, N_WATCHED, NULL), -EINVAL);
	cr_assert_eq(kmsg_match("x", NULL, 2, &h), -EINVAL);
}

Test(kmsg, user_pattern_with_groups)
{
	char err[256];

	cr_assert_eq(kmsg_add_pattern("([a-z0-9]+): tx ring ([0-9]+) stuck", err, sizeof(err)), 0);
	must_hit("3,5,6,-;mlx5_core 0000:3b:00.0 enp59s0f0: tx ring 7 stuck", "enp59s0f0", 7,
		 "user1");
	/* Group names an unwatched device: no hit. */
	must_miss("3,5,6,-;foo ens9: tx ring 7 stuck");
}

Test(kmsg, user_pattern_without_group_takes_a_watched_name)
{
	char err[256];
	struct kmsg_hit h;

	cr_assert_eq(kmsg_add_pattern("TX timeout detected", err, sizeof(err)), 0);
	must_hit("3,5,6,-;mlx5_core 0000:3b:00.0 enp59s0f0: TX timeout detected", "enp59s0f0", -1,
		 "user1");
	/* The name must appear as a word: eno1 is not in eno10. */
	must_miss("3,5,6,-;mlx5_core 0000:3b:00.0 eno10: TX timeout detected");
	must_miss("3,5,6,-;mlx5_core 0000:3b:00.0: TX timeout detected");
	/* Without a watch list the hang is reported without a device. */
	cr_assert_eq(kmsg_match("3,5,6,-;mlx5_core 0000:3b:00.0: TX timeout detected", NULL, 0, &h),
		     1);
	cr_assert_str_eq(h.dev, "");
	/* Built-ins are tried first. */
	must_hit("3,1190,5,-;e1000e 0000:00:19.0 eno1: Reset adapter unexpectedly", "eno1", -1,
		 "e1000e_reset");
}

Test(kmsg, user_pattern_errors)
{
	char err[256] = "";
	int i;

	cr_assert_eq(kmsg_add_pattern("(unclosed", err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "(unclosed"), "err: %s", err);
	cr_assert_eq(kmsg_add_pattern("", err, sizeof(err)), -EINVAL);
	for (i = 0; i < KMSG_USER_PATTERNS_MAX; i++)
		cr_assert_eq(kmsg_add_pattern("hang", err, sizeof(err)), 0);
	cr_assert_eq(kmsg_add_pattern("hang", err, sizeof(err)), -ENOSPC);
}

/* Nested {n} bounds multiply what regcomp builds; such a pattern is refused
 * with a sentence, before it is compiled, while ordinary bounds pass. */
Test(kmsg, user_pattern_size)
{
	static const char *const big[] = {
		"((.{99}){99}){99}", "(a{70}){70}", "x{5000}", "[]a-z{}]{99}{99}",
		"((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))",
		"90ut++++++++++++++++++++++++++++++++++ap0", "(a+){3000}", "a{,9999}",
		"(a{,70}){,70}", "m[^&]()++++++++++++++++s ", "(()){70}{70}",
		"#+3,1182,512345678,-;++*++++++++++", "(a*){600}", "(a|b*){800}", "a{0,1000}",
	};
	static const char *const fine[] = {
		"([^ :]+): tx ring ([0-9]+) stuck", "(ab|cd){2,4}", "[[:alpha:]]{1,64} hung",
		"a{,3}", "x\\{9999}", "eth[0-9]{1,3}: reset{0}", "a+b+c+ (x+)+ hung",
		"^.*ixgbe [0-9a-f:.]+ ([^ :]+): Detected Tx Unit Hang.*Tx Queue +<([0-9]+)>",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		err[0] = 0;
		cr_assert_eq(kmsg_add_pattern(big[i], err, sizeof(err)), -E2BIG, "%s", big[i]);
		cr_assert_not_null(strstr(err, "bounds"), "err: %s", err);
	}
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		cr_assert_eq(kmsg_add_pattern(fine[i], err, sizeof(err)), 0, "%s: %s", fine[i], err);
	kmsg_patterns_free();
}

/* A fake sysfs with PCI function 0000:02:00.1 behind enp59s0f0 (watched)
 * and 0000:02:00.0 behind enp59s0f1 (not watched). */
static char *fake_sysfs(void)
{
	static char root[] = "/tmp/vno-kmsg-sysfs.XXXXXX";
	char cmd[512];

	cr_assert_not_null(mkdtemp(root));
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/bus/pci/devices/0000:02:00.1/net/enp59s0f0 "
		 "%s/bus/pci/devices/0000:02:00.0/net/enp59s0f1",
		 root, root);
	cr_assert_eq(system(cmd), 0);
	kmsg_set_sysfs(root);
	return root;
}

static void drop_sysfs(const char *root)
{
	char cmd[512];

	kmsg_set_sysfs(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_expect_eq(system(cmd), 0);
}

Test(kmsg, igb_bus_id_is_looked_up_in_sysfs)
{
	/* igb_clean_tx_irq(): dev_err() on the PCI function, no interface
	 * name in the line (https://github.com/luigirizzo/netmap/issues/261). */
	char *root = fake_sysfs();
	struct kmsg_hit h;

	must_hit("3,77,1649015145,-;igb 0000:02:00.1: Detected Tx Unit Hang\\x0a"
		 "  Tx Queue             <0>\\x0a  TDH                  <0>\\x0a",
		 "enp59s0f0", 0, "tx_unit_hang");
	/* The report's first line alone, as several records log it. */
	must_hit("igb 0000:02:00.1: Detected Tx Unit Hang", "enp59s0f0", -1, "tx_unit_hang");
	/* A function whose interface is not watched, and one not here. */
	must_miss("igb 0000:02:00.0: Detected Tx Unit Hang");
	must_miss("igb 0000:09:00.0: Detected Tx Unit Hang");
	/* Watching every device: the interface, or the bus id when sysfs
	 * has none (a capture read on another machine). */
	cr_assert_eq(kmsg_match("igb 0000:02:00.0: Detected Tx Unit Hang", NULL, 0, &h), 1);
	cr_assert_str_eq(h.dev, "enp59s0f1");
	cr_assert_eq(kmsg_match("igb 0000:09:00.0: Detected Tx Unit Hang", NULL, 0, &h), 1);
	cr_assert_str_eq(h.dev, "0000:09:00.0");
	/* A driver that names its interface is not looked up. */
	must_hit("ixgbe 0000:02:00.1 eth1: Detected Tx Unit Hang", "eth1", -1, "tx_unit_hang");
	drop_sysfs(root);
}

Test(kmsg, builtin_table_is_listed)
{
	size_t i;

	cr_assert_geq(kmsg_builtin_count(), 5);
	for (i = 0; i < kmsg_builtin_count(); i++) {
		cr_assert_not_null(kmsg_builtin_name(i));
		cr_assert_not_null(kmsg_builtin_regex(i));
	}
	cr_assert_null(kmsg_builtin_name(kmsg_builtin_count()));
}

struct lines {
	int n;
	char got[8][256];
};

static int collect(const char *line, void *ctx)
{
	struct lines *l = ctx;

	if (l->n < 8)
		snprintf(l->got[l->n], sizeof(l->got[0]), "%s", line);
	l->n++;
	return 0;
}

static void append(const char *path, const char *s)
{
	FILE *f = fopen(path, "a");

	cr_assert_not_null(f);
	fputs(s, f);
	fclose(f);
}

Test(kmsg, reader_starts_at_the_end_and_splits_records)
{
	char path[] = "/tmp/vno-kmsg-XXXXXX";
	struct kmsg_watch *w;
	struct lines l = { 0 };
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	append(path, "3,1,1,-;e1000e 0000:00:19.0 eno1: Detected Hardware Unit Hang:\n");
	w = kmsg_watch__open_path(path);
	cr_assert_not_null(w);
	cr_assert_geq(kmsg_watch__fd(w), 0);
	cr_assert(fcntl(kmsg_watch__fd(w), F_GETFL) & O_NONBLOCK);

	/* Logged before the start: never seen. */
	cr_assert_eq(kmsg_watch__read(w, collect, &l), 0);

	append(path, "6,2,2,-;br0: port 1(tap0) entered forwarding state\n SUBSYSTEM=net\n"
		     " DEVICE=n5\n3,3,3,-;e1000e 0000:00:19.0 eno1: Reset adap");
	cr_assert_eq(kmsg_watch__read(w, collect, &l), 1);
	cr_assert_str_eq(l.got[0], "6,2,2,-;br0: port 1(tap0) entered forwarding state");
	/* The partial line is held until its end arrives. */
	append(path, "ter unexpectedly\n");
	cr_assert_eq(kmsg_watch__read(w, collect, &l), 1);
	cr_assert_str_eq(l.got[1], "3,3,3,-;e1000e 0000:00:19.0 eno1: Reset adapter unexpectedly");
	cr_assert_eq(l.n, 2);
	cr_assert_eq(kmsg_watch__lost(w), 0);

	kmsg_watch__free(w);
	kmsg_watch__free(NULL);
	unlink(path);
}

static int stop_at_first(const char *line, void *ctx)
{
	(*(int *)ctx)++;
	return -ECANCELED;
}

Test(kmsg, reader_callback_can_stop)
{
	char path[] = "/tmp/vno-kmsg-XXXXXX";
	struct kmsg_watch *w;
	int fd = mkstemp(path), calls = 0;

	cr_assert_geq(fd, 0);
	close(fd);
	w = kmsg_watch__open_path(path);
	cr_assert_not_null(w);
	append(path, "a\nb\n");
	cr_assert_eq(kmsg_watch__read(w, stop_at_first, &calls), -ECANCELED);
	cr_assert_eq(calls, 1);
	kmsg_watch__free(w);
	unlink(path);
}

Test(kmsg, open_errors)
{
	errno = 0;
	cr_assert_null(kmsg_watch__open_path("/nonexistent/kmsg"));
	cr_assert_eq(errno, ENOENT);
	cr_assert_null(kmsg_watch__open_path(NULL));
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(kmsg_watch__read(NULL, collect, NULL), -EINVAL);
}

Test(kmsg, dev_kmsg_opens_nonblocking)
{
	struct kmsg_watch *w = kmsg_watch__open();
	int rc;

	if (!w)
		cr_skip_test("/dev/kmsg not readable here: %s", strerror(errno));
	cr_assert(fcntl(kmsg_watch__fd(w), F_GETFL) & O_NONBLOCK);
	/* At the end already: returns at once, whatever the log holds. */
	rc = kmsg_watch__read(w, NULL, NULL);
	cr_assert_geq(rc, 0);
	kmsg_watch__free(w);
}
