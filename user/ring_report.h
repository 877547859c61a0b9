/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a NIC driver says about its TX ring when it hangs: one table entry
 * per driver message (e1000e's "Detected Hardware Unit Hang", the
 * "Detected Tx Unit Hang" of e1000, igb, igc and ixgbe, i40e's and ice's
 * tx_timeout line, the kernel's NETDEV WATCHDOG line) read into one
 * structured record, and the assembler that joins a report the kernel log
 * hands out as one record with newlines or as several records.
 */
#ifndef VNO_RING_REPORT_H
#define VNO_RING_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Every number is -1 when the report does not give it. */
struct ring_report {
	char parser[16];	/* the table entry: "e1000e", "igb", …, "" when none */
	char driver[16];	/* the driver the message names, "" when it names none */
	int queue;
	long long head, tail;	/* the hardware's head and tail registers */
	long long next_to_use, next_to_clean;
	long long pending;	/* descriptors posted and not done: (tail - head) mod ring */
	long long ring_size;	/* the driver's default ring size used for the wrap */
	long long time_stamp, jiffies;	/* of the oldest buffer not cleaned, and now */
	long long waited_jiffies;	/* jiffies - time_stamp */
	long long waited_ms;	/* the same in ms with the kernel's HZ, -1 when HZ is unknown */
	long long status;	/* next_to_watch.status / desc.status */
	int written_back;	/* the descriptor-done bit of status: 1, 0, -1 unknown */
	long long mac_status, phy_status, pci_status;
	long long timeout_ms;	/* the watchdog's "timed out N ms" */
	int lines;		/* lines the report was read from */
};

void ring_report_init(struct ring_report *r);
/* True when the report says something about the ring itself. */
bool ring_report_has_ring(const struct ring_report *r);

/*
 * Read a whole report (its lines joined by '\n', or flattened with spaces
 * as kmsg_hit.msg has it). @hz > 0 gives waited_ms. Returns 1 when the
 * first line is one of the table's, 0 when it is not (@r then empty).
 */
int ring_report_parse(const char *text, long hz, struct ring_report *r);

/* The table, for tests and `doctor`. */
size_t ring_parser_count(void);
const char *ring_parser_name(size_t i);

/* A report arriving in pieces: bounded in lines and in time. */
#define RING_ASM_LINES 32
#define RING_ASM_MS 1000
#define RING_ASM_TEXT 4096

struct ring_asm {
	int parser;		/* table index, -1 when nothing is open */
	int lines;
	__u64 start_ms;
	bool complete;
	size_t len;
	char text[RING_ASM_TEXT];
};

void ring_asm_init(struct ring_asm *a);
/*
 * A record that may start a report. Returns -1 when it starts none (the
 * assembler is left closed), 1 when it is a whole report already, 0 when
 * the rest should follow in later records.
 */
int ring_asm_start(struct ring_asm *a, const char *text, __u64 now_ms);
/*
 * A later record while a report is open: 1 when it belongs to it and
 * completes it, 0 when it belongs to it and more may follow, -1 when it is
 * not part of it. The report stays open then: other records are logged in
 * between (other devices, the bridge, a driver's own pr_cont), and the
 * caller closes it (ring_asm_take) when the record is a new hang.
 */
int ring_asm_more(struct ring_asm *a, const char *text, __u64 now_ms);
bool ring_asm_open(const struct ring_asm *a);
/* Open for longer than RING_ASM_MS. */
bool ring_asm_expired(const struct ring_asm *a, __u64 now_ms);
/* Read what was assembled and close the assembler. */
void ring_asm_take(struct ring_asm *a, long hz, struct ring_report *r);

/* CONFIG_HZ of the running kernel from /proc/config.gz or
 * /boot/config-$(uname -r); 0 when neither says. Read once. */
long ring_kernel_hz(void);

/* "TX ring stuck: 51 descriptors pending, oldest for 1626 jiffies (6504
 * ms), never written back"; "" when the report says nothing of the ring. */
void ring_report_sentence(const struct ring_report *r, char *buf, size_t len);

#endif
