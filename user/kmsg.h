/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel-log hang trigger: one table of hang messages (e1000e, the
 * kernel TX watchdog, virtio_net, ...) matched against /dev/kmsg records,
 * extendable with --hang-pattern, and a non-blocking reader for the
 * caller's epoll loop.
 */
#ifndef VNO_KMSG_H
#define VNO_KMSG_H

#include <stddef.h>
#include <linux/types.h>
#include "vno.h"

#define KMSG_MSG_MAX 512
#define KMSG_USER_PATTERNS_MAX 16
/* The largest --hang-pattern, in regex positions after {n} bounds and
 * repeats (see pattern_size in kmsg.c): regcomp stays under ~0.1 s. */
#define KMSG_PATTERN_SIZE_MAX 1024

struct kmsg_hit {
	char dev[VNO_IFNAMSIZ]; /* the hung interface, "" when the line names none */
	int queue;		/* TX queue, -1 when the line names none */
	char pattern[32];	/* "e1000e_hw_hang", …, "user1" for --hang-pattern */
	__u64 seq;		/* /dev/kmsg sequence number, 0 without a header */
	__u64 ts_usec;		/* kernel timestamp of the record, 0 without a header */
	int level;		/* syslog level 0..7, -1 without a header */
	char msg[KMSG_MSG_MAX];	/* the message, \xNN escapes undone, newlines as spaces */
};

/*
 * Match one /dev/kmsg record line ("pri,seq,ts_usec,flags;message"; a bare
 * message is accepted too) against the built-in patterns, then the user
 * ones. With @n > 0 only a line naming one of @watched counts. Returns 1
 * and fills @hit on a hang line, 0 otherwise (including dictionary
 * continuation lines, which start with a space), -EINVAL on bad arguments.
 */
int kmsg_match(const char *line, const char *const *watched, int n, struct kmsg_hit *hit);

/*
 * The message of one record line as the kernel logged it: \xNN escapes
 * undone, its newlines kept (a multi-line report is one record on most
 * drivers), other control characters as spaces. Returns 1, 0 for a
 * dictionary continuation or an empty line, -EINVAL on bad arguments.
 */
int kmsg_text(const char *line, char *out, size_t len);

/*
 * Add a --hang-pattern: POSIX extended regex, matched against the message.
 * Group 1, if any, is the device and group 2, if any, the queue; with no
 * group, the device is the watched interface whose name appears in the
 * line as a word. Returns 0, -EINVAL (with regerror's sentence in @err),
 * -E2BIG when its {n} bounds make it larger than KMSG_PATTERN_SIZE_MAX, or
 * -ENOSPC past KMSG_USER_PATTERNS_MAX.
 */
int kmsg_add_pattern(const char *regex, char *err, size_t errlen);
/* Forget the user patterns and release every compiled regex. */
void kmsg_patterns_free(void);

/* Where sysfs is (default /sys): a driver that names its PCI function
 * instead of its interface (igb's "Detected Tx Unit Hang") is looked up
 * under ROOT/bus/pci/devices/BUS/net/. For tests. */
void kmsg_set_sysfs(const char *root);

/* The built-in table, for `doctor` and the documentation. */
size_t kmsg_builtin_count(void);
const char *kmsg_builtin_name(size_t i);
const char *kmsg_builtin_regex(size_t i);

struct kmsg_watch;

/* Called for each new record line; return 0 to go on, < 0 to stop
 * kmsg_watch__read() with that value. */
typedef int (*kmsg_line_fn)(const char *line, void *ctx);

/*
 * Open /dev/kmsg non-blocking and positioned at its end, so lines logged
 * before the start do not fire. NULL and errno on failure (EPERM without
 * CAP_SYSLOG when dmesg_restrict is set).
 */
struct kmsg_watch *kmsg_watch__open(void);
/* The same on another file (a saved log, a test's file). */
struct kmsg_watch *kmsg_watch__open_path(const char *path);
/* For the caller's epoll set (EPOLLIN). */
int kmsg_watch__fd(const struct kmsg_watch *w);
/* Records lost because the kernel's buffer wrapped under us (EPIPE). */
__u64 kmsg_watch__lost(const struct kmsg_watch *w);
/*
 * Read every record available now and call @fn for each line that is not a
 * dictionary continuation. Returns the number of lines passed, or -errno.
 */
int kmsg_watch__read(struct kmsg_watch *w, kmsg_line_fn fn, void *ctx);
void kmsg_watch__free(struct kmsg_watch *w);

#endif
