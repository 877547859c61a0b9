// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * udpflood: the small-packet workload of `make bench`. iperf3 -u sends one
 * datagram per system call from one socket, and its receiver reads them one
 * by one, so on this 2-core machine iperf3 itself is the bottleneck, not
 * the path being traced. This sender batches with sendmmsg(2) over many
 * flows (one connected socket per source port) and the receiver drains
 * with recvmmsg(2), so the kernel's TX path is what limits the rate.
 *
 *   udpflood send --dst ADDR [--port P] [--flows N] [--size BYTES] [--secs S]
 *   udpflood recv [--bind ADDR] [--port P] [--ready-file F]
 *
 * send prints {"sent":N,"secs":S,"pps":R,"errors":E} when done; recv
 * counts until SIGINT/SIGTERM, then prints {"received":N,"bytes":B}.
 * Addresses are IPv4 or IPv6 literals (documentation ranges in the bench).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_FLOWS 1024
#define MAX_SIZE 1472 /* one Ethernet MTU of UDP payload over IPv4 */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "udpflood: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fill @ss from a literal; returns its length, 0 when not an address. */
static socklen_t parse_addr(const char *s, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (void *)ss;
	struct sockaddr_in6 *a6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return sizeof(*a6);
	}
	return 0;
}

static int do_send(const char *dst, unsigned port, unsigned flows, unsigned size, double secs)
{
	static char payload[MAX_SIZE];
	struct sockaddr_storage ss;
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { payload, size };
	unsigned long long sent = 0, errors = 0;
	int fds[MAX_FLOWS];
	double t0, t1, end;
	socklen_t sl;
	unsigned f;

	sl = parse_addr(dst, port, &ss);
	if (!sl) {
		fprintf(stderr, "udpflood: --dst %s: not an IPv4 or IPv6 address\n", dst);
		return 2;
	}
	for (unsigned i = 0; i < size; i++)
		payload[i] = (char)i;
	/* Each socket gets its own ephemeral source port: one flow each. */
	for (f = 0; f < flows; f++) {
		fds[f] = socket(ss.ss_family, SOCK_DGRAM, 0);
		if (fds[f] < 0)
			die("socket");
		if (connect(fds[f], (struct sockaddr *)&ss, sl))
			die("connect");
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	end = t0 + secs;
	for (f = 0; !stop; f = (f + 1) % flows) {
		int n = sendmmsg(fds[f], msgs, BATCH, 0);

		if (n > 0) {
			sent += n;
		} else if (n < 0 && errno != EINTR) {
			/* ENOBUFS / ECONNREFUSED (ICMP from a closed port):
			 * counted, never fatal, the flood goes on. */
			errors++;
		}
		/* Reading the clock every batch costs more than it tells. */
		if ((f & 15) == 0 && now_s() >= end)
			break;
	}
	t1 = now_s();
	printf("{\"sent\":%llu,\"secs\":%.3f,\"pps\":%.0f,\"errors\":%llu,\"flows\":%u,\"size\":%u}\n",
	       sent, t1 - t0, sent / (t1 - t0), errors, flows, size);
	return 0;
}

static int do_recv(const char *bind_addr, unsigned port, const char *ready_file)
{
	static char bufs[BATCH][2048];
	struct sockaddr_storage ss;
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	unsigned long long received = 0, bytes = 0;
	int fd, one = 1, rcvbuf = 4 << 20;
	socklen_t sl;

	sl = parse_addr(bind_addr, port, &ss);
	if (!sl) {
		fprintf(stderr, "udpflood: --bind %s: not an IPv4 or IPv6 address\n", bind_addr);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Capped by net.core.rmem_max; the namespace's default is fine. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, sl))
		die("bind");
	for (int i = 0; i < BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (ready_file) {
		int rf = open(ready_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (rf < 0)
			die(ready_file);
		close(rf);
	}
	while (!stop) {
		struct pollfd p = { fd, POLLIN, 0 };
		int n;

		/* A timeout so a signal between the check and the call
		 * cannot leave us blocked forever. */
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		received += n;
		for (int i = 0; i < n; i++)
			bytes += msgs[i].msg_len;
	}
	printf("{\"received\":%llu,\"bytes\":%llu}\n", received, bytes);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: udpflood send --dst ADDR [--port P] [--flows N] [--size BYTES] "
		     "[--secs S]\n"
		     "       udpflood recv [--bind ADDR] [--port P] [--ready-file F]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dst", required_argument, NULL, 'D' },
		{ "bind", required_argument, NULL, 'B' },
		{ "port", required_argument, NULL, 'p' },
		{ "flows", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "secs", required_argument, NULL, 't' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *dst = NULL, *bind_addr = "0.0.0.0", *ready = NULL, *mode;
	unsigned port = 9000, flows = 64, size = 64;
	double secs = 5;
	struct sigaction sa = { .sa_handler = on_signal };
	int c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	mode = argv[1];
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D': dst = optarg; break;
		case 'B': bind_addr = optarg; break;
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 'f': flows = strtoul(optarg, NULL, 10); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 't': secs = strtod(optarg, NULL); break;
		case 'r': ready = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!port || port > 65535 || !flows || flows > MAX_FLOWS || !size || size > MAX_SIZE ||
	    secs <= 0) {
		fprintf(stderr, "udpflood: --port 1-65535, --flows 1-%d, --size 1-%d, --secs > 0\n",
			MAX_FLOWS, MAX_SIZE);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!strcmp(mode, "send")) {
		if (!dst) {
			usage(stderr);
			return 2;
		}
		return do_send(dst, port, flows, size, secs);
	}
	if (!strcmp(mode, "recv"))
		return do_recv(bind_addr, port, ready);
	usage(stderr);
	return 2;
}
