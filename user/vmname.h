/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The VM behind a tap: the VMM that holds it and the name it gives the guest. */
#ifndef VNO_VMNAME_H
#define VNO_VMNAME_H

#include <stddef.h>

#define VM_NAME_LEN 64

struct vm_ident {
	int pid;		/* the process holding the tap, 0 when none */
	int vmid;		/* Proxmox VMID from tapVMIDiN, -1 otherwise */
	char name[VM_NAME_LEN];	/* "web-01", "101", or "qemu-system-x86" (pid) */
	const char *source;	/* "proxmox", "libvirt", "qemu", "process", or NULL */
};

/* Where to look; NULL fields take the host's own paths. Tests point them
 * at a tree of their own. */
struct vm_roots {
	const char *proc;	/* /proc */
	const char *libvirt;	/* /run/libvirt/qemu */
	const char *pve;	/* /etc/pve/qemu-server */
};

/*
 * Name the VM behind @tap: Proxmox's `name:` of VMID.conf for tapVMIDiN;
 * libvirt's domain whose XML under /run/libvirt/qemu has <target
 * dev='TAP'/>; QEMU's `-name guest=NAME` / `-name NAME` of the process
 * holding the tap (the `iff:` line of its /dev/net/tun descriptor); else
 * that process's name. 0 when something was found, -ENOENT when nothing.
 */
int vm_ident_of_tap(const char *tap, const struct vm_roots *roots, struct vm_ident *out);

/* "web-01 (pid 4242)", "vm 101 web-01", … for sentences. */
size_t vm_ident_str(const struct vm_ident *id, char *buf, size_t len);

#endif
