/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `export --web.config.file FILE`: TLS and basic authentication in the
 * convention of the Prometheus exporter toolkit
 * (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md),
 * so a file written for node_exporter works here too:
 *
 *   tls_server_config:
 *     cert_file: server.crt        # relative to the file's directory
 *     key_file: server.key
 *     client_auth_type: NoClientCert   # the only one supported
 *     min_version: TLS12           # or TLS13
 *   basic_auth_users:
 *     prometheus: $2y$10$...       # bcrypt
 *
 * Whatever else the toolkit knows (client certificates, cipher suites,
 * http_server_config, ...) is refused by name rather than ignored: a file
 * that asks for more protection than it gets must not start quietly.
 *
 * The YAML is read with libyaml, the bcrypt hashes are checked with
 * libxcrypt's crypt_r, the certificate and key are checked as a pair with
 * GnuTLS (the library libmicrohttpd serves TLS with) when the file is
 * loaded, before anything is attached.
 */
#ifndef VNO_WEBCONFIG_H
#define VNO_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

struct webconfig_user {
	char *name;
	char *hash;		/* $2a$/$2b$/$2y$, 60 characters */
};

/* Successful verifications remembered: bcrypt costs ~0.1 s a check. */
#define WEBCONFIG_AUTH_CACHE 16
/* Uncached verifications: a burst of this many, then this many a second.
 * A scraper needs one per credential for the life of the process; the
 * rest is someone guessing. */
#define WEBCONFIG_VERIFY_BURST 4
#define WEBCONFIG_VERIFY_PER_S 2

struct webconfig {
	char *path;
	/* TLS: both NULL when the file has no tls_server_config. PEM text,
	 * read once (before any privilege drop). */
	char *cert_pem, *key_pem;
	char *tls_priorities;	/* GnuTLS priority string for min_version */
	struct webconfig_user *users;
	size_t n_users;

	/* Verification state (webconfig_check); pthread-safe. */
	pthread_mutex_t lock;		/* cache and budget: held briefly */
	pthread_mutex_t crypt_lock;	/* the bcrypt check running, if any */
	unsigned char salt[16];
	struct {
		unsigned char key[32];	/* SHA-256(salt, user, password) */
		uint64_t used;
	} cache[WEBCONFIG_AUTH_CACHE];
	uint64_t clock;
	double tokens;
	uint64_t tokens_ns;
	void *crypt_data;	/* struct crypt_data: 32 KiB, one check at a time */
};

/*
 * Read and check FILE. 0, or -EINVAL / -ENOMEM / -errno with one sentence
 * in err naming the file and the field. @wc is then empty (webconfig_free
 * is still safe).
 */
int webconfig_load(const char *path, struct webconfig *wc, char *err, size_t errlen);
void webconfig_free(struct webconfig *wc);

static inline bool webconfig_tls(const struct webconfig *wc)
{
	return wc && wc->cert_pem;
}

static inline bool webconfig_auth(const struct webconfig *wc)
{
	return wc && wc->n_users;
}

enum webconfig_verdict {
	WEBCONFIG_OK,
	WEBCONFIG_DENIED,	/* unknown user or wrong password */
	WEBCONFIG_BUSY,		/* over the verification budget: try later */
};

/*
 * Is (@user, @password) one of basic_auth_users? A pair verified before
 * is answered from the cache, never waiting for a check under way; an
 * unknown user costs a bcrypt check too (the time does not tell which
 * names exist). Uncached checks run one at a time, never queued (an HTTP
 * thread waiting for another's check would hold up the scrapes it
 * serves), within the budget above; otherwise WEBCONFIG_BUSY, unchecked.
 */
enum webconfig_verdict webconfig_check(struct webconfig *wc, const char *user,
				       const char *password);

/* Is @hash a bcrypt hash this libxcrypt verifies? (exposed for tests) */
bool webconfig_bcrypt_ok(const char *hash);

#endif
