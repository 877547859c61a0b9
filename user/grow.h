/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An array that doubles as it fills. */
#ifndef VNO_GROW_H
#define VNO_GROW_H

#include <stdlib.h>

/* @v made to hold @need elements of @size bytes, doubling from 8: the array
 * to use from now on (@v itself when it already fits, *@cap updated), or
 * NULL when out of memory, with @v and *@cap as they were. */
static inline void *array_grow(void *v, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return v;
	while (c < need)
		c *= 2;
	p = realloc(v, c * size);
	if (p)
		*cap = c;
	return p;
}

#endif
