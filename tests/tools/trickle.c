// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trickle: slow HTTP clients for the exporter's tests. Opens N connections
 * to ADDR:PORT, sends each the start of a request, then one more header
 * line on every connection every interval, never ending the headers: the
 * client that keeps a connection busy forever without being idle. With
 * --reconnect, connections the server closed are opened again at the next
 * tick, as an attacker would. Bounded: it stops after --duration seconds
 * whatever happens, and prints one JSON line of what it saw.
 *
 *   trickle --connect 127.0.0.1:10117 --count 500 --interval-ms 2000 \
 *           --duration 20 [--reconnect] [--source ADDR] [--ready-file F]
 *
 * --source binds the connections to ADDR (e.g. 127.0.0.2), so a test can
 * tell the attacker's address from its scraper's.
 *
 * --ready-file is created once every connection of the first round has
 * been opened (or refused).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 10000
#define MAX_DURATION_S 600

struct slot {
	int fd;
	bool connected;
	unsigned lines;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void usage(void)
{
	fprintf(stderr, "usage: trickle --connect ADDR:PORT --count N --interval-ms MS "
			"--duration S [--reconnect] [--source ADDR] [--ready-file FILE]\n");
	exit(2);
}

static struct sockaddr_storage dst, src;
static socklen_t dst_len, src_len;

static int open_one(void)
{
	int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (src_len && bind(fd, (struct sockaddr *)&src, src_len)) {
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&dst, dst_len) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool send_str(int fd, const char *s)
{
	ssize_t n = send(fd, s, strlen(s), MSG_NOSIGNAL);

	return n == (ssize_t)strlen(s);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "reconnect", no_argument, NULL, 'r' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "source", required_argument, NULL, 's' },
		{},
	};
	const char *target = NULL, *ready = NULL, *source = NULL;
	long count = 0, interval = 0, duration = 0;
	bool reconnect = false, ready_done = false;
	unsigned long long opened = 0, refused = 0, closed_by_peer = 0, lines = 0;
	size_t max_open = 0;
	struct slot *sl;
	struct pollfd *pf;
	long long t_end, t_next;
	struct rlimit rl;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c': target = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'i': interval = atol(optarg); break;
		case 'd': duration = atol(optarg); break;
		case 'r': reconnect = true; break;
		case 'R': ready = optarg; break;
		case 's': source = optarg; break;
		default: usage();
		}
	}
	if (!target || count < 1 || count > MAX_COUNT || interval < 10 || duration < 1 ||
	    duration > MAX_DURATION_S)
		usage();
	{
		char host[64];
		const char *colon = strrchr(target, ':');
		struct sockaddr_in *a4 = (struct sockaddr_in *)&dst;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&dst;
		size_t hl;

		if (!colon || (hl = colon - target) >= sizeof(host))
			usage();
		memcpy(host, target, hl);
		host[hl] = '\0';
		if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
			host[hl - 1] = '\0';
			memmove(host, host + 1, hl - 1);
		}
		memset(&dst, 0, sizeof(dst));
		if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons(atoi(colon + 1));
			dst_len = sizeof(*a4);
		} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons(atoi(colon + 1));
			dst_len = sizeof(*a6);
		} else {
			usage();
		}
	}
	if (source) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&src;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&src;

		if (dst.ss_family == AF_INET && inet_pton(AF_INET, source, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			src_len = sizeof(*a4);
		} else if (dst.ss_family == AF_INET6 &&
			   inet_pton(AF_INET6, source, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			src_len = sizeof(*a6);
		} else {
			usage();
		}
	}
	/* One descriptor per connection. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)count + 16) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)count + 16 ? rl.rlim_max : (rlim_t)count + 16;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sl = calloc(count, sizeof(*sl));
	pf = calloc(count, sizeof(*pf));
	if (!sl || !pf)
		return 1;
	for (long i = 0; i < count; i++) {
		sl[i].fd = open_one();
		if (sl[i].fd < 0)
			refused++;
		else
			opened++;
	}
	t_end = now_ms() + duration * 1000;
	t_next = now_ms() + interval;
	while (now_ms() < t_end) {
		long long now = now_ms(), wait = (t_next < t_end ? t_next : t_end) - now;
		size_t open = 0;
		bool pending = false;

		for (long i = 0; i < count; i++) {
			pf[i].fd = sl[i].fd;
			pf[i].events = sl[i].connected ? POLLIN : POLLOUT;
			pf[i].revents = 0;
			if (sl[i].fd >= 0) {
				open++;
				pending |= !sl[i].connected;
			}
		}
		if (open > max_open)
			max_open = open;
		if (ready && !ready_done && !pending) {
			FILE *f = fopen(ready, "w");

			if (f)
				fclose(f);
			ready_done = true;
		}
		if (poll(pf, count, wait > 0 ? wait : 0) < 0 && errno != EINTR)
			return 1;
		for (long i = 0; i < count; i++) {
			struct slot *s = &sl[i];
			char buf[4096];
			int err = 0;
			socklen_t el = sizeof(err);
			bool gone = false;

			if (s->fd < 0 || !pf[i].revents)
				continue;
			if (!s->connected) {
				getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err || !send_str(s->fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n")) {
					gone = true;
					refused++;
				} else {
					s->connected = true;
					lines++;
				}
			} else {
				/* An answer (408, 400) or the end: drain; EOF = closed. */
				ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);

				if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
					gone = true;
					closed_by_peer++;
				}
			}
			if (gone) {
				close(s->fd);
				s->fd = -1;
				s->connected = false;
			}
		}
		if (now_ms() < t_next)
			continue;
		t_next += interval;
		for (long i = 0; i < count; i++) {
			struct slot *s = &sl[i];
			char line[64];

			if (s->fd < 0 && reconnect) {
				s->fd = open_one();
				if (s->fd < 0)
					refused++;
				else
					opened++;
				continue;
			}
			if (s->fd < 0 || !s->connected)
				continue;
			snprintf(line, sizeof(line), "X-Trickle-%u: %ld\r\n", s->lines++, i);
			if (!send_str(s->fd, line)) {
				close(s->fd);
				s->fd = -1;
				s->connected = false;
				closed_by_peer++;
			} else {
				lines++;
			}
		}
	}
	{
		size_t open = 0;

		for (long i = 0; i < count; i++) {
			if (sl[i].fd >= 0) {
				open += sl[i].connected;
				close(sl[i].fd);
			}
		}
		printf("{\"type\":\"trickle\",\"opened\":%llu,\"refused\":%llu,\"closed_by_peer\":%llu,"
		       "\"header_lines\":%llu,\"max_open\":%zu,\"open_at_end\":%zu}\n",
		       opened, refused, closed_by_peer, lines, max_open, open);
	}
	free(sl);
	free(pf);
	return 0;
}
