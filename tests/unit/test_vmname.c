// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The VM behind a tap, from a /proc, libvirt and Proxmox tree made here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>
#include "vmname.h"

static char root[64];
static char proc[128], lv[128], pve[128];

static void put(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* A process @pid holding the tun fd 7 for @tap, with @argv (NUL-separated). */
static void vmm(int pid, const char *tap, const char *argv, size_t argv_len, const char *comm)
{
	char p[256], info[128];

	snprintf(p, sizeof(p), "%s/%d", proc, pid);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%d/fd", proc, pid);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%d/fdinfo", proc, pid);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%d/fd/3", proc, pid);
	cr_assert_eq(symlink("/dev/null", p), 0);
	snprintf(p, sizeof(p), "%s/%d/fd/7", proc, pid);
	cr_assert_eq(symlink("/dev/net/tun", p), 0);
	snprintf(p, sizeof(p), "%s/%d/fdinfo/7", proc, pid);
	snprintf(info, sizeof(info), "pos:\t0\nflags:\t0104002\nmnt_id:\t25\nino:\t1\niff:\t%s\n", tap);
	put(p, info, strlen(info));
	snprintf(p, sizeof(p), "%s/%d/cmdline", proc, pid);
	put(p, argv, argv_len);
	snprintf(p, sizeof(p), "%s/%d/comm", proc, pid);
	put(p, comm, strlen(comm));
}

static void setup(void)
{
	char p[256];

	snprintf(root, sizeof(root), "/tmp/vno-vmname-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(lv, sizeof(lv), "%s/libvirt", root);
	snprintf(pve, sizeof(pve), "%s/pve", root);
	mkdir(proc, 0755);
	mkdir(lv, 0755);
	mkdir(pve, 0755);
#define ARGV(s) s, sizeof(s) - 1
	vmm(4242, "vt0", ARGV("qemu-system-x86_64\0-m\0512\0-name\0guest=web-01,debug-threads=on\0"),
	    "qemu-system-x86\n");
	vmm(4343, "vt1", ARGV("qemu\0-name\0db,,primary,process=qemu-db\0"), "qemu\n");
	vmm(4444, "tap101i0", ARGV("/usr/bin/kvm\0-id\0101\0-name\0ignored\0"), "kvm\n");
	vmm(4545, "vnet3", ARGV("qemu-system-x86_64\0-name\0guest=from-cmdline\0"), "qemu\n");
	vmm(4646, "tap0", ARGV("qemu-system-x86_64\0-m\0256\0"), "qemu-system-x86\n");
	snprintf(p, sizeof(p), "%s/101.conf", pve);
	put(p, ARGV("boot: order=scsi0\nname: mail-01\nnet0: virtio=AA:BB,bridge=vmbr0\n\n[snap1]\nname: old\n"));
	snprintf(p, sizeof(p), "%s/other.xml", lv);
	put(p, ARGV("<domstatus><domain><name>other</name><interface><target dev='vnet30'/></interface></domain></domstatus>"));
	snprintf(p, sizeof(p), "%s/win-11.xml", lv);
	put(p, ARGV("<domstatus><domain><name>win-11</name><interface type='bridge'><target dev='vnet3'/></interface></domain></domstatus>"));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(vmname, .init = setup, .fini = teardown);

Test(vmname, every_source)
{
	static const struct {
		const char *tap, *name, *source;
		int pid, vmid;
	} rows[] = {
		{ "vt0", "web-01", "qemu", 4242, -1 },
		{ "vt1", "db,primary", "qemu", 4343, -1 },
		{ "tap101i0", "mail-01", "proxmox", 4444, 101 },
		/* libvirt's domain wins over the command line. */
		{ "vnet3", "win-11", "libvirt", 4545, -1 },
		{ "tap0", "qemu-system-x86", "process", 4646, -1 },
	};
	struct vm_roots r = { proc, lv, pve };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vm_ident id;

		cr_assert_eq(vm_ident_of_tap(rows[i].tap, &r, &id), 0, "%s", rows[i].tap);
		cr_assert_str_eq(id.name, rows[i].name, "%s", rows[i].tap);
		cr_assert_str_eq(id.source, rows[i].source, "%s", rows[i].tap);
		cr_assert_eq(id.pid, rows[i].pid, "%s", rows[i].tap);
		cr_assert_eq(id.vmid, rows[i].vmid, "%s", rows[i].tap);
	}
}

Test(vmname, nothing_known)
{
	struct vm_roots r = { proc, lv, pve };
	struct vm_ident id;
	char s[96];

	cr_assert_eq(vm_ident_of_tap("eno1", &r, &id), -ENOENT);
	cr_assert_null(id.source);
	/* A Proxmox tap whose VM has no conf here and no holder: the VMID. */
	cr_assert_eq(vm_ident_of_tap("tap202i1", &r, &id), 0);
	cr_assert_str_eq(id.name, "202");
	/* "tap1i" and "tapXi0" are not Proxmox names. */
	cr_assert_eq(vm_ident_of_tap("tap1i", &r, &id), -ENOENT);
	cr_assert_eq(vm_ident_of_tap("tapxi0", &r, &id), -ENOENT);
	cr_assert_eq(vm_ident_of_tap("vt0", &r, &id), 0);
	vm_ident_str(&id, s, sizeof(s));
	cr_assert_str_eq(s, "web-01, pid 4242");
}
