// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* live.c's choice of interfaces: -i names and globs, --vm globs, both, none. */
#include <criterion/criterion.h>
#include "live.h"

Test(live, no_pattern_takes_every_interface)
{
	struct live *lv = live__new(NULL, 0, NULL, 0);

	cr_assert_not_null(lv);
	cr_assert(live_match(lv, "eth0", NULL));
	cr_assert(live_match(lv, "tap101i0", "web-01"));
	live__free(lv);
}

Test(live, names_and_globs)
{
	char *pats[] = { "eno1", "tap*i0", "vnet[0-9]" };
	struct live *lv = live__new(pats, 3, NULL, 0);

	cr_assert(live_match(lv, "eno1", NULL));
	cr_assert_not(live_match(lv, "eno10", NULL), "a name is not a prefix");
	cr_assert(live_match(lv, "tap101i0", ""));
	cr_assert_not(live_match(lv, "tap101i1", "web-01"), "the VM does not choose without --vm");
	cr_assert(live_match(lv, "vnet7", NULL));
	cr_assert_not(live_match(lv, "vnet12", NULL));
	cr_assert_not(live_match(lv, "", NULL));
	live__free(lv);
}

Test(live, vm_globs)
{
	char *vms[] = { "web-*" };
	struct live *lv = live__new(NULL, 0, vms, 1);

	cr_assert(live_match(lv, "tap101i0", "web-01"));
	cr_assert(live_match(lv, "vnet3", "web-02"));
	cr_assert_not(live_match(lv, "vnet4", "db-01"));
	cr_assert_not(live_match(lv, "eth0", ""), "no VM known: not chosen by --vm");
	cr_assert_not(live_match(lv, "eth0", NULL));
	cr_assert_not(live_match(lv, "web-01", NULL), "--vm matches the VM, not the device");
	live__free(lv);
}

Test(live, names_or_vms)
{
	char *pats[] = { "eno1" };
	char *vms[] = { "db" };
	struct live *lv = live__new(pats, 1, vms, 1);

	cr_assert(live_match(lv, "eno1", NULL));
	cr_assert(live_match(lv, "tap7i0", "db"));
	cr_assert_not(live_match(lv, "tap8i0", "dbx"));
	live__free(lv);
}

Test(live, pattern_is_name)
{
	cr_assert(live_pattern_is_name("tap0"));
	cr_assert(live_pattern_is_name("tap101i0"));
	cr_assert_not(live_pattern_is_name("tap*"));
	cr_assert_not(live_pattern_is_name("vnet?"));
	cr_assert_not(live_pattern_is_name("eth[01]"));
}
