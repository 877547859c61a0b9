// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A tap as a VMM opens it (tap.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "tap.h"

#ifndef SIOCBRADDIF
#define SIOCBRADDIF 0x89a2
#endif

/* The bridge port state in sysfs (BR_STATE_FORWARDING, include/uapi/linux/if_bridge.h). */
#define BR_STATE_FORWARDING_ 3

static const struct {
	unsigned bit;
	const char *name;
} off_names[] = {
	{ TUN_F_CSUM, "csum" }, { TUN_F_TSO4, "tso4" }, { TUN_F_TSO6, "tso6" },
	{ TUN_F_TSO_ECN, "tso_ecn" }, { TUN_F_UFO, "ufo" }, { TUN_F_USO4, "uso4" },
	{ TUN_F_USO6, "uso6" },
};

const char *tap_offloads_str(unsigned off, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(off_names) / sizeof(off_names[0]); i++)
		if (off & off_names[i].bit)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "",
					      off_names[i].name);
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

static int read_sysfs(const char *dev, const char *what, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", dev, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

/* The bridge @dev is a port of, "" none. */
static void master_of(const char *dev, char *buf, size_t len)
{
	char link[256], path[128];
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	snprintf(buf, len, "%.*s", IFNAMSIZ, strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
}

static int enslave(int sk, const char *dev, const char *bridge, char *err, size_t errlen)
{
	struct ifreq br = { 0 };
	char cur[IFNAMSIZ + 1];

	master_of(dev, cur, sizeof(cur));
	if (!strcmp(cur, bridge))
		return 0;
	if (cur[0]) {
		snprintf(err, errlen, "%s is a port of %s, not of %s", dev, cur, bridge);
		return -EBUSY;
	}
	snprintf(br.ifr_name, IFNAMSIZ, "%s", bridge);
	br.ifr_ifindex = (int)if_nametoindex(dev);
	if (ioctl(sk, SIOCBRADDIF, &br) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot make %s a port of it: %s", bridge, dev,
			 e == ENODEV ? "no such bridge" : strerror(e));
		return -e;
	}
	return 0;
}

static int set_up(int sk, const char *dev, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
	if (ioctl(sk, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot bring it up: %s", dev, strerror(e));
		return -e;
	}
	return 0;
}

/* A frame written before the bridge port forwards is dropped by the
 * bridge: wait for the state (learning and forward delay with STP). */
static int wait_forwarding(const char *dev, const char *bridge, unsigned ms, char *err,
			   size_t errlen)
{
	struct timespec t = { 0, 20 * 1000 * 1000 };
	unsigned waited;
	char state[16];

	for (waited = 0;; waited += 20) {
		if (!read_sysfs(dev, "brport/state", state, sizeof(state)) &&
		    atoi(state) == BR_STATE_FORWARDING_)
			return 0;
		if (waited >= ms)
			break;
		nanosleep(&t, NULL);
	}
	snprintf(err, errlen, "%s: the port of %s did not reach the forwarding state in %u ms "
		 "(STP forward delay?)", bridge, dev, ms);
	return -ETIMEDOUT;
}

int tap_open_vmm(const struct tap_opts *o, unsigned *offloads_set, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	char master[IFNAMSIZ + 1];
	int fd, sk = -1, hdrsz = o->vnet_hdr_len ? o->vnet_hdr_len : (int)sizeof(struct virtio_net_hdr);
	int ret;
	unsigned off = o->offloads;

	if (!o->name[0] || strlen(o->name) >= IFNAMSIZ) {
		snprintf(err, errlen, "--tap %.32s: not an interface name", o->name);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (o->blocking ? 0 : O_NONBLOCK));
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(-ret));
		return ret;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", o->name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open it as a tap: %s", o->name,
			 ret == -EBUSY ? "another process holds it (a running VMM?)" :
			 ret == -EINVAL ? "it exists and is not a tap" : strerror(-ret));
		goto fail;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: TUNSETVNETHDRSZ %d: %s", o->name, hdrsz, strerror(-ret));
		goto fail;
	}
	/* Kernels before 6.2 refuse the USO bits: offer what they know, and
	 * the frames that need them are refused and counted. */
	if (ioctl(fd, TUNSETOFFLOAD, off) < 0) {
		off &= ~(unsigned)(TUN_F_USO4 | TUN_F_USO6);
		if (ioctl(fd, TUNSETOFFLOAD, off) < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: TUNSETOFFLOAD: %s", o->name, strerror(-ret));
			goto fail;
		}
	}
	*offloads_set = off;
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		goto fail;
	}
	if (o->bridge && (ret = enslave(sk, o->name, o->bridge, err, errlen)))
		goto fail;
	if ((ret = set_up(sk, o->name, err, errlen)))
		goto fail;
	/* A port of a bridge, named or found (a persistent tap a lab made). */
	master_of(o->name, master, sizeof(master));
	if (master[0] && (ret = wait_forwarding(o->name, master, o->wait_ms, err, errlen)))
		goto fail;
	close(sk);
	return fd;
fail:
	if (sk >= 0)
		close(sk);
	close(fd);
	return ret;
}
