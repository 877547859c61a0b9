// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the drivers' hang reports (user/ring_report.c): the
 * input is read whole (ring_report_parse), then record by record through
 * the assembler with each line one record, the first byte giving HZ. A
 * report must be sound: every number -1 or above, pending below the ring
 * when it wrapped, waited_ms only with HZ, strings terminated, the
 * assembler within its line bound, the sentence terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring_report.h"

static void check(const struct ring_report *r, long hz)
{
	const long long v[] = { r->head, r->tail, r->next_to_use, r->next_to_clean, r->pending,
				r->ring_size, r->time_stamp, r->jiffies, r->waited_jiffies,
				r->waited_ms, r->status, r->mac_status, r->phy_status,
				r->pci_status, r->timeout_ms };
	char s[256];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] < -1)
			abort();
	if (r->queue < -1 || r->queue > 0xFFFF || r->written_back < -1 || r->written_back > 1)
		abort();
	if (strnlen(r->parser, sizeof(r->parser)) == sizeof(r->parser) ||
	    strnlen(r->driver, sizeof(r->driver)) == sizeof(r->driver))
		abort();
	if (r->tail >= 0 && r->head > r->tail && r->pending >= r->ring_size && r->pending >= 0)
		abort();
	if (r->waited_ms >= 0 && hz <= 0)
		abort();
	ring_report_sentence(r, s, sizeof(s));
	if (strnlen(s, sizeof(s)) == sizeof(s))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long hzs[] = { 0, 100, 250, 300, 1000 };
	struct ring_report r;
	struct ring_asm a;
	char *s, *line, *next;
	long hz;
	int n = 0;

	if (!size)
		return 0;
	hz = hzs[data[0] % 5];
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (ring_report_parse(s, hz, &r) == 1)
		check(&r, hz);
	ring_asm_init(&a);
	for (line = s; line; line = next) {
		int rc;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rc = ring_asm_open(&a) ? ring_asm_more(&a, line, (__u64)n * 100)
				       : ring_asm_start(&a, line, (__u64)n * 100);
		if (a.lines > RING_ASM_LINES + 1 || a.len >= sizeof(a.text))
			abort();
		if (rc == 1 || (rc < 0 && ring_asm_open(&a) && n % 7 == 6)) {
			ring_asm_take(&a, hz, &r);
			check(&r, hz);
		}
		n++;
	}
	ring_asm_take(&a, hz, &r);
	check(&r, hz);
	free(s);
	return 0;
}
