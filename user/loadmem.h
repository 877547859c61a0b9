/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The heap while a session loads its programs (loadmem.c). */
#ifndef VNO_LOADMEM_H
#define VNO_LOADMEM_H

#include <stdbool.h>
#include <stddef.h>

/* Big allocations come from one heap region from now on, kept when freed
 * and advised for transparent huge pages. False when the allocator is not
 * glibc's (a sanitizer's: mallopt does nothing there), which changes
 * nothing but the time. */
bool loadmem_begin(void);
/* Back to glibc's defaults; the region's free memory goes back to the
 * kernel. Without a loadmem_begin() before, nothing. */
void loadmem_end(void);
/* Bytes of the region loadmem_begin() prepares. */
size_t loadmem_region_bytes(void);

#endif
