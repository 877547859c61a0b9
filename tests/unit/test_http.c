// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * http: the listening socket says whether only this host can reach it
 * (export warns otherwise), and export takes --web.config.file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "http.h"
#include "export.h"
#include "prom.h"

static void listen_on(const char *host, bool want_loopback)
{
	char bound[80] = "", err[256] = "";
	bool loopback = !want_loopback;
	int fd = http_listen(host, 0, bound, sizeof(bound), &loopback, err, sizeof(err));

	cr_assert_geq(fd, 0, "'%s': %s", host, err);
	cr_assert_eq(loopback, want_loopback, "'%s' bound as %s: loopback %d", host, bound, loopback);
	close(fd);
}

Test(http, loopback_or_not)
{
	listen_on("127.0.0.1", true);
	listen_on("127.0.0.5", true);
	listen_on("localhost", true);
	listen_on("", false);		/* --listen :PORT, every address */
	listen_on("0.0.0.0", false);
}

Test(http, listen_errors_are_one_sentence)
{
	char bound[80], err[256] = "";
	bool lo;

	cr_assert_lt(http_listen("no-such-host.invalid", 0, bound, sizeof(bound), &lo, err,
				 sizeof(err)), 0);
	cr_assert(strstr(err, "no-such-host.invalid"), "%s", err);
	cr_assert(!strchr(err, '\n'));
}

Test(http, export_web_config_option)
{
	char *ok[] = { "export", "--web.config.file", "/etc/vno/web.yml", NULL };
	char *empty[] = { "export", "--web.config.file", "", NULL };
	char *none[] = { "export", "--web.config.file", NULL };
	struct export_opts o;
	char err[256] = "";

	cr_assert_eq(export_parse_args(3, ok, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(o.web_config, "/etc/vno/web.yml");
	export_opts_free(&o);
	cr_assert_eq(export_parse_args(3, empty, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "--web.config.file"), "%s", err);
	export_opts_free(&o);
	cr_assert_eq(export_parse_args(2, none, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "web.config.file"), "%s", err);
	export_opts_free(&o);
	cr_assert_eq(export_parse_args(1, ok, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(o.web_config);
	export_opts_free(&o);
}
