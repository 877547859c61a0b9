// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The VM behind a tap (see vmname.h). Each source is the one its VMM
 * keeps for itself, read as text: Proxmox's VMID.conf `name:` line, the
 * file name of libvirt's live domain XML that has the tap as its target,
 * QEMU's -name from the holder's command line, the holder's comm. Only
 * the one attribute is looked for in libvirt's XML (its own writer emits
 * `<target dev='vnet3'/>`), so no XML parser is brought in for it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procfd.h"
#include "vmname.h"

static bool tun_iff(const char *line, void *ctx)
{
	const char *tap = ctx;
	size_t n = strlen(tap);

	/* tun_chr_show_fdinfo(): "iff:\t%s\n" */
	if (strncmp(line, "iff:", 4))
		return false;
	line += 4;
	while (*line == ' ' || *line == '\t')
		line++;
	return !strncmp(line, tap, n) && (line[n] == '\n' || line[n] == '\0');
}

/* Proxmox: tap<VMID>i<N>. */
static int pve_vmid(const char *tap)
{
	char *end;
	long id;

	if (strncmp(tap, "tap", 3) || !isdigit((unsigned char)tap[3]))
		return -1;
	id = strtol(tap + 3, &end, 10);
	if (*end != 'i' || !isdigit((unsigned char)end[1]) || id <= 0 || id > 999999999)
		return -1;
	for (end++; *end; end++)
		if (!isdigit((unsigned char)*end))
			return -1;
	return (int)id;
}

static void set(struct vm_ident *out, const char *src, const char *name, size_t n)
{
	if (n >= sizeof(out->name))
		n = sizeof(out->name) - 1;
	memcpy(out->name, name, n);
	out->name[n] = '\0';
	out->source = src;
}

static bool pve_name(const char *root, int vmid, struct vm_ident *out)
{
	char path[512], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d.conf", root, vmid);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* The VM's own section comes first; snapshots follow "[name]". */
	while (!found && fgets(line, sizeof(line), f) && line[0] != '[') {
		if (!strncmp(line, "name:", 5)) {
			char *v = line + 5;

			v += strspn(v, " \t");
			set(out, "proxmox", v, strcspn(v, " \t\r\n"));
			found = out->name[0];
		}
	}
	fclose(f);
	return found;
}

static bool file_has(const char *path, const char *needle1, const char *needle2)
{
	char *buf = NULL;
	size_t len = 0;
	bool found;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	/* Live domain XML is a few tens of KiB; read it whole. */
	found = getdelim(&buf, &len, '\0', f) > 0 && (strstr(buf, needle1) || strstr(buf, needle2));
	free(buf);
	fclose(f);
	return found;
}

static bool libvirt_name(const char *root, const char *tap, struct vm_ident *out)
{
	char n1[64], n2[64], path[768];
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(root);

	if (!d)
		return false;
	snprintf(n1, sizeof(n1), "<target dev='%s'", tap);
	snprintf(n2, sizeof(n2), "<target dev=\"%s\"", tap);
	while (!found && (de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l <= 4 || strcmp(de->d_name + l - 4, ".xml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		if (file_has(path, n1, n2)) {
			set(out, "libvirt", de->d_name, l - 4);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* QEMU's -name: "NAME", "NAME,process=…" or "guest=NAME,debug-threads=on";
 * ",," is a literal comma. The name is the "guest=" part, or a first part
 * that is not key=value. */
static bool qemu_name(const char *arg, struct vm_ident *out)
{
	const char *p = arg;

	for (int part = 0; *p; part++) {
		char v[VM_NAME_LEN];
		size_t o = 0;

		for (; *p && !(*p == ',' && p[1] != ','); p++) {
			if (*p == ',')
				p++; /* ",," */
			if (o + 1 < sizeof(v))
				v[o++] = *p;
		}
		v[o] = '\0';
		if (*p == ',')
			p++;
		if (o > 6 && !memcmp(v, "guest=", 6)) {
			set(out, "qemu", v + 6, o - 6);
			return true;
		}
		if (part == 0 && o && !strchr(v, '=')) {
			set(out, "qemu", v, o);
			return true;
		}
	}
	return false;
}

static bool cmdline_name(const char *proc, int pid, struct vm_ident *out)
{
	char path[512], *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/cmdline", proc, pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = getdelim(&buf, &cap, '\0', f);
	/* getdelim stops at the first NUL: read the arguments one by one. */
	while (n > 0 && !found) {
		if (!strcmp(buf, "-name") || !strcmp(buf, "--name")) {
			n = getdelim(&buf, &cap, '\0', f);
			found = n > 0 && qemu_name(buf, out);
			break;
		}
		n = getdelim(&buf, &cap, '\0', f);
	}
	free(buf);
	fclose(f);
	return found;
}

static bool comm_name(const char *proc, int pid, struct vm_ident *out)
{
	char path[512], comm[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/comm", proc, pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	if (!comm[0])
		return false;
	set(out, "process", comm, strlen(comm));
	return true;
}

int vm_ident_of_tap(const char *tap, const struct vm_roots *roots, struct vm_ident *out)
{
	static const char *const tun[] = { "/dev/net/tun", NULL };
	const char *proc = roots && roots->proc ? roots->proc : "/proc";
	const char *lv = roots && roots->libvirt ? roots->libvirt : "/run/libvirt/qemu";
	const char *pve = roots && roots->pve ? roots->pve : "/etc/pve/qemu-server";

	memset(out, 0, sizeof(*out));
	out->vmid = pve_vmid(tap);
	out->pid = procfd_find(proc, tun, tun_iff, (void *)tap);
	if (out->vmid >= 0 && pve_name(pve, out->vmid, out))
		return 0;
	if (libvirt_name(lv, tap, out))
		return 0;
	if (out->pid && cmdline_name(proc, out->pid, out))
		return 0;
	if (out->vmid >= 0) {
		snprintf(out->name, sizeof(out->name), "%d", out->vmid);
		out->source = "proxmox";
		return 0;
	}
	if (out->pid && comm_name(proc, out->pid, out))
		return 0;
	return -ENOENT;
}

size_t vm_ident_str(const struct vm_ident *id, char *buf, size_t len)
{
	int n;

	if (!id->source)
		n = snprintf(buf, len, "%s", "");
	else if (id->pid)
		n = snprintf(buf, len, "%s, pid %d", id->name, id->pid);
	else
		n = snprintf(buf, len, "%s", id->name);
	return n < 0 ? 0 : (size_t)n;
}
