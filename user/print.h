/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The terminal form of one frame record, and of any text from a capture. */
#ifndef VNO_PRINT_H
#define VNO_PRINT_H

#include <stdio.h>
#include "vno.h"

/*
 * @s made safe to print on a terminal, into @buf (@len bytes, always
 * terminated); returns @buf. Control characters (C0, DEL, the C1 controls
 * U+0080..U+009F) and bytes that are not UTF-8 become the text \xNN, so a
 * device name, command line or kernel message from a capture can neither
 * move the cursor, recolour, retitle nor forge a line. Text that does not
 * fit is cut at a character and ends with "…". Every string from a capture
 * or the kernel passes here before it reaches a terminal.
 */
const char *term_str(char *buf, size_t len, const char *s);
/* Room for @n bytes of text made safe: four bytes each at worst. */
#define TERM_STR_LEN(n) (4 * (n) + 1)

/* One line; times relative to t0_ns. */
void print_frame(FILE *out, const struct vno_event *ev, __u64 t0_ns);
struct vno_iface;
/* What the pipeline knows of a frame beyond its record; NULL or "" each
 * when it knows nothing. */
struct frame_extra {
	const char *vm;			/* rx hop: the VM behind the tap */
	const struct vno_iface *origin;	/* a later hop: the device it entered on */
	const char *detail;		/* the first rule tripped, with its numbers */
	const char *cause;		/* a drop the numbers explain */
};
/* The JSON line of a frame with "vm", "origin" and "origin_vm",
 * "anomaly_detail", "drop_cause" from @x. json_frame() is the line
 * without them. */
void json_frame_from(FILE *out, const struct vno_event *ev, const struct frame_extra *x);

#endif
