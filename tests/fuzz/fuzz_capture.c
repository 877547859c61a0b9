// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the capture reader (user/capture_read.c): `report` reads
 * files from anyone, so no input may crash it, make it allocate without
 * bound, or break the promises of capture_read().
 *
 * The input is the file, except when its first byte is 0x01 or 0x02 (no
 * pcapng or gzip file starts so): then the rest is wrapped in well-formed
 * blocks, so that mutations reach the inner parsers instead of dying at the
 * block length checks.
 *   0x01  the session metadata JSON: SHB + custom block "session" + "end"
 *   0x02  byte 1 = captured length (0..63), then bytes of packet data and
 *         EPB options: SHB + IDB (with the interface record of eno1, which
 *         a record of version 4 needs) + EPB
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"

static uint8_t *wrap;
static size_t wrap_len, wrap_cap;

static void w_bytes(const void *d, size_t n)
{
	if (wrap_len + n + 4 > wrap_cap) {
		wrap_cap = (wrap_len + n + 4) * 2;
		wrap = realloc(wrap, wrap_cap);
		if (!wrap)
			abort();
	}
	memcpy(wrap + wrap_len, d, n);
	wrap_len += n;
}

static void w_u32(uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	w_bytes(b, 4);
}

static void w_u16(uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	w_bytes(b, 2);
}

static void w_pad(void)
{
	static const uint8_t z[4];

	w_bytes(z, -wrap_len & 3);
}

static size_t w_begin(uint32_t type)
{
	size_t start = wrap_len;

	w_u32(type);
	w_u32(0);
	return start;
}

static void w_end(size_t start)
{
	uint32_t total = (uint32_t)(wrap_len - start + 4);

	w_u32(total);
	memcpy(wrap + start + 4, &total, 4); /* the fuzzer runs little-endian */
}

static void w_shb(void)
{
	size_t b = w_begin(0x0A0D0D0A);

	w_u32(0x1A2B3C4D);
	w_u16(1);
	w_u16(0);
	w_u32(0xFFFFFFFF);
	w_u32(0xFFFFFFFF);
	w_u16(4); /* shb_userappl */
	w_u16(15);
	w_bytes("vnoffload-trace", 15);
	w_pad();
	w_u32(0);
	w_end(b);
}

static void w_custom(const char *kind, const uint8_t *d, size_t n)
{
	size_t b = w_begin(0x00000BAD), k = strlen(kind);

	w_u32(CAPTURE_PEN);
	w_bytes("VNOB", 4);
	w_u16(1);
	w_u16((uint16_t)k);
	w_u32((uint32_t)n);
	w_bytes(kind, k);
	w_bytes(d, n);
	w_pad();
	w_end(b);
}

static void build(const uint8_t *data, size_t size)
{
	size_t b;

	wrap_len = 0;
	w_shb();
	if (data[0] == 0x01) {
		w_custom("session", data + 1, size - 1);
		w_custom("end", (const uint8_t *)"{}", 2);
		return;
	}
	b = w_begin(1); /* IDB: Ethernet, the interface record */
	w_u16(1);
	w_u16(0);
	w_u32(0);
	w_u16(2989);
	w_u16(4 + 8 + 32);
	w_u32(CAPTURE_PEN);
	w_bytes("VNOI", 4);
	w_u16(1);
	w_u16(32);
	w_u32(1000); /* mono_to_real_ns */
	w_u32(0);
	w_u32(4026531840u);
	w_u32(2);
	w_bytes("eno1\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	w_u32(0);
	w_end(b);
	b = w_begin(6);
	w_u32(0);
	w_u32(0);
	w_u32(0);
	{
		uint32_t cap = size > 1 ? data[1] % 64u : 0;
		size_t rest = size > 2 ? size - 2 : 0;

		if (cap > rest)
			cap = (uint32_t)rest;
		w_u32(cap);
		w_u32(cap);
		w_bytes(data + 2, rest);
		w_pad();
	}
	w_end(b);
}

static int on_frame(const struct vno_event *ev, void *ctx)
{
	/* The reader's promise: cap_len bytes of data, zeros after them. */
	if (ev->f.cap_len > VNO_SNAP_MAX)
		abort();
	for (size_t i = ev->f.cap_len; i < VNO_SNAP_MAX; i++)
		if (ev->data[i])
			abort();
	return 0;
}

static int on_note(const char *kind, const char *json, void *ctx)
{
	/* Both are NUL-terminated: let ASan check. */
	return strlen(kind) + strlen(json) == (size_t)-1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct vno_session s = { 0 };
	struct capture_stats st;
	const uint8_t *file = data;
	size_t len = size;
	int ret;

	if (fd < 0) {
		fd = memfd_create("fuzz_capture", MFD_CLOEXEC);
		if (fd < 0)
			abort();
	}
	if (size && (data[0] == 0x01 || data[0] == 0x02)) {
		build(data, size);
		file = wrap;
		len = wrap_len;
	}
	if (ftruncate(fd, 0) || pwrite(fd, file, len, 0) != (ssize_t)len)
		abort();
	lseek(fd, 0, SEEK_SET);
	ret = capture_read_fd(fd, &s, on_frame, on_note, NULL, &st);
	/* -EINVAL and truncation come with a sentence; a clean read without. */
	if (ret == -EINVAL && !st.error[0])
		abort();
	if (ret == 0 && st.truncated != (st.error[0] != '\0'))
		abort();
	if (ret != 0 && ret != -EINVAL && ret != -ENOMEM)
		abort();
	if (s.n_ifaces > 4096 || (s.n_ifaces && !s.ifaces))
		abort();
	free(s.ifaces);
	return 0;
}
