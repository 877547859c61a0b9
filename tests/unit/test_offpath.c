// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The path from a guest's tap to the uplink over a pretend host's
 * interfaces (fake_ifaces.h): which devices, in which order, and where a
 * kind of super-frame first meets a NIC that segments or checksums it in
 * hardware.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include "fake_ifaces.h"
#include "offpath.h"
#include "remedy.h"

enum { TAP0 = 10, TAP1 = 11, BR0 = 3, ENO1 = 2, BOND0 = 4, VETH = 5, BR1 = 6, TAP9 = 12 };

static struct vno_iface ifs[8];
static size_t n;

static struct vno_iface *add(const char *name, const char *driver, __u32 ifx, __u32 master)
{
	struct vno_iface *it = &ifs[n++];

	fake_iface(it, name, driver, ifx);
	it->master = master;
	return it;
}

static void names(const struct vno_path *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s:%s", i ? " " : "", p->hop[i].name,
				p->hop[i].role);
}

/* tap0, tap1 on br0 with the uplink eno1 (e1000e); tap9 alone on br1. */
static void host(void)
{
	n = 0;
	add("tap0", "tun", TAP0, BR0);
	add("tap1", "tun", TAP1, BR0);
	add("br0", "bridge", BR0, 0);
	add("eno1", "e1000e", ENO1, BR0);
	add("br1", "bridge", BR1, 0);
	add("tap9", "tun", TAP9, BR1);
}

Test(offpath, tso_from_the_tap_meets_the_e1000e)
{
	struct vno_path p;
	char buf[256];

	host();
	cr_assert_eq(path_build(&p, ifs, n, "tap0", "eno1", REM_BIT(REM_TSO4), NULL, NULL), 0);
	names(&p, buf, sizeof(buf));
	cr_assert_str_eq(buf, "tap0:tap br0:bridge eno1:uplink");
	cr_assert_eq(p.meet, 2);
	cr_assert(p.meet_segments);
	cr_assert_str_eq(p.note, "TCPv4 super-frames (TSO) from tap0 reach eno1 (e1000e), which "
				 "segments them in hardware (tx-tcp-segmentation on)");
	/* The same with the NIC's TSO off: checksummed there, segmented before. */
	ifs[3].offload[VNO_OL_TSO] = VNO_OFF_OFF;
	path_build(&p, ifs, n, "tap0", "eno1", REM_BIT(REM_TSO4), NULL, NULL);
	cr_assert_eq(p.meet, 2);
	cr_assert(!p.meet_segments);
	/* And with its TX checksumming off too: nothing in hardware. */
	ifs[3].offload[VNO_OL_TX_CSUM] = VNO_OFF_OFF;
	path_build(&p, ifs, n, "tap0", "eno1", REM_BIT(REM_TSO4), NULL, NULL);
	cr_assert_eq(p.meet, -1);
	cr_assert_not_null(strstr(p.note, "eno1 (e1000e) has these offloads off"), "%s", p.note);
}

Test(offpath, every_tap_of_the_bridge_when_none_is_named)
{
	struct vno_path p;
	char buf[256];

	host();
	/* A hang on eno1 with no tap to blame; the other bridge's tap is not
	 * on this path. */
	cr_assert_eq(path_build(&p, ifs, n, NULL, "eno1", REM_BIT(REM_USO), NULL, NULL), 0);
	names(&p, buf, sizeof(buf));
	cr_assert_str_eq(buf, "tap0:tap tap1:tap br0:bridge eno1:uplink");
	cr_assert_not_null(strstr(p.note, "UDP super-frames (USO) from the guests reach eno1"),
			   "%s", p.note);
	/* doctor: the bridge itself, every uplink of it. */
	cr_assert_eq(path_build(&p, ifs, n, NULL, "br0", REM_BIT(REM_TSO6), NULL, NULL), 0);
	names(&p, buf, sizeof(buf));
	cr_assert_str_eq(buf, "tap0:tap tap1:tap br0:bridge eno1:uplink");
	cr_assert_eq(p.meet, 3);
}

Test(offpath, a_bond_under_the_bridge_and_software_only)
{
	struct vno_path p;
	char buf[256];

	n = 0;
	add("tap0", "tun", TAP0, BR0);
	add("br0", "bridge", BR0, 0);
	add("bond0", "bond", BOND0, BR0);
	add("eno1", "e1000e", ENO1, BOND0);
	cr_assert_eq(path_build(&p, ifs, n, "tap0", "bond0", REM_BIT(REM_TSO4), NULL, NULL), 0);
	names(&p, buf, sizeof(buf));
	cr_assert_str_eq(buf, "tap0:tap br0:bridge bond0:uplink eno1:lower");
	/* The bond is software: the NIC under it is where the hardware is. */
	cr_assert_eq(p.meet, 3);
	cr_assert(!p.hop[2].hw && p.hop[3].hw);

	/* A veth uplink (the test bed): no NIC, said so. */
	n = 0;
	add("tap0", "tun", TAP0, BR0);
	add("br0", "bridge", BR0, 0);
	add("up0", "veth", VETH, BR0);
	cr_assert_eq(path_build(&p, ifs, n, "tap0", "up0", REM_BIT(REM_TSO4), NULL, NULL), 0);
	cr_assert_eq(p.meet, -1);
	cr_assert_str_eq(p.note, "no NIC on this path (software devices only): TCPv4 super-frames "
				 "(TSO) stay whole or are segmented in software");
}

Test(offpath, no_bridge_no_path)
{
	struct vno_path p;

	n = 0;
	add("tap0", "tun", TAP0, 0);
	add("eno1", "e1000e", ENO1, 0);
	cr_assert_eq(path_build(&p, ifs, n, "tap0", "eno1", REM_BIT(REM_TSO4), NULL, NULL), -ENOENT);
	cr_assert_eq(p.n, 0);
	cr_assert_eq(path_build(&p, ifs, n, "nosuch", NULL, 0, NULL, NULL), -ENOENT);
}

Test(offpath, columns_from_the_whole_feature_list)
{
	static struct vno_feature f[] = {
		{ "tx-tcp-segmentation", true, true }, { "tx-tcp6-segmentation", false, true },
		{ "tx-checksum-ipv4", true, true },    { "tx-checksum-ipv6", false, true },
		{ "tx-generic-segmentation", true, true },
	};
	struct vno_features fs = { 5, f };
	signed char col[PC__MAX];

	path_cols_from_features(&fs, col);
	cr_assert_eq(col[PC_TSO], VNO_OFF_ON);
	cr_assert_eq(col[PC_TSO6], VNO_OFF_OFF);
	cr_assert_eq(col[PC_USO], VNO_OFF_UNKNOWN); /* the device has no such feature */
	cr_assert_eq(col[PC_GSO], VNO_OFF_ON);
	cr_assert_eq(col[PC_CSUM], VNO_OFF_ON);	    /* one of the three is enough */
	cr_assert(path_driver_is_hw("e1000e") && path_driver_is_hw("virtio_net"));
	cr_assert(!path_driver_is_hw("tun") && !path_driver_is_hw("802.1Q VLAN Support") &&
		  !path_driver_is_hw(""));
}
