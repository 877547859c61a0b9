// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * webconfig: the exporter toolkit's web configuration file as export reads
 * it (good files, bad YAML, missing or mismatched certificates, unknown
 * and unsupported fields, bad hashes: one sentence naming the file and the
 * field), and the credential check (bcrypt, its cache, its budget).
 */
#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "webconfig.h"

static char dir[64], crt[PATH_MAX], key[PATH_MAX], other[PATH_MAX];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vno-webconfig.XXXXXX");
	cr_assert(mkdtemp(dir));
	cr_assert(realpath("tests/fixtures/webconfig/test.crt", crt));
	cr_assert(realpath("tests/fixtures/webconfig/test.key", key));
	cr_assert(realpath("tests/fixtures/webconfig/other.key", other));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* @text (printf) as DIR/web.yml; its path. */
__attribute__((format(printf, 1, 2))) static const char *file(const char *fmt, ...)
{
	static char path[128];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/web.yml", dir);
	f = fopen(path, "w");
	cr_assert(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static const char *hash(const char *pw, int cost)
{
	static char out[128];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;

	memset(&cd, 0, sizeof(cd));
	cr_assert(crypt_gensalt_rn("$2y$", cost, NULL, 0, salt, sizeof(salt)));
	snprintf(out, sizeof(out), "%s", crypt_r(pw, salt, &cd));
	return out;
}

/* Loading @path fails with -EINVAL and a sentence holding each of @want. */
static void refused(const char *path, const char *want1, const char *want2)
{
	struct webconfig wc;
	char err[512] = "";

	cr_assert_eq(webconfig_load(path, &wc, err, sizeof(err)), -EINVAL, "accepted: %s", err);
	cr_assert(strstr(err, path), "the file is not named: %s", err);
	cr_assert(strstr(err, want1), "'%s' missing from: %s", want1, err);
	if (want2)
		cr_assert(strstr(err, want2), "'%s' missing from: %s", want2, err);
	cr_assert(!strchr(err, '\n'), "more than one line: %s", err);
	cr_assert_null(wc.users);
	cr_assert_null(wc.cert_pem);
	webconfig_free(&wc);
}

TestSuite(webconfig, .init = setup, .fini = teardown);

Test(webconfig, good_tls_and_users)
{
	struct webconfig wc;
	char err[512] = "", h2[128];

	snprintf(h2, sizeof(h2), "%s", hash("pw2", 4));
	const char *p = file("# a comment\n"
			     "tls_server_config:\n"
			     "  cert_file: %s\n"
			     "  key_file: '%s'\n"
			     "  client_auth_type: NoClientCert\n"
			     "basic_auth_users:\n"
			     "  prometheus: %s\n"
			     "  \"other\": '%s'\n",
			     crt, key, hash("pw1", 4), h2);

	cr_assert_eq(webconfig_load(p, &wc, err, sizeof(err)), 0, "%s", err);
	cr_assert(webconfig_tls(&wc));
	cr_assert(webconfig_auth(&wc));
	cr_assert_eq(wc.n_users, 2);
	cr_assert_str_eq(wc.users[0].name, "prometheus");
	cr_assert_str_eq(wc.users[1].name, "other");
	cr_assert_str_eq(wc.users[1].hash, h2);
	cr_assert(strstr(wc.cert_pem, "BEGIN CERTIFICATE"));
	cr_assert(strstr(wc.key_pem, "PRIVATE KEY"));
	cr_assert(strstr(wc.tls_priorities, "VERS-TLS1.2"));
	webconfig_free(&wc);
}

Test(webconfig, relative_paths_beside_the_file)
{
	struct webconfig wc;
	char err[512] = "", cmd[PATH_MAX * 2 + 128];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' '%s/'", crt, key, dir);
	cr_assert_eq(system(cmd), 0);
	const char *p = file("tls_server_config:\n  cert_file: test.crt\n  key_file: test.key\n"
			     "  min_version: TLS13\n");

	cr_assert_eq(webconfig_load(p, &wc, err, sizeof(err)), 0, "%s", err);
	cr_assert(webconfig_tls(&wc));
	cr_assert(!webconfig_auth(&wc));
	cr_assert(!strstr(wc.tls_priorities, "VERS-TLS1.2"));
	webconfig_free(&wc);
}

Test(webconfig, empty_file_configures_nothing)
{
	struct webconfig wc;
	char err[512] = "";

	cr_assert_eq(webconfig_load(file("%s", ""), &wc, err, sizeof(err)), 0, "%s", err);
	cr_assert(!webconfig_tls(&wc) && !webconfig_auth(&wc));
	webconfig_free(&wc);
	cr_assert_eq(webconfig_load(file("tls_server_config:\nbasic_auth_users:\n"), &wc, err,
				    sizeof(err)), 0, "%s", err);
	cr_assert(!webconfig_tls(&wc) && !webconfig_auth(&wc));
	webconfig_free(&wc);
}

Test(webconfig, no_file)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/none.yml", dir);
	refused(path, "cannot read it", "No such file");
}

Test(webconfig, bad_yaml)
{
	refused(file("basic_auth_users: [unclosed\n"), "not valid YAML", "line ");
	refused(file("tls_server_config:\n  cert_file: a\n key_file: b\n"), "not valid YAML", NULL);
	refused(file("- a list\n- not a mapping\n"), "want a mapping", NULL);
	refused(file("basic_auth_users: just text\n"), "basic_auth_users", "mapping");
}

Test(webconfig, missing_cert)
{
	refused(file("tls_server_config:\n  cert_file: /nonexistent/x.crt\n  key_file: %s\n", key),
		"tls_server_config.cert_file", "No such file");
	refused(file("tls_server_config:\n  key_file: %s\n", key), "tls_server_config.cert_file",
		"missing");
	refused(file("tls_server_config:\n  cert_file: %s\n", crt), "tls_server_config.key_file",
		"missing");
	refused(file("tls_server_config:\n  cert_file: %s\n  key_file: %s\n", crt, other),
		"do not load as a pair", NULL);
	/* A file that is no certificate. */
	refused(file("tls_server_config:\n  cert_file: /etc/hostname\n  key_file: %s\n", key),
		"tls_server_config.cert_file", "not PEM");
}

Test(webconfig, unknown_and_unsupported_fields)
{
	refused(file("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_user:\n"
		     "  a: b\n", crt, key), "basic_auth_user", "unknown field");
	refused(file("tls_server_config:\n  cert_file: %s\n  key_file: %s\n  certfile: x\n", crt,
		     key), "tls_server_config.certfile", "unknown field");
	refused(file("tls_server_config:\n  cert_file: %s\n  key_file: %s\n"
		     "  client_auth_type: RequireAndVerifyClientCert\n", crt, key),
		"tls_server_config.client_auth_type", "not supported");
	refused(file("tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_ca_file: ca\n",
		     crt, key), "tls_server_config.client_ca_file", "not supported");
	refused(file("http_server_config:\n  http2: false\n"), "http_server_config", "not supported");
	refused(file("tls_server_config:\n  cert_file: %s\n  key_file: %s\n  min_version: TLS10\n",
		     crt, key), "tls_server_config.min_version", "TLS10");
	refused(file("basic_auth_users:\n  a: %s\nbasic_auth_users:\n  b: %s\n", hash("x", 4),
		     hash("y", 4)), "basic_auth_users", "given twice");
}

Test(webconfig, bad_hash)
{
	char h[128];

	refused(file("basic_auth_users:\n  alice: notahash\n"), "basic_auth_users.alice",
		"not a bcrypt hash");
	refused(file("basic_auth_users:\n  alice: secret123\n"), "basic_auth_users.alice", NULL);
	/* Not bcrypt: SHA-512 crypt. */
	refused(file("basic_auth_users:\n  alice: $6$salt$abc\n"), "basic_auth_users.alice", NULL);
	/* One character short, and cost 03. */
	snprintf(h, sizeof(h), "%s", hash("pw", 4));
	h[59] = '\0';
	refused(file("basic_auth_users:\n  alice: '%s'\n", h), "basic_auth_users.alice", NULL);
	snprintf(h, sizeof(h), "%s", hash("pw", 4));
	h[5] = '3';
	refused(file("basic_auth_users:\n  alice: '%s'\n", h), "basic_auth_users.alice", NULL);
	refused(file("basic_auth_users:\n  alice:\n"), "basic_auth_users.alice", "want a string");
	refused(file("basic_auth_users:\n  'a:b': %s\n", hash("pw", 4)), "basic_auth_users.a:b",
		"':'");
	/* Every prefix the toolkit's files use is accepted. */
	snprintf(h, sizeof(h), "%s", hash("pw", 4));
	for (const char *v = "aby"; *v; v++) {
		struct webconfig wc;
		char err[512] = "";

		h[2] = *v;
		cr_assert_eq(webconfig_load(file("basic_auth_users:\n  a: '%s'\n", h), &wc, err,
					    sizeof(err)), 0, "$2%c$: %s", *v, err);
		webconfig_free(&wc);
	}
}

Test(webconfig, check_cache_and_budget)
{
	struct webconfig wc;
	char err[512] = "";
	int busy = 0;

	/* Cost 4: a check takes about a millisecond, so the loop below runs
	 * out of budget on any machine. */
	cr_assert_eq(webconfig_load(file("basic_auth_users:\n  prom: '%s'\n", hash("right", 4)),
				    &wc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(webconfig_check(&wc, "prom", "right"), WEBCONFIG_OK);
	cr_assert_eq(webconfig_check(&wc, "prom", NULL), WEBCONFIG_DENIED);
	cr_assert_eq(webconfig_check(&wc, NULL, "right"), WEBCONFIG_DENIED);
	cr_assert_eq(webconfig_check(&wc, "prom", "righ"), WEBCONFIG_DENIED);
	cr_assert_eq(webconfig_check(&wc, "Prom", "right"), WEBCONFIG_DENIED);
	/* Guessing runs out of budget: answered BUSY without a check. */
	for (int i = 0; i < 10 * WEBCONFIG_VERIFY_BURST && !busy; i++)
		busy = webconfig_check(&wc, "prom", "guess") == WEBCONFIG_BUSY;
	cr_assert(busy, "no budget on failed checks");
	/* The pair verified before is served from the cache: no budget needed. */
	cr_assert_eq(webconfig_check(&wc, "prom", "right"), WEBCONFIG_OK);
	webconfig_free(&wc);
}

struct checker {
	struct webconfig *wc;
	const char *pw;
	enum webconfig_verdict v;
	volatile bool done;
};

static void *check_thread(void *arg)
{
	struct checker *c = arg;

	c->v = webconfig_check(c->wc, "prom", c->pw);
	c->done = true;
	return NULL;
}

Test(webconfig, one_check_at_a_time_never_queued)
{
	struct webconfig wc;
	struct checker c = { .pw = "slow-guess" };
	pthread_t t;
	char err[512] = "";
	bool running = false;

	/* Cost 12: long enough a check to see it running. */
	cr_assert_eq(webconfig_load(file("basic_auth_users:\n  prom: '%s'\n", hash("right", 12)),
				    &wc, err, sizeof(err)), 0, "%s", err);
	c.wc = &wc;
	cr_assert_eq(pthread_create(&t, NULL, check_thread, &c), 0);
	while (!c.done && !running) {
		running = pthread_mutex_trylock(&wc.crypt_lock) != 0;
		if (!running)
			pthread_mutex_unlock(&wc.crypt_lock);
		usleep(1000);
	}
	cr_assert(running, "the check was never seen running");
	cr_assert_eq(webconfig_check(&wc, "prom", "other-guess"), WEBCONFIG_BUSY,
		     "a second check waited for the first");
	pthread_join(t, NULL);
	cr_assert_eq(c.v, WEBCONFIG_DENIED);
	webconfig_free(&wc);
}
