// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --force writes only through a regular file of our own (a FIFO must not
 * block, another user's file must not keep its owner), and the kernel-log
 * reader hands its read errors back so they are counted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capture.h"
#include "kmsg.h"

static char dir[] = "/tmp/vno-force-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(force, .init = setup, .fini = teardown);

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* A FIFO with no reader: refused at once, not a writer blocked forever
 * (Criterion's timeout catches a hang). */
Test(force, fifo_refused_without_blocking, .timeout = 5)
{
	struct capture_opts o = { .force = true };
	char p[256];

	path_of(p, sizeof(p), "fifo.pcapng");
	cr_assert_eq(mkfifo(p, 0600), 0);
	errno = 0;
	cr_assert_null(capture_writer__new(p, NULL, &o));
	cr_assert_eq(errno, CAPTURE_E_NOT_REGULAR, "errno %d (%s)", errno, strerror(errno));
}

/* The same with a reader waiting on it: still not written through. */
Test(force, fifo_with_reader_refused, .timeout = 5)
{
	struct capture_opts o = { .force = true };
	char p[256];
	int rd;

	path_of(p, sizeof(p), "fifo2.pcapng");
	cr_assert_eq(mkfifo(p, 0600), 0);
	rd = open(p, O_RDONLY | O_NONBLOCK);
	cr_assert_geq(rd, 0);
	errno = 0;
	cr_assert_null(capture_writer__new(p, NULL, &o));
	cr_assert_eq(errno, CAPTURE_E_NOT_REGULAR);
	close(rd);
}

/* Pre-created by someone else: refused, left as it was. Needs root to
 * give the file away. */
Test(force, foreign_owner_refused)
{
	struct capture_opts o = { .force = true };
	struct stat st;
	char p[256];
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root to create a file owned by another user");
	path_of(p, sizeof(p), "theirs.pcapng");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "theirs", 6), 6);
	cr_assert_eq(fchown(fd, 65534, 65534), 0);
	close(fd);
	errno = 0;
	cr_assert_null(capture_writer__new(p, NULL, &o));
	cr_assert_eq(errno, CAPTURE_E_NOT_OWNER);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_size, 6, "the other user's file was truncated");
	cr_assert_eq(st.st_uid, 65534);
}

/* Our own file: overwritten, truncated, made 0600. */
Test(force, own_file_overwritten)
{
	struct capture_opts o = { .force = true };
	struct capture_writer *w;
	struct stat st;
	char p[256], big[8192];
	int fd;

	path_of(p, sizeof(p), "mine.pcapng");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0);
	memset(big, 'x', sizeof(big));
	cr_assert_eq(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	close(fd);
	w = capture_writer__new(p, NULL, &o);
	cr_assert_not_null(w, "%s", strerror(errno));
	cr_assert_eq(capture_writer__close(w), 0);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_lt(st.st_size, (off_t)sizeof(big));
	cr_assert_eq(st.st_mode & 07777, 0600);
	/* And its name's directory is writable here. */
	cr_assert_eq(capture_dir_writable(p), 0);
}

/* A read error comes back as -errno (the runner counts it and says it),
 * not swallowed as "nothing to read". */
Test(force, kmsg_read_error_returned)
{
	struct kmsg_watch *w = kmsg_watch__open_path(dir);

	cr_assert_not_null(w);
	cr_assert_lt(kmsg_watch__read(w, NULL, NULL), 0);
	cr_assert_eq(kmsg_watch__lost(w), 0);
	kmsg_watch__free(w);
}
