// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exporter's HTTP server (http.h).
 *
 * libmicrohttpd 0.9.75 (Debian bookworm) bounds a connection's idle time
 * only: a client sending a header byte every few seconds is never idle,
 * and enough of them used to fill every connection slot. So the server
 * keeps its own table of connections, filled from MHD's connection
 * notifications: when each one started its current request, whether an
 * answer is under way. A reaper thread shuts down the socket of every
 * connection past its deadline, and a new connection past a limit makes
 * room by shutting down the oldest one without an answer under way.
 * shutdown(2) on a socket MHD owns is safe: MHD sees the end of the
 * stream in its own thread and closes the connection as usual, and it
 * tells us (CLOSED) before it closes the descriptor, under the same lock
 * the reaper holds, so a descriptor is never shut down after its reuse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "dynlib.h"
#include "http.h"
#include "log.h"
#include "prom.h"

/* libmicrohttpd, opened by the first http_start() (dynlib.c); every other
 * call here comes after it. */
static const struct vno_mhd *mhd;

/* Descriptors kept for everything else the exporter opens (BPF maps and
 * programs, netlink, the kernel log, hang captures). */
#define FD_RESERVE 256
/* Connections at once past which the heap is trimmed once they are gone. */
#define TRIM_AFTER 32

struct conn {
	struct conn *prev, *next;
	int fd;
	bool v6;
	unsigned char addr[8];	/* IPv4 address, or the /64 of an IPv6 one */
	bool busy;		/* headers in, answer not sent yet */
	bool closing;		/* shut down by us: no longer counted */
	uint64_t since;		/* start of the current request (ns) */
};

struct http_server {
	struct MHD_Daemon *d;
	struct webconfig *wc;
	http_render_fn render;
	void *ctx;

	pthread_mutex_t lock;	/* the table */
	struct conn *head;
	size_t n, max_conns, per_addr;
	size_t peak;		/* most connections since the last trim */
	uint64_t evicted, expired, refused;

	pthread_t reaper;
	bool reaper_up, stop;
	pthread_cond_t wake;

	pthread_mutex_t render_lock;	/* one render at a time */
	pthread_mutex_t cache_lock;	/* the shared answer */
	struct MHD_Response *cached;
	uint64_t cached_at;	/* when its render started */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- the listening socket --------------------------------------------------------- */

static bool sockaddr_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

int http_listen(const char *host, unsigned port, char *bound, size_t blen, bool *loopback,
		char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char portstr[8], addr[INET6_ADDRSTRLEN];
	int fd = -1, one = 1, zero = 0, e = 0, r;

	snprintf(portstr, sizeof(portstr), "%u", port);
	if (!*host) {
		/* Every address: IPv6 with IPv4 mapped where the kernel has
		 * IPv6, IPv4 otherwise. */
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any,
					   .sin6_port = htons(port) };
		struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = INADDR_ANY,
					  .sin_port = htons(port) };

		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&a6, sizeof(a6)))
				goto fail;
		} else {
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				goto fail;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&a4, sizeof(a4)))
				goto fail;
		}
	} else {
		r = getaddrinfo(host, portstr, &hints, &res);
		if (r) {
			snprintf(err, errlen, "--listen %s:%u: %s", host, port, gai_strerror(r));
			return -EINVAL;
		}
		for (ai = res; ai; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0) {
				e = errno;
				continue;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
			if (!bind(fd, ai->ai_addr, ai->ai_addrlen))
				break;
			e = errno;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		if (fd < 0) {
			errno = e;
			goto fail;
		}
	}
	if (listen(fd, 128))
		goto fail;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		goto fail;
	*loopback = sockaddr_loopback(&ss);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
		snprintf(bound, blen, "[%s]:%u", addr, ntohs(a->sin6_port));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
		snprintf(bound, blen, "%s:%u", addr, ntohs(a->sin_port));
	}
	return fd;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	snprintf(err, errlen, "cannot listen on %s%s%s:%u: %s%s", strchr(host, ':') ? "[" : "",
		 host, strchr(host, ':') ? "]" : "", port, strerror(e),
		 e == EADDRINUSE ? "; choose another port with --listen" : "");
	return -e;
}

/* ---- the connection table ------------------------------------------------------------ */

static void conn_addr(struct conn *cn, const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			memcpy(cn->addr, &a->sin6_addr.s6_addr[12], 4);
		} else {
			cn->v6 = true;
			memcpy(cn->addr, a->sin6_addr.s6_addr, 8);
		}
	} else if (sa && sa->sa_family == AF_INET) {
		memcpy(cn->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

static bool same_addr(const struct conn *a, const struct conn *b)
{
	return a->v6 == b->v6 && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Under s->lock. */
static void conn_shut(struct http_server *s, struct conn *cn, uint64_t *counter)
{
	shutdown(cn->fd, SHUT_RDWR);
	cn->closing = true;
	(*counter)++;
}

/*
 * Has @c's client sent a whole request MHD has not read yet? A scraper
 * sends its request as soon as it connects; when a burst of newcomers
 * arrives before MHD gets to it, this keeps it from looking like a
 * trickler. (Over TLS the bytes are encrypted: there, only the age tells.)
 */
static bool request_waiting(const struct conn *c)
{
	char buf[2048];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

	return n >= 4 && memmem(buf, n, "\r\n\r\n", 4);
}

/*
 * A newcomer past a limit: the oldest connection (of its address when
 * @addr) not answering, or NULL. A trickling client never gets its
 * headers in, so it is never "busy" and always goes first; a scraper's
 * connection is busy, fresh or has its request waiting.
 */
static struct conn *victim(struct http_server *s, const struct conn *addr)
{
	for (;;) {
		struct conn *v = NULL;

		for (struct conn *c = s->head; c; c = c->next) {
			if (c->closing || c->busy || (addr && !same_addr(c, addr)))
				continue;
			if (!v || c->since < v->since)
				v = c;
		}
		if (!v || !request_waiting(v))
			return v;
		v->busy = true;	/* as good as: MHD reads it next */
	}
}

/* Addresses counted for heaviest(): more slots than connections. */
#define ADDR_SLOTS (2 * HTTP_MAX_CONNS * 2)

static size_t addr_slot(const struct conn *c)
{
	size_t h = c->v6;

	for (size_t i = 0; i < sizeof(c->addr); i++)
		h = h * 31 + c->addr[i];
	return h % ADDR_SLOTS;
}

/*
 * Past the total: the address holding the most connections gives up its
 * oldest one not answering, so many clients from a few addresses cannot
 * push out a scraper that holds one or two.
 */
static struct conn *heaviest_victim(struct http_server *s)
{
	static __thread struct { const struct conn *key; unsigned n; } tab[ADDR_SLOTS];
	struct conn *v;
	unsigned vn;

	memset(tab, 0, sizeof(tab));
	for (struct conn *c = s->head; c; c = c->next) {
		size_t i = addr_slot(c);

		if (c->closing)
			continue;
		while (tab[i].key && !same_addr(tab[i].key, c))
			i = (i + 1) % ADDR_SLOTS;
		tab[i].key = c;
		tab[i].n++;
	}
again:
	v = NULL;
	vn = 0;
	for (struct conn *c = s->head; c; c = c->next) {
		size_t i = addr_slot(c);

		if (c->closing || c->busy)
			continue;
		while (!same_addr(tab[i].key, c))
			i = (i + 1) % ADDR_SLOTS;
		if (!v || tab[i].n > vn || (tab[i].n == vn && c->since < v->since)) {
			v = c;
			vn = tab[i].n;
		}
	}
	if (v && request_waiting(v)) {
		v->busy = true;
		goto again;
	}
	return v;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *cn = *socket_context, *v;
	size_t total = 0, mine = 0;
	int fd;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!cn)
			return;
		pthread_mutex_lock(&s->lock);
		if (cn->prev)
			cn->prev->next = cn->next;
		else
			s->head = cn->next;
		if (cn->next)
			cn->next->prev = cn->prev;
		s->n--;
		pthread_mutex_unlock(&s->lock);
		free(cn);
		*socket_context = NULL;
		return;
	}
	ci = mhd->MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	fd = ci->connect_fd;
	cn = calloc(1, sizeof(*cn));
	if (!cn) {
		/* Untracked would mean unbounded: refuse it. */
		shutdown(fd, SHUT_RDWR);
		return;
	}
	cn->fd = fd;
	cn->since = now_ns();
	ci = mhd->MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	conn_addr(cn, ci ? ci->client_addr : NULL);

	pthread_mutex_lock(&s->lock);
	for (struct conn *o = s->head; o; o = o->next) {
		if (o->closing)
			continue;
		total++;
		mine += same_addr(o, cn);
	}
	v = NULL;
	if (mine >= s->per_addr)
		v = victim(s, cn);
	else if (total >= s->max_conns)
		v = heaviest_victim(s);
	if (v)
		conn_shut(s, v, &s->evicted);
	else if (mine >= s->per_addr || total >= s->max_conns)
		conn_shut(s, cn, &s->refused);
	cn->next = s->head;
	if (s->head)
		s->head->prev = cn;
	s->head = cn;
	if (++s->n > s->peak)
		s->peak = s->n;
	pthread_mutex_unlock(&s->lock);
	*socket_context = cn;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		mhd->MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The request is answered (or abandoned): the next one's clock starts. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct conn *cn = conn_of(c);

	if (!cn)
		return;
	pthread_mutex_lock(&s->lock);
	cn->busy = false;
	cn->since = now_ns();
	pthread_mutex_unlock(&s->lock);
}

static void *reaper_main(void *arg)
{
	struct http_server *s = arg;
	const uint64_t limit = HTTP_DEADLINE_S * 1000000000ull;
	struct timespec ts;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		uint64_t now = now_ns();

		for (struct conn *c = s->head; c; c = c->next)
			if (!c->closing && now - c->since > limit)
				conn_shut(s, c, &s->expired);
		/*
		 * After a crowd has gone: each connection's buffers came from
		 * the heap of the thread that served it, and glibc keeps what
		 * was freed there. Handing it back keeps a months-long
		 * exporter's memory where it was before the crowd.
		 */
		if (s->peak >= TRIM_AFTER && s->n <= TRIM_AFTER / 4) {
			s->peak = s->n;
			pthread_mutex_unlock(&s->lock);
			malloc_trim(0);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		/* A quarter second late at most: the deadline is seconds. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- answers --------------------------------------------------------------------------- */

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	"<title>vnoffload-trace exporter</title></head>\n<body><h1>vnoffload-trace "
	"exporter</h1>\n<p>GSO/TSO super-frames on the TX path of this host: per device, hop "
	"and GSO kind; completion latency, frames in flight, drops, anomalies and TX hangs.</p>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

static struct MHD_Response *response(const char *type, void *body, size_t len,
				     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = mhd->MHD_create_response_from_buffer(len, body, mode);

	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return NULL;
	}
	mhd->MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return resp;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *msg,
				  const char *hdr, const char *val)
{
	struct MHD_Response *resp = response("text/plain; charset=utf-8", (void *)msg,
					     strlen(msg), MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	if (hdr)
		mhd->MHD_add_response_header(resp, hdr, val);
	ret = mhd->MHD_queue_response(c, status, resp);
	mhd->MHD_destroy_response(resp);
	return ret;
}

/* Under cache_lock: queue the shared answer if it is recent enough for a
 * request that arrived at @t. */
static bool queue_cached(struct http_server *s, struct MHD_Connection *c, uint64_t t,
			 enum MHD_Result *ret)
{
	if (!s->cached || s->cached_at + HTTP_RENDER_SHARE_MS * 1000000ull < t)
		return false;
	/* MHD counts the response's users: it outlives our reference. */
	*ret = mhd->MHD_queue_response(c, MHD_HTTP_OK, s->cached);
	return true;
}

/*
 * /metrics. Renders are one at a time; scrapes that arrive while one runs,
 * or within HTTP_RENDER_SHARE_MS of its start, get its answer: fifty
 * clients hammering the exporter cost one render per 100 ms, and a
 * Prometheus scrape among them waits for one render at most.
 */
static enum MHD_Result serve_metrics(struct http_server *s, struct MHD_Connection *c)
{
	struct MHD_Response *resp, *old;
	enum MHD_Result ret = MHD_NO;
	uint64_t t = now_ns(), start;
	char *body;
	size_t len = 0;

	pthread_mutex_lock(&s->cache_lock);
	if (queue_cached(s, c, t, &ret)) {
		pthread_mutex_unlock(&s->cache_lock);
		return ret;
	}
	pthread_mutex_unlock(&s->cache_lock);

	pthread_mutex_lock(&s->render_lock);
	pthread_mutex_lock(&s->cache_lock);
	if (queue_cached(s, c, t, &ret)) {
		pthread_mutex_unlock(&s->cache_lock);
		pthread_mutex_unlock(&s->render_lock);
		return ret;
	}
	pthread_mutex_unlock(&s->cache_lock);
	start = now_ns();
	body = s->render(s->ctx, &len);
	if (!body) {
		pthread_mutex_unlock(&s->render_lock);
		pr_warn("warning: reading the BPF maps for a scrape failed: %s\n", strerror(errno));
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "500 reading the BPF maps failed\n", NULL, NULL);
	}
	resp = response(PROM_CONTENT_TYPE, body, len, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		pthread_mutex_unlock(&s->render_lock);
		return MHD_NO;
	}
	pthread_mutex_lock(&s->cache_lock);
	old = s->cached;
	s->cached = resp;
	s->cached_at = start;
	ret = mhd->MHD_queue_response(c, MHD_HTTP_OK, resp);
	pthread_mutex_unlock(&s->cache_lock);
	pthread_mutex_unlock(&s->render_lock);
	if (old)
		mhd->MHD_destroy_response(old);
	return ret;
}

static const char *client(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		mhd->MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, len);
	return buf;
}

/* Basic authentication: MHD_YES to go on, else what answering 401/429
 * returned (through *ret). */
static bool authorized(struct http_server *s, struct MHD_Connection *c, enum MHD_Result *ret)
{
	static const char denied[] = "401 unauthorized\n";
	static const char busy[] = "429 too many password checks; try again in a second\n";
	struct MHD_Response *resp;
	enum webconfig_verdict v;
	char *pass = NULL, *user, who[INET6_ADDRSTRLEN];

	user = mhd->MHD_basic_auth_get_username_password(c, &pass);
	v = webconfig_check(s->wc, user, pass);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		mhd->MHD_free(pass);
	}
	if (user)
		mhd->MHD_free(user);
	if (v == WEBCONFIG_OK)
		return true;
	if (v == WEBCONFIG_BUSY) {
		*ret = reply_text(c, MHD_HTTP_TOO_MANY_REQUESTS, busy, MHD_HTTP_HEADER_RETRY_AFTER,
				  "1");
		return false;
	}
	pr_info("http: %s: basic authentication failed\n", client(c, who, sizeof(who)));
	resp = response("text/plain; charset=utf-8", (void *)denied, sizeof(denied) - 1,
			MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		*ret = MHD_NO;
		return false;
	}
	*ret = mhd->MHD_queue_basic_auth_fail_response(c, "vnoffload-trace", resp);
	mhd->MHD_destroy_response(resp);
	return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	static int seen_headers;
	struct http_server *s = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (*con_cls != &seen_headers) {
		struct conn *cn = conn_of(c);

		/* Headers in: from here the request is worth finishing, and
		 * its connection is no longer the first to make room. */
		if (cn) {
			pthread_mutex_lock(&s->lock);
			cn->busy = true;
			pthread_mutex_unlock(&s->lock);
		}
		/* Answered at once, before any body: nothing here takes one
		 * (MHD then closes the connection instead of reading on). */
		if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
			return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "405 method not allowed: use GET\n", MHD_HTTP_HEADER_ALLOW,
					  "GET, HEAD");
		/* Answering on the second call, once the (empty) request is
		 * complete, keeps the connection alive. */
		*con_cls = &seen_headers;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* a GET with a body: ignored */
		return MHD_YES;
	}
	if (webconfig_auth(s->wc) && !authorized(s, c, &ret))
		return ret;
	if (!strcmp(url, "/")) {
		resp = response("text/html; charset=utf-8", (void *)landing, sizeof(landing) - 1,
				MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		ret = mhd->MHD_queue_response(c, MHD_HTTP_OK, resp);
		mhd->MHD_destroy_response(resp);
		return ret;
	}
	if (strcmp(url, "/metrics"))
		return reply_text(c, MHD_HTTP_NOT_FOUND, "404 not found: try /metrics\n", NULL, NULL);
	return serve_metrics(s, c);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	/* Bad requests and failed handshakes are the client's business. */
	pr_info("http: %s\n", msg);
}

/* ---- start and stop ----------------------------------------------------------------- */

/*
 * Connections are bounded by descriptors too. systemd's default soft
 * limit is 1024: raise it to what the limits need (up to the hard limit),
 * and lower the limits when even that is short.
 */
static void fit_fd_limit(struct http_server *s)
{
	rlim_t want = s->max_conns * 2 + FD_RESERVE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want) {
		size_t room = rl.rlim_cur > FD_RESERVE + 32 ? (rl.rlim_cur - FD_RESERVE) / 2 : 16;

		if (room < s->max_conns) {
			pr_warn("warning: at most %llu open files: serving %zu connections, not %zu\n",
				(unsigned long long)rl.rlim_cur, room, s->max_conns);
			s->max_conns = room;
			if (s->per_addr > room)
				s->per_addr = room;
		}
	}
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	/* MHD first: its threads call into the table and the cache. */
	if (s->d)
		mhd->MHD_stop_daemon(s->d);
	if (s->reaper_up) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->reaper, NULL);
	}
	if (s->evicted || s->expired || s->refused)
		pr_info("http: connections closed past the deadline %llu, to make room %llu, "
			"refused %llu\n", (unsigned long long)s->expired,
			(unsigned long long)s->evicted, (unsigned long long)s->refused);
	if (s->cached)
		mhd->MHD_destroy_response(s->cached);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->render_lock);
	pthread_mutex_destroy(&s->cache_lock);
	free(s);
}

struct http_server *http_start(int fd, struct webconfig *wc, http_render_fn render, void *ctx,
			       char *err, size_t errlen)
{
	struct MHD_OptionItem opts[16];
	struct http_server *s;
	pthread_condattr_t ca;
	sigset_t all, old;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	int n = 0;

	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->wc = wc;
	s->render = render;
	s->ctx = ctx;
	s->max_conns = HTTP_MAX_CONNS;
	s->per_addr = HTTP_MAX_CONNS_PER_ADDR;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->render_lock, NULL);
	pthread_mutex_init(&s->cache_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	fit_fd_limit(s);

	mhd = vno_mhd(err, errlen);
	if (!mhd) {
		close(fd);
		goto fail;
	}
	if (webconfig_tls(wc) && mhd->MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		close(fd);
		snprintf(err, errlen, "web config %s: this libmicrohttpd has no TLS support",
			 wc->path);
		goto fail;
	}
	if (webconfig_auth(wc) && mhd->MHD_is_feature_supported(MHD_FEATURE_BASIC_AUTH) != MHD_YES) {
		close(fd);
		snprintf(err, errlen, "web config %s: this libmicrohttpd has no basic "
			 "authentication support", wc->path);
		goto fail;
	}

#define OPT(o, v, p) (opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) })
	OPT(MHD_OPTION_LISTEN_SOCKET, fd, NULL);
	OPT(MHD_OPTION_THREAD_POOL_SIZE, HTTP_THREADS, NULL);
	/* MHD's own cap, above ours: a connection we shut down still counts
	 * until its thread closes it. No MHD per-address cap: it would refuse
	 * the newcomer, where ours closes the oldest idle one instead. */
	OPT(MHD_OPTION_CONNECTION_LIMIT, s->max_conns * 2, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_MEMORY_LIMIT, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, HTTP_DEADLINE_S, NULL);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, s);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, s);
	OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL);
	if (webconfig_tls(wc)) {
		flags |= MHD_USE_TLS;
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, wc->cert_pem);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, wc->key_pem);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, wc->tls_priorities);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT

	/* Signals are the main thread's: its poll then returns at once. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->d = mhd->MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
				MHD_OPTION_END);
	if (s->d && !pthread_create(&s->reaper, NULL, reaper_main, s))
		s->reaper_up = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->d) {
		/* MHD closed @fd on its way out (a descriptor left open on
		 * one of its rarer failure paths is closed by our exit). */
		snprintf(err, errlen, "starting the HTTP%s server failed (run with -v for "
			 "libmicrohttpd's reason)", webconfig_tls(wc) ? "S" : "");
		goto fail;
	}
	if (!s->reaper_up) {
		snprintf(err, errlen, "cannot start the HTTP deadline thread: %s", strerror(errno));
		goto fail;
	}
	return s;
fail:
	http_stop(s);
	return NULL;
}
