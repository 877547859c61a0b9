// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* vnoffload-trace doctor: what this kernel allows and what record would use. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "cmds.h"
#include "filter.h"
#include "decode.h"
#include "ifaces.h"
#include "json.h"
#include "json_writer.h"
#include "loader.h"
#include "offpath.h"
#include "print.h"
#include "probe.h"
#include "remedy.h"

static const char *ol_state(signed char s)
{
	return s == VNO_OFF_ON ? "on" : s == VNO_OFF_OFF ? "off" : "?";
}

enum { COL_NAME, COL_IFINDEX, COL_DRIVER, COL_MTU, COL_GSO, COL_TSO, COL__MAX };
#define CELL_LEN TERM_STR_LEN(sizeof(((struct vno_iface *)0)->driver))

/* One row of the interface table, as text made safe for the terminal. */
static void iface_cells(const struct vno_iface *it, char cell[COL__MAX][CELL_LEN])
{
	char name[VNO_IFNAMSIZ + 1];

	snprintf(name, sizeof(name), "%.*s", VNO_IFNAMSIZ, it->name);
	term_str(cell[COL_NAME], CELL_LEN, name);
	snprintf(cell[COL_IFINDEX], CELL_LEN, "%u", it->ifindex);
	term_str(cell[COL_DRIVER], CELL_LEN, it->driver[0] ? it->driver : "-");
	snprintf(cell[COL_MTU], CELL_LEN, "%u", it->mtu);
	snprintf(cell[COL_GSO], CELL_LEN, "%u/%u", it->gso_max_size, it->gso_max_segs);
	snprintf(cell[COL_TSO], CELL_LEN, "%u/%u", it->tso_max_size, it->tso_max_segs);
}

/* The interface table: each column as wide as its widest value (a long
 * name or driver, a TSO limit of 524280/65535), so the rows stay aligned. */
static void print_ifaces(const struct vno_iface *ifs, size_t n)
{
	static const char *const head[COL__MAX] = { "NAME", "IFINDEX", "DRIVER", "MTU",
						    "GSO_MAX", "TSO_MAX" };
	char cell[COL__MAX][CELL_LEN];
	int w[COL__MAX], olw[VNO_OL__MAX];

	for (int c = 0; c < COL__MAX; c++)
		w[c] = (int)strlen(head[c]);
	for (size_t i = 0; i < n; i++) {
		iface_cells(&ifs[i], cell);
		for (int c = 0; c < COL__MAX; c++)
			if ((int)strlen(cell[c]) > w[c])
				w[c] = (int)strlen(cell[c]);
	}
	/* An offload column holds "on", "off" or "?" under its name. */
	for (int k = 0; k < VNO_OL__MAX; k++)
		olw[k] = strlen(vno_offload_name(k)) > 3 ? (int)strlen(vno_offload_name(k)) : 3;
	printf(" ");
	for (int c = 0; c < COL__MAX; c++)
		printf(" %-*s", w[c], head[c]);
	for (int k = 0; k < VNO_OL__MAX; k++)
		printf(" %-*s", k + 1 < VNO_OL__MAX ? olw[k] : 0, vno_offload_name(k));
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		iface_cells(&ifs[i], cell);
		printf(" ");
		for (int c = 0; c < COL__MAX; c++)
			printf(" %-*s", w[c], cell[c]);
		/* No padding after the last column. */
		for (int k = 0; k < VNO_OL__MAX; k++)
			printf(" %-*s", k + 1 < VNO_OL__MAX ? olw[k] : 0,
			       ol_state(ifs[i].offload[k]));
		printf("\n");
	}
}

/* Every offload of a path device, read now (ethtool -k), for its columns. */
static void live_cols(const struct vno_iface *it, signed char col[PC__MAX], void *ctx)
{
	struct vno_features fs;

	(void)ctx;
	if (vno_features_read(it->name, &fs)) {
		path_cols_from_iface(it, col);
		return;
	}
	path_cols_from_features(&fs, col);
	vno_features_free(&fs);
}

/* The frames a guest hands its tap: TCP of both versions and UDP
 * super-frames, with their checksums left to the host. */
#define GUEST_KINDS                                                                 \
	(REM_BIT(REM_TSO4) | REM_BIT(REM_TSO6) | REM_BIT(REM_USO) | REM_BIT(REM_CSUM4) | \
	 REM_BIT(REM_CSUM6))

/* One path per bridge that has ports: its taps, itself, its uplinks.
 * Returns how many went into @paths (malloc'd). */
static size_t bridge_paths(const struct vno_iface *ifs, size_t n, struct vno_path **paths)
{
	size_t k = 0;

	*paths = calloc(n ? n : 1, sizeof(**paths));
	for (size_t i = 0; *paths && i < n; i++) {
		bool ports = false;

		if (strcmp(ifs[i].driver, "bridge"))
			continue;
		for (size_t j = 0; j < n && !ports; j++)
			ports = ifs[j].master == ifs[i].ifindex;
		if (ports && !path_build(&(*paths)[k], ifs, n, NULL, ifs[i].name, GUEST_KINDS,
					 live_cols, NULL))
			k++;
	}
	return k;
}

int do_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char hooks[VNO_HOP__MAX][VNO_HOOK_LEN], tfwhy[256] = "";
	struct vno_iface *ifs = NULL;
	struct vno_path *paths = NULL;
	size_t n = 0, np = 0;
	struct utsname u;
	bool json = g_opts.json, priv, btf, tracefs, bpffs;
	const struct loader_drv *drv = NULL;
	int nd = 0;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'j') {
			json = g_opts.json = true;
		} else if (c == 'h') {
			printf("usage: vnoffload-trace doctor [--json]\n");
			return 0;
		} else {
			cmd_error("unknown option %s; usage: vnoffload-trace doctor [--json]",
				  argv[optind - 1]);
			return 2;
		}
	}
	uname(&u);
	priv = have_bpf_privileges();
	btf = probe_have_btf();
	tracefs = probe_tracefs(tfwhy, sizeof(tfwhy));
	bpffs = probe_bpffs();
	if (priv) {
		loader_plan(hooks, TC_AUTO);
		nd = loader_drivers(NULL, ATTACH_AUTO, &drv);
	}
	r = ifaces_list(&ifs, &n);
	np = bridge_paths(ifs, n, &paths);

	if (json) {
		struct jw w;

		jw_init(&w, stdout);
		jw_object(&w);
		jw_kstr(&w, "type", "doctor");
		jw_kstr(&w, "version", VNO_VERSION);
		jw_kstr(&w, "kernel", u.release);
		jw_kstr(&w, "machine", u.machine);
		jw_kbool(&w, "privileged", priv);
		jw_kbool(&w, "btf", btf);
		jw_kbool(&w, "tracefs", tracefs);
		jw_kbool(&w, "bpffs", bpffs);
		jw_ku64(&w, "netns", ifaces_netns_self());
		jw_kobject(&w, "program_kinds");
		for (int k = 0; priv && k < PROBE__MAX; k++) {
			const struct probe_result *p = probe_kind(k);

			jw_kobject(&w, probe_kind_name(k));
			jw_kbool(&w, "ok", p->ok);
			jw_kstr(&w, "why", p->why);
			jw_end(&w);
		}
		jw_end(&w);
		jw_kobject(&w, "hops");
		for (int h = 0; priv && h < VNO_HOP__MAX; h++)
			jw_kstr(&w, vno_hop_name(h), hooks[h]);
		jw_end(&w);
		/* Where record's -f and -m run: in the BPF programs on every
		 * kernel the tool loads on (bounded loops, 5.3; JMP32, 5.1). */
		jw_kstr(&w, "filter_evaluated", "bpf");
		jw_karray(&w, "drivers");
		for (int i = 0; i < nd; i++) {
			jw_object(&w);
			jw_kstr(&w, "function", drv[i].func);
			jw_kstr(&w, "driver", drv[i].driver);
			jw_kstr(&w, "use", drv[i].use);
			jw_kstr(&w, "what", drv[i].what);
			jw_end(&w);
		}
		jw_end(&w);
		jw_karray(&w, "interfaces");
		for (size_t i = 0; i < n; i++) {
			jw_object(&w);
			jw_kstr(&w, "name", ifs[i].name);
			jw_ku64(&w, "ifindex", ifs[i].ifindex);
			jw_kstr(&w, "driver", ifs[i].driver);
			jw_kbool(&w, "up", ifs[i].up);
			jw_ku64(&w, "mtu", ifs[i].mtu);
			jw_ku64(&w, "gso_max_size", ifs[i].gso_max_size);
			jw_ku64(&w, "gso_max_segs", ifs[i].gso_max_segs);
			jw_ku64(&w, "tso_max_size", ifs[i].tso_max_size);
			jw_ku64(&w, "tso_max_segs", ifs[i].tso_max_segs);
			jw_kobject(&w, "offloads");
			for (int k = 0; k < VNO_OL__MAX; k++)
				jw_kstr(&w, vno_offload_name(k), ol_state(ifs[i].offload[k]));
			jw_end(&w);
			jw_end(&w);
		}
		jw_end(&w);
		jw_karray(&w, "paths");
		for (size_t i = 0; i < np; i++)
			path_json(&w, &paths[i]);
		jw_end(&w);
		jw_end(&w);
	} else {
		printf("kernel          %s (%s)\n", u.release, u.machine);
		printf("privileges      %s\n", priv ? "yes" : "no: run as root to probe and record");
		printf("BTF             %s\n", btf ? "/sys/kernel/btf/vmlinux"
						   : "missing: needs CONFIG_DEBUG_INFO_BTF");
		printf("tracefs         %s\n", tracefs ? "mounted" : tfwhy);
		printf("bpffs           %s\n", bpffs ? "mounted (not needed: nothing is pinned)"
						     : "not mounted (not needed: nothing is pinned)");
		if (priv) {
			printf("\nprogram kinds (loaded and attached here):\n");
			for (int k = 0; k < PROBE__MAX; k++) {
				const struct probe_result *p = probe_kind(k);

				printf("  %-12s %s%s%s\n", probe_kind_name(k), p->ok ? "yes" : "no",
				       p->ok ? "" : ": ", p->why);
			}
			printf("\nhops on this kernel:\n");
			for (int h = 0; h < VNO_HOP__MAX; h++)
				printf("  %-10s %s\n", vno_hop_name(h), hooks[h]);
			printf("\nfilters (-f, -m): record evaluates them in the BPF programs "
			       "(a frame left out costs no ring-buffer record); -m on vm, anomaly "
			       "and a dev glob, a -f too long for the programs' block, and export's "
			       "filter run in user space, after decoding\n");
			printf("\ndriver functions (fentry first, else kprobe):\n");
			for (int i = 0; i < nd; i++)
				printf("  %-20s %-11s %s\n      %s\n", drv[i].func, drv[i].driver,
				       drv[i].use, drv[i].what);
		}
		printf("\ninterfaces (netns %u):\n", ifaces_netns_self());
		print_ifaces(ifs, n);
		if (np)
			printf("\npaths from the guests' taps to the uplinks (what each device does "
			       "with a guest's super-frame):\n");
		for (size_t i = 0; i < np; i++) {
			if (i)
				printf("\n");
			path_print(stdout, &paths[i], "  ");
		}
	}
	free(paths);
	free(ifs);
	if (r) {
		cmd_error("listing interfaces failed: %s", strerror(-r));
		return 1;
	}
	return 0;
}
