// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON writer: separators, nesting, escaping, lines and inline values. */
#include <math.h>
#include <stdlib.h>
#include <criterion/criterion.h>
#include "json_writer.h"

static char *buf;
static size_t len;
static FILE *f;

static void setup(void)
{
	f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
}

static void teardown(void)
{
	if (f)
		fclose(f);
	free(buf);
}

static const char *text(void)
{
	fflush(f);
	return buf;
}

static void two_fields(FILE *out, const void *arg)
{
	fprintf(out, "\"a\":%d,\"b\":2", *(const int *)arg);
}

TestSuite(json_writer, .init = setup, .fini = teardown);

Test(json_writer, nested_line)
{
	struct jw w;
	int one = 1;

	jw_init(&w, f);
	jw_object(&w);
	jw_kstr(&w, "type", "hang");
	jw_ku64(&w, "n", 18446744073709551615ull);
	jw_ki64(&w, "q", -1);
	jw_kdouble(&w, "lift", 26.04, 1);
	jw_kdouble(&w, "nan", NAN, 1);
	jw_kbool(&w, "ok", true);
	jw_knull(&w, "origin");
	jw_kstr(&w, "vm", NULL);
	jw_karray(&w, "list");
	jw_u64(&w, 1);
	jw_object(&w);
	jw_end(&w);
	jw_array(&w);
	jw_end(&w);
	jw_str(&w, "x");
	jw_end(&w);
	jw_kobject(&w, "frame");
	jw_fields(&w, two_fields, &one);
	jw_kstr(&w, "dev", "tap\"0\n");
	jw_end(&w);
	jw_end(&w);
	cr_assert_str_eq(text(),
			 "{\"type\":\"hang\",\"n\":18446744073709551615,\"q\":-1,\"lift\":26.0,"
			 "\"nan\":null,\"ok\":true,\"origin\":null,\"vm\":null,"
			 "\"list\":[1,{},[],\"x\"],\"frame\":{\"a\":1,\"b\":2,\"dev\":\"tap\\\"0\\n\"}}\n");
}

Test(json_writer, lines_and_inline)
{
	struct jw w;

	jw_init(&w, f);
	jw_object(&w);
	jw_ku64(&w, "a", 1);
	jw_end(&w);
	jw_object(&w);
	jw_end(&w);
	jw_init_inline(&w, f);
	jw_array(&w);
	jw_str(&w, "\x01");
	jw_end(&w);
	/* A stray end at depth 0 writes nothing. */
	jw_end(&w);
	cr_assert_str_eq(text(), "{\"a\":1}\n{}\n[\"\\u0001\"]");
}
