/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The terminal form of one frame record. */
#ifndef VNO_PRINT_H
#define VNO_PRINT_H

#include <stdio.h>
#include "vno.h"

/* One line; times relative to t0_ns. */
void print_frame(FILE *out, const struct vno_event *ev, __u64 t0_ns);

#endif
