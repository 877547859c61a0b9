/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The VM behind a tap, also after -Z USER dropped root: a helper process. */
#ifndef VNO_VMHELPER_H
#define VNO_VMHELPER_H

#include "vmname.h"

/* Fork the helper (while root, before -Z's drop): 0 or -errno. */
int vmhelper_start(void);
/* Let it go (it also dies with this process). */
void vmhelper_stop(void);
/*
 * vm_ident_of_tap on this host's paths, through the helper when one runs,
 * else here; @netns (may be NULL) gets the network namespace inode of the
 * process holding the tap, 0 when none or unknown.
 */
int vm_ident_lookup(const char *tap, struct vm_ident *out, unsigned *netns);

#endif
