/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The exporter's HTTP server: libmicrohttpd with a pool of epoll threads
 * (a slow client holds a socket, never a thread), a deadline on every
 * request as a whole, limits per client address and in total that make
 * room for a newcomer by closing the oldest connection with no request in
 * progress, /metrics rendered once and shared by scrapes that arrive
 * together, and TLS and basic authentication from a web configuration
 * file (webconfig.h).
 */
#ifndef VNO_HTTP_H
#define VNO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include "webconfig.h"

/* Threads answering requests. Rendering is one at a time (the scrape
 * state is not shared), the rest is cheap: a few threads keep a cache
 * hit from waiting behind a render or a bcrypt check. */
#define HTTP_THREADS 4
/* Connections, in total and per client address (IPv6: per /64). Past
 * either, the oldest connection of that address (or of all) that is not
 * in the middle of an answer is closed to let the new one in; with none,
 * the new one is closed. */
#define HTTP_MAX_CONNS 256
#define HTTP_MAX_CONNS_PER_ADDR 64
/* A request, from the connection's start or the end of the previous
 * answer to the last byte of its own answer, within this many seconds,
 * however steadily the client trickles; idle connections go after as
 * long. Prometheus's scrape_timeout is 10 s by default: an answer later
 * than that is of no use to it. */
#define HTTP_DEADLINE_S 10
/* Request line and headers (MHD answers 431/414 beyond). Above 32 KiB,
 * MHD maps each connection's buffer on its own and unmaps it at close,
 * where a smaller one comes from the heap of the thread that served it and
 * stays with that heap: a crowd of connections would leave the process
 * larger for good. Only the pages a request touches count. */
#define HTTP_MEMORY_LIMIT (40 * 1024)
/* Scrapes arriving within this of a render share it. */
#define HTTP_RENDER_SHARE_MS 100

/* The /metrics body, malloc'd, or NULL with errno. Called one at a time. */
typedef char *(*http_render_fn)(void *ctx, size_t *len);

struct http_server;

/*
 * Our own listening socket on @host (""= every address), so a bind error
 * names its cause and port 0 can be told: @bound gets "ADDR:PORT" as
 * bound, @loopback whether only this host can reach it. A socket, or
 * -errno with one sentence in err.
 */
int http_listen(const char *host, unsigned port, char *bound, size_t blen, bool *loopback,
		char *err, size_t errlen);

/* Serve on @fd (the server owns it from here, even on failure). @wc may be
 * NULL (plain HTTP, no authentication); it must outlive the server. NULL
 * with a sentence in err. */
struct http_server *http_start(int fd, struct webconfig *wc, http_render_fn render, void *ctx,
			       char *err, size_t errlen);
void http_stop(struct http_server *s);

#endif
