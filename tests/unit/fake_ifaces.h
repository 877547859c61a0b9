/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Interfaces of a pretend host for the diagnosis tests: one namespace,
 * MTU 1500, the usual GSO/TSO limits and every offload on, each with the
 * name, driver and ifindex a test gives it.
 */
#ifndef VNO_TEST_FAKE_IFACES_H
#define VNO_TEST_FAKE_IFACES_H

#include <string.h>
#include "ifaces.h"

#define FAKE_NETNS 4026531840u

static inline void fake_iface(struct vno_iface *it, const char *name, const char *driver,
			      __u32 ifindex)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", name);
	snprintf(it->driver, sizeof(it->driver), "%s", driver);
	it->ifindex = ifindex;
	it->netns = FAKE_NETNS;
	it->mtu = 1500;
	it->gso_max_size = 65536;
	it->gso_max_segs = 65535;
	it->tso_max_size = 65536;
	it->tso_max_segs = 65535;
	memset(it->offload, VNO_OFF_ON, sizeof(it->offload));
}

#endif
