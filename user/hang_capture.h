/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A hang into a capture file: the "hang" note (the diagnosis) that record
 * adds to its -w file and report diagnoses again, and export's --hang-dir
 * writer, one file per hang with the frames of its window.
 */
#ifndef VNO_HANG_CAPTURE_H
#define VNO_HANG_CAPTURE_H

#include <stdbool.h>
#include <stdio.h>
#include "capture.h"
#include "diagnose.h"
#include "session.h"

/* The "hang" note of @dg: its JSON line (without the newline) and "hang on
 * DEV (SOURCE): VERDICT" as the comment. 0 or -errno. */
int hang_capture_note(struct capture_writer *w, const struct vno_diagnosis *dg);

/* --hang-dir DIR: 0 when it is a directory this process can write into,
 * else -errno (-ENOTDIR for something else). */
int hang_dir_check(const char *dir);

struct hang_dir {
	const char *dir;
	const struct vno_session *sess;	/* the session block of each file */
	const char *drop_reasons;	/* the kernel's drop reason names (JSON), or NULL */
	FILE *out;			/* where each file written is said */
	bool json;			/* ... as a {"type":"hang_capture"} line */
};

/*
 * DIR/hang-DEV-YYYYmmddTHHMMSS.mmmZ.pcapng.gz: the frames of @dg's window
 * and the diagnosis as a "hang" note, then the file said on hd->out. A
 * file that cannot be written is a warning on stderr, not an error: the
 * diagnosis itself is out already.
 */
void hang_dir_write(const struct hang_dir *hd, const struct vno_diagnosis *dg);

#endif
