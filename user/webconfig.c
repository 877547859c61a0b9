// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The web configuration file (webconfig.h): parsed into plain fields, then
 * checked as far as can be before the exporter attaches anything: the
 * certificate and key load as a pair, every hash is a bcrypt hash the
 * system's crypt verifies.
 */
#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>
#include "dynlib.h"
#include "webconfig.h"

/* GnuTLS, opened by the first webconfig_load() (dynlib.c): the key pair
 * check, the salt and the cache's digests. */
static const struct vno_gnutls *gtls;

/* A web configuration is a few lines; certificates a few KiB. */
#define WEBCONFIG_MAX_BYTES (1 << 20)

/* TLS 1.2 is the toolkit's default minimum too. */
#define PRIO_TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PRIO_TLS13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"

struct wc_ctx {
	const char *path;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct wc_ctx *x, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(x->err, x->errlen, "web config %s: ", x->path);

	if (n < 0 || (size_t)n >= x->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The whole of @path, NUL-terminated, at most WEBCONFIG_MAX_BYTES. */
static char *slurp(const char *path, size_t *len, int *e)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;

	if (!f) {
		*e = errno;
		return NULL;
	}
	buf = malloc(WEBCONFIG_MAX_BYTES + 1);
	if (!buf) {
		*e = ENOMEM;
		goto out;
	}
	n = fread(buf, 1, WEBCONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		*e = errno ? errno : EIO;
		goto bad;
	}
	if (n > WEBCONFIG_MAX_BYTES) {
		*e = EFBIG;
		goto bad;
	}
	buf[n] = '\0';
	*len = n;
	goto out;
bad:
	free(buf);
	buf = NULL;
out:
	fclose(f);
	return buf;
}

static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* A scalar's text, or NULL (with the sentence) for anything else. */
static const char *scalar(struct wc_ctx *x, const yaml_node_t *n, const char *field, int *ret)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		*ret = fail(x, "%s (line %zu): want a string", field, n->start_mark.line + 1);
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		*ret = fail(x, "%s (line %zu): a NUL byte in the value", field,
			    n->start_mark.line + 1);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/*
 * Walk a mapping: @cb gets each (key, value) after the keys are checked to
 * be scalars and unique. A null value (`key:` alone) is an empty mapping.
 */
static int each_pair(struct wc_ctx *x, yaml_node_t *map, const char *field,
		     int (*cb)(struct wc_ctx *x, const char *key, yaml_node_t *val, void *arg),
		     void *arg)
{
	yaml_node_pair_t *p, *q;
	int ret;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(x, "%s (line %zu): want a mapping of keys to values", field,
			    map->start_mark.line + 1);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(x->doc, p->value);

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return fail(x, "%s (line %zu): keys must be plain names", field,
				    map->start_mark.line + 1);
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml_document_get_node(x->doc, q->key);

			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)k2->data.scalar.value,
				    (const char *)k->data.scalar.value))
				return fail(x, "%s%s%s (line %zu): given twice", *field ? field : "",
					    *field ? "." : "", (const char *)k->data.scalar.value,
					    k->start_mark.line + 1);
		}
		ret = cb(x, (const char *)k->data.scalar.value, v, arg);
		if (ret)
			return ret;
	}
	return 0;
}

bool webconfig_bcrypt_ok(const char *hash)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct crypt_data *cd;
	const char *out;
	bool ok;
	int cost;

	/* $2b$CC$ then 22 characters of salt and 31 of hash. */
	if (strlen(hash) != 60 || hash[0] != '$' || hash[1] != '2' ||
	    !strchr("aby", hash[2]) || !hash[2] || hash[3] != '$' || hash[6] != '$' ||
	    hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9')
		return false;
	cost = (hash[4] - '0') * 10 + hash[5] - '0';
	if (cost < 4 || cost > 31)
		return false;
	if (strspn(hash + 7, b64) != 53)
		return false;
	/* The library has the last word: it answers "*0" or "*1" to a
	 * setting it cannot use. The cheapest cost tells it as well. */
	char probe[61];

	memcpy(probe, hash, 61);
	probe[4] = '0';
	probe[5] = '4';
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	out = crypt_r("probe", probe, cd);
	ok = out && strlen(out) == 60 && !strncmp(out, probe, 29);
	free(cd);
	return ok;
}

static int user_cb(struct wc_ctx *x, const char *key, yaml_node_t *val, void *arg)
{
	struct webconfig *wc = arg;
	struct webconfig_user *u;
	char field[128];
	const char *hash;
	int ret = 0;

	snprintf(field, sizeof(field), "basic_auth_users.%s", key);
	if (!*key)
		return fail(x, "basic_auth_users (line %zu): an empty user name",
			    val->start_mark.line + 1);
	if (strchr(key, ':'))
		return fail(x, "%s: a user name cannot hold ':' (basic authentication "
			    "separates name and password with it)", field);
	hash = scalar(x, val, field, &ret);
	if (!hash)
		return ret;
	if (!webconfig_bcrypt_ok(hash))
		return fail(x, "%s (line %zu): not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04-31, "
			    "60 characters; make one with `htpasswd -nbBC 10 USER PASSWORD`)",
			    field, val->start_mark.line + 1);
	u = realloc(wc->users, (wc->n_users + 1) * sizeof(*u));
	if (!u)
		return -ENOMEM;
	wc->users = u;
	u = &wc->users[wc->n_users];
	u->name = strdup(key);
	u->hash = strdup(hash);
	if (!u->name || !u->hash) {
		free(u->name);
		free(u->hash);
		return -ENOMEM;
	}
	wc->n_users++;
	return 0;
}

struct tls_fields {
	const char *cert, *key, *min_version;
	size_t line;
};

static int tls_cb(struct wc_ctx *x, const char *key, yaml_node_t *val, void *arg)
{
	struct tls_fields *t = arg;
	char field[128];
	const char *v;
	int ret = 0;

	snprintf(field, sizeof(field), "tls_server_config.%.80s", key);
	if (!strcmp(key, "cert_file") || !strcmp(key, "key_file") ||
	    !strcmp(key, "min_version") || !strcmp(key, "client_auth_type")) {
		v = scalar(x, val, field, &ret);
		if (!v)
			return ret;
		if (!strcmp(key, "cert_file"))
			t->cert = v;
		else if (!strcmp(key, "key_file"))
			t->key = v;
		else if (!strcmp(key, "min_version"))
			t->min_version = v;
		else if (strcmp(v, "NoClientCert"))
			return fail(x, "%s: %s is not supported (client certificates are not "
				    "checked); use NoClientCert or leave the field out", field, v);
		return 0;
	}
	if (!strcmp(key, "client_ca_file") || !strcmp(key, "max_version") ||
	    !strcmp(key, "cipher_suites") || !strcmp(key, "curve_preferences") ||
	    !strcmp(key, "prefer_server_cipher_suites") || !strcmp(key, "cert") ||
	    !strcmp(key, "key") || !strcmp(key, "client_allowed_sans"))
		return fail(x, "%s (line %zu): not supported by vnoffload-trace; remove it", field,
			    val->start_mark.line + 1);
	return fail(x, "%s (line %zu): unknown field (known: cert_file, key_file, "
		    "client_auth_type, min_version)", field, val->start_mark.line + 1);
}

struct top_fields {
	yaml_node_t *tls, *users;
};

static int top_cb(struct wc_ctx *x, const char *key, yaml_node_t *val, void *arg)
{
	struct top_fields *t = arg;

	if (!strcmp(key, "tls_server_config")) {
		t->tls = val;
		return 0;
	}
	if (!strcmp(key, "basic_auth_users")) {
		t->users = val;
		return 0;
	}
	if (!strcmp(key, "http_server_config") || !strcmp(key, "rate_limit"))
		return fail(x, "%s (line %zu): not supported by vnoffload-trace; remove it", key,
			    val->start_mark.line + 1);
	return fail(x, "%.80s (line %zu): unknown field (known: tls_server_config, "
		    "basic_auth_users)", key, val->start_mark.line + 1);
}

/* @rel as given when absolute, else beside the configuration file (the
 * toolkit's rule). */
static char *beside(const char *cfg, const char *rel)
{
	const char *slash = strrchr(cfg, '/');
	char *p;

	if (rel[0] == '/' || !slash)
		return strdup(rel);
	if (asprintf(&p, "%.*s/%s", (int)(slash - cfg), cfg, rel) < 0)
		return NULL;
	return p;
}

static int read_pem(struct wc_ctx *x, const char *field, const char *rel, char **out)
{
	char *path = beside(x->path, rel);
	size_t len;
	int e = 0;

	if (!path)
		return -ENOMEM;
	*out = slurp(path, &len, &e);
	if (!*out) {
		fail(x, "%s: cannot read %s: %s", field, path,
		     e == EFBIG ? "larger than 1 MiB" : strerror(e));
		free(path);
		return e == ENOMEM ? -ENOMEM : -EINVAL;
	}
	free(path);
	if (!strstr(*out, "-----BEGIN ")) {
		free(*out);
		*out = NULL;
		return fail(x, "%s: %s is not PEM (want -----BEGIN ...)", field, rel);
	}
	return 0;
}

static int load_tls(struct wc_ctx *x, struct webconfig *wc, yaml_node_t *node)
{
	struct tls_fields t = { 0 };
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t c, k;
	int ret;

	if (is_null(node))
		return 0;
	ret = each_pair(x, node, "tls_server_config", tls_cb, &t);
	if (ret)
		return ret;
	if (!t.cert)
		return fail(x, "tls_server_config.cert_file: missing (the server's certificate, PEM)");
	if (!t.key)
		return fail(x, "tls_server_config.key_file: missing (the certificate's private key, PEM)");
	if (!t.min_version || !strcmp(t.min_version, "TLS12"))
		wc->tls_priorities = strdup(PRIO_TLS12);
	else if (!strcmp(t.min_version, "TLS13"))
		wc->tls_priorities = strdup(PRIO_TLS13);
	else
		return fail(x, "tls_server_config.min_version: %s is not offered (TLS12 or TLS13)",
			    t.min_version);
	if (!wc->tls_priorities)
		return -ENOMEM;
	if ((ret = read_pem(x, "tls_server_config.cert_file", t.cert, &wc->cert_pem)) ||
	    (ret = read_pem(x, "tls_server_config.key_file", t.key, &wc->key_pem)))
		return ret;
	/* The pair as libmicrohttpd will load it: a key that does not match
	 * the certificate is said here, not at the first handshake. */
	if (gtls->gnutls_certificate_allocate_credentials(&cred) < 0)
		return -ENOMEM;
	c = (gnutls_datum_t){ (unsigned char *)wc->cert_pem, strlen(wc->cert_pem) };
	k = (gnutls_datum_t){ (unsigned char *)wc->key_pem, strlen(wc->key_pem) };
	ret = gtls->gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
	gtls->gnutls_certificate_free_credentials(cred);
	if (ret < 0)
		return fail(x, "tls_server_config: cert_file %s and key_file %s do not load as a "
			    "pair: %s", t.cert, t.key, gtls->gnutls_strerror(ret));
	return 0;
}

int webconfig_load(const char *path, struct webconfig *wc, char *err, size_t errlen)
{
	struct wc_ctx x = { .path = path, .err = err, .errlen = errlen };
	struct top_fields top = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	bool have_doc = false;
	char *text;
	size_t len = 0;
	int ret, e = 0;

	memset(wc, 0, sizeof(*wc));
	pthread_mutex_init(&wc->lock, NULL);
	pthread_mutex_init(&wc->crypt_lock, NULL);
	gtls = vno_gnutls(err, errlen);
	if (!gtls)
		return -ENOENT;
	text = slurp(path, &len, &e);
	if (!text) {
		snprintf(err, errlen, "web config %s: cannot read it: %s", path,
			 e == EFBIG ? "larger than 1 MiB" : strerror(e));
		return e == ENOMEM ? -ENOMEM : -EINVAL;
	}
	wc->path = strdup(path);
	if (!wc->path) {
		free(text);
		return -ENOMEM;
	}
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = fail(&x, "line %zu: %s%s%s (not valid YAML)",
			   (parser.problem_mark.line ? parser.problem_mark.line
						     : parser.context_mark.line) + 1,
			   parser.problem ? parser.problem : "cannot parse",
			   parser.context ? " " : "", parser.context ? parser.context : "");
		goto out;
	}
	have_doc = true;
	x.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* An empty file configures nothing, as with the toolkit. */
	if (root && !is_null(root)) {
		if (root->type != YAML_MAPPING_NODE) {
			ret = fail(&x, "line %zu: want a mapping (tls_server_config:, "
				   "basic_auth_users:)", root->start_mark.line + 1);
			goto out;
		}
		ret = each_pair(&x, root, "", top_cb, &top);
		if (ret)
			goto out;
	}
	if (top.users) {
		ret = each_pair(&x, top.users, "basic_auth_users", user_cb, wc);
		if (ret)
			goto out;
	}
	if (top.tls) {
		ret = load_tls(&x, wc, top.tls);
		if (ret)
			goto out;
	}
	wc->crypt_data = calloc(1, sizeof(struct crypt_data));
	if (!wc->crypt_data) {
		ret = -ENOMEM;
		goto out;
	}
	gtls->gnutls_rnd(GNUTLS_RND_NONCE, wc->salt, sizeof(wc->salt));
	wc->tokens = WEBCONFIG_VERIFY_BURST;
	ret = 0;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(text);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "web config %s: out of memory", path);
	if (ret) {
		webconfig_free(wc);
		pthread_mutex_init(&wc->lock, NULL);
		pthread_mutex_init(&wc->crypt_lock, NULL);
	}
	return ret;
}

void webconfig_free(struct webconfig *wc)
{
	if (!wc)
		return;
	for (size_t i = 0; i < wc->n_users; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	free(wc->path);
	free(wc->cert_pem);
	if (wc->key_pem) {
		/* The private key: not left in freed memory. */
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));
		free(wc->key_pem);
	}
	free(wc->tls_priorities);
	if (wc->crypt_data) {
		explicit_bzero(wc->crypt_data, sizeof(struct crypt_data));
		free(wc->crypt_data);
	}
	pthread_mutex_destroy(&wc->lock);
	pthread_mutex_destroy(&wc->crypt_lock);
	memset(wc, 0, sizeof(*wc));
}

/* ---- checking credentials ----------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Constant time over the length, so a comparison tells nothing but the
 * answer. */
static bool same(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return !d;
}

/* The cache holds digests, not passwords: SHA-256 of a random per-process
 * salt, the name and the password, NUL-separated. */
static int cache_key(const struct webconfig *wc, const char *user, const char *pw,
		     unsigned char key[32])
{
	size_t ul = strlen(user), pl = strlen(pw), n = sizeof(wc->salt) + ul + pl + 2;
	unsigned char *buf = malloc(n);
	int ret;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, wc->salt, sizeof(wc->salt));
	memcpy(buf + sizeof(wc->salt), user, ul + 1);
	memcpy(buf + sizeof(wc->salt) + ul + 1, pw, pl + 1);
	ret = gtls->gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, n, key) < 0 ? -EIO : 0;
	explicit_bzero(buf, n);
	free(buf);
	return ret;
}

enum webconfig_verdict webconfig_check(struct webconfig *wc, const char *user,
				       const char *password)
{
	const struct webconfig_user *u = NULL;
	enum webconfig_verdict v = WEBCONFIG_DENIED;
	unsigned char key[32];
	const char *out, *hash;
	bool have_key, match;
	uint64_t now;
	size_t slot = 0;

	if (!user || !password || !wc->n_users)
		return WEBCONFIG_DENIED;
	for (size_t i = 0; i < wc->n_users; i++)
		if (!strcmp(wc->users[i].name, user))
			u = &wc->users[i];
	have_key = !cache_key(wc, user, password, key);

	pthread_mutex_lock(&wc->lock);
	wc->clock++;
	if (u && have_key) {
		for (size_t i = 0; i < WEBCONFIG_AUTH_CACHE; i++) {
			if (wc->cache[i].used && same(wc->cache[i].key, key, sizeof(key))) {
				wc->cache[i].used = wc->clock;
				pthread_mutex_unlock(&wc->lock);
				v = WEBCONFIG_OK;
				goto out;
			}
		}
	}
	/* The budget: tokens refill at WEBCONFIG_VERIFY_PER_S. */
	now = now_ns();
	wc->tokens += (now - wc->tokens_ns) / 1e9 * WEBCONFIG_VERIFY_PER_S;
	if (wc->tokens > WEBCONFIG_VERIFY_BURST)
		wc->tokens = WEBCONFIG_VERIFY_BURST;
	wc->tokens_ns = now;
	/* One check at a time, not queued: guessing costs at most one core
	 * and one HTTP thread, whatever the number of clients. */
	if (wc->tokens < 1 || pthread_mutex_trylock(&wc->crypt_lock)) {
		pthread_mutex_unlock(&wc->lock);
		v = WEBCONFIG_BUSY;
		goto out;
	}
	wc->tokens -= 1;
	pthread_mutex_unlock(&wc->lock);

	/* An unknown name is checked against the first user's hash: the
	 * same cost, so the time does not tell which names exist. */
	hash = u ? u->hash : wc->users[0].hash;
	out = crypt_r(password, hash, wc->crypt_data);
	match = u && out && strlen(out) == strlen(hash) && same(out, hash, strlen(hash));
	pthread_mutex_unlock(&wc->crypt_lock);
	if (!match)
		goto out;
	v = WEBCONFIG_OK;
	if (!have_key)
		goto out;
	pthread_mutex_lock(&wc->lock);
	for (size_t i = 1; i < WEBCONFIG_AUTH_CACHE; i++)
		if (wc->cache[i].used < wc->cache[slot].used)
			slot = i;
	memcpy(wc->cache[slot].key, key, sizeof(key));
	wc->cache[slot].used = ++wc->clock;
	pthread_mutex_unlock(&wc->lock);
out:
	explicit_bzero(key, sizeof(key));
	return v;
}
