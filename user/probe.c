// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Feature probes. Each program kind is loaded *and attached* with a two-
 * instruction program: a kind that loads but cannot attach (fentry under
 * some lockdowns) is as useless as one that does not load.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "json.h"
#include "log.h"
#include "probe.h"

#define TRACEFS "/sys/kernel/tracing"
/* Attach types newer than Debian 12's uapi headers (6.6: commit e420bed02507). */
#define VNO_BPF_TCX_INGRESS 46
#define VNO_BPF_TCX_EGRESS 47

static const char *const kind_names[PROBE__MAX] = {
	[PROBE_TP_BTF] = "tp_btf",	   [PROBE_RAW_TP] = "raw_tp",
	[PROBE_TRACEPOINT] = "tracepoint", [PROBE_KPROBE] = "kprobe",
	[PROBE_FENTRY] = "fentry",	   [PROBE_TC] = "tc",
	[PROBE_TCX] = "tcx",		   [PROBE_RINGBUF] = "ringbuf",
	[PROBE_KERN_CTX] = "tc_kern_ctx",
};

const char *probe_kind_name(int kind)
{
	return kind >= 0 && kind < PROBE__MAX ? kind_names[kind] : "?";
}

static libbpf_print_fn_t saved_print;
static int quiet_depth;

static int print_nothing(enum libbpf_print_level l, const char *f, va_list ap)
{
	return 0;
}

void probe_quiet(bool on)
{
	if (on && quiet_depth++ == 0)
		saved_print = libbpf_set_print(print_nothing);
	else if (!on && quiet_depth > 0 && --quiet_depth == 0)
		libbpf_set_print(saved_print);
}

/* The running kernel's BTF, parsed once for every probe until
 * probe_btf_release(). */
static struct btf *kbtf;
static bool tried;

static struct btf *vmlinux_btf(void)
{
	if (!tried) {
		tried = true;
		probe_quiet(true);
		kbtf = btf__load_vmlinux_btf();
		probe_quiet(false);
	}
	return kbtf;
}

void probe_btf_release(void)
{
	btf__free(kbtf);
	kbtf = NULL;
	tried = false;
}

bool probe_have_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0 && vmlinux_btf();
}

bool probe_kernel_at_least(unsigned maj, unsigned min)
{
	struct utsname u;
	unsigned a, b;

	if (uname(&u) || sscanf(u.release, "%u.%u", &a, &b) != 2)
		return false;
	return a > maj || (a == maj && b >= min);
}

bool probe_btf_tracepoint(const char *name)
{
	char tn[128];
	struct btf *btf = vmlinux_btf();

	snprintf(tn, sizeof(tn), "btf_trace_%s", name);
	return btf && btf__find_by_name_kind(btf, tn, BTF_KIND_TYPEDEF) > 0;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs s;

	return statfs(path, &s) == 0 && s.f_type == magic;
}

bool probe_tracefs(char *why, size_t len)
{
	if (is_fs(TRACEFS, TRACEFS_MAGIC))
		return true;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) == 0)
		return true;
	if (why)
		snprintf(why, len, "tracefs is not mounted at %s and mounting it failed (%s); "
				   "run: mount -t tracefs tracefs %s", TRACEFS, strerror(errno), TRACEFS);
	return false;
}

bool probe_bpffs(void)
{
	return is_fs("/sys/fs/bpf", BPF_FS_MAGIC);
}

bool probe_tracepoint_exists(const char *category, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), TRACEFS "/events/%s/%s/id", category, name);
	return access(p, R_OK) == 0;
}

static int tracepoint_id(const char *category, const char *name)
{
	char p[256], buf[32] = "";
	int fd, n;

	snprintf(p, sizeof(p), TRACEFS "/events/%s/%s/id", category, name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -EINVAL;
}

static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load(enum bpf_prog_type type, enum bpf_attach_type eat, int btf_id)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = eat,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, "vno_probe", "GPL", ret0, 2, &o);

	return fd < 0 ? -errno : fd;
}

static void fail(struct probe_result *r, int err, const char *fmt, ...)
{
	va_list ap;

	r->ok = false;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* A BPF_PROG_TYPE_TRACING program on BTF target @name of @kind, attached
 * through a raw tracepoint link (tp_btf and fentry alike). */
static void probe_tracing(struct probe_result *r, const char *name, int kind,
			  enum bpf_attach_type eat)
{
	struct btf *btf = vmlinux_btf();
	int id, fd, lfd;

	if (!btf)
		return fail(r, -ENOENT, "no kernel BTF (/sys/kernel/btf/vmlinux)");
	id = btf__find_by_name_kind(btf, name, kind);
	if (id <= 0)
		return fail(r, -ENOENT, "BTF has no %s", name);
	fd = load(BPF_PROG_TYPE_TRACING, eat, id);
	if (fd < 0)
		return fail(r, fd, "load: %s", strerror(-fd));
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0)
		fail(r, -errno, "attach: %s", strerror(errno));
	else
		close(lfd);
	close(fd);
}

static void probe_tp_btf(struct probe_result *r)
{
	probe_tracing(r, "btf_trace_netif_receive_skb", BTF_KIND_TYPEDEF, BPF_TRACE_RAW_TP);
}

static void probe_raw_tp(struct probe_result *r)
{
	int fd = load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0), lfd;

	if (fd < 0)
		return fail(r, fd, "load: %s", strerror(-fd));
	lfd = bpf_raw_tracepoint_open("netif_receive_skb", fd);
	if (lfd < 0)
		fail(r, -errno, "attach: %s", strerror(errno));
	else
		close(lfd);
	close(fd);
}

static void probe_tracepoint(struct probe_result *r)
{
	struct perf_event_attr a = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(a),
				     .sample_period = 1, .wakeup_events = 1 };
	char why[200];
	int id, fd, pfd;

	if (!probe_tracefs(why, sizeof(why)))
		return fail(r, -ENOENT, "%.150s", why);
	id = tracepoint_id("net", "netif_receive_skb");
	if (id < 0)
		return fail(r, id, "no net/netif_receive_skb in tracefs");
	fd = load(BPF_PROG_TYPE_TRACEPOINT, 0, 0);
	if (fd < 0)
		return fail(r, fd, "load: %s", strerror(-fd));
	a.config = id;
	pfd = syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		fail(r, -errno, "perf_event_open: %s", strerror(errno));
	} else {
		if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, fd))
			fail(r, -errno, "attach: %s", strerror(errno));
		close(pfd);
	}
	close(fd);
}

static void probe_kprobe(struct probe_result *r)
{
	struct perf_event_attr a = { .size = sizeof(a), .sample_period = 1 };
	char buf[32] = "";
	int fd, pfd, tfd, n;

	/* The kprobe PMU (4.17+) is what libbpf attaches through. */
	tfd = open("/sys/bus/event_source/devices/kprobe/type", O_RDONLY | O_CLOEXEC);
	if (tfd < 0)
		return fail(r, -ENOENT, "no kprobe PMU: kernel built without CONFIG_KPROBES");
	n = read(tfd, buf, sizeof(buf) - 1);
	close(tfd);
	a.type = n > 0 ? atoi(buf) : 0;
	fd = load(BPF_PROG_TYPE_KPROBE, 0, 0);
	if (fd < 0)
		return fail(r, fd, "load: %s", strerror(-fd));
	a.config1 = (__u64)(unsigned long)"__dev_queue_xmit";
	pfd = syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		fail(r, -errno, "kprobe on __dev_queue_xmit: %s", strerror(errno));
	} else {
		if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, fd))
			fail(r, -errno, "attach: %s", strerror(errno));
		close(pfd);
	}
	close(fd);
}

static void probe_fentry(struct probe_result *r)
{
	probe_tracing(r, "__dev_queue_xmit", BTF_KIND_FUNC, BPF_TRACE_FENTRY);
}

static void probe_tc(struct probe_result *r)
{
	int fd = load(BPF_PROG_TYPE_SCHED_CLS, 0, 0);

	if (fd < 0)
		return fail(r, fd, "load: %s", strerror(-fd));
	close(fd);
}

static void probe_tcx(struct probe_result *r)
{
	int fd = load(BPF_PROG_TYPE_SCHED_CLS, 0, 0), lfd, lo = if_nametoindex("lo");

	if (fd < 0)
		return fail(r, fd, "load: %s", strerror(-fd));
	/* A TCX link on lo that only says "next" changes nothing meanwhile. */
	lfd = bpf_link_create(fd, lo, VNO_BPF_TCX_EGRESS, NULL);
	if (lfd < 0)
		fail(r, -errno, "TCX link: %s (kernel before 6.6?)", strerror(errno));
	else
		close(lfd);
	close(fd);
}

static void probe_ringbuf(struct probe_result *r)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "vno_probe", 0, 0, 4096, NULL);

	if (fd < 0)
		return fail(r, -errno, "ring buffer map: %s (kernel before 5.8?)", strerror(errno));
	close(fd);
}

static void probe_kern_ctx(struct probe_result *r)
{
	struct btf *btf = vmlinux_btf();

	if (!btf || btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) <= 0)
		fail(r, -ENOENT, "no bpf_cast_to_kern_ctx kfunc (kernel before 6.3)");
}

const struct probe_result *probe_kind(int kind)
{
	static struct probe_result res[PROBE__MAX];
	static bool done[PROBE__MAX];
	static void (*const fn[PROBE__MAX])(struct probe_result *) = {
		[PROBE_TP_BTF] = probe_tp_btf,	   [PROBE_RAW_TP] = probe_raw_tp,
		[PROBE_TRACEPOINT] = probe_tracepoint, [PROBE_KPROBE] = probe_kprobe,
		[PROBE_FENTRY] = probe_fentry,	   [PROBE_TC] = probe_tc,
		[PROBE_TCX] = probe_tcx,	   [PROBE_RINGBUF] = probe_ringbuf,
		[PROBE_KERN_CTX] = probe_kern_ctx,
	};

	if (kind < 0 || kind >= PROBE__MAX)
		return NULL;
	if (!done[kind]) {
		res[kind].ok = true;
		probe_quiet(true);
		fn[kind](&res[kind]);
		probe_quiet(false);
		done[kind] = true;
		pr_debug("probe %s: %s %s\n", kind_names[kind], res[kind].ok ? "ok" : "no",
			 res[kind].why);
	}
	return &res[kind];
}

/* enum skb_drop_reason of the running kernel: numbers differ between kernels,
 * so names are read from its BTF, never from a table of ours. */
static char **reason_names;
static unsigned n_reasons;

static const char *drop_reason_name(unsigned r)
{
	return r < n_reasons ? reason_names[r] : NULL;
}

void probe_load_drop_reasons(void)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	struct btf *btf;
	int id;

	if (reason_names)
		return;
	btf = vmlinux_btf();
	if (!btf)
		return;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id <= 0)
		return;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if ((unsigned)e[i].val < 4096 && (unsigned)e[i].val + 1 > n_reasons)
			n_reasons = e[i].val + 1;
	reason_names = calloc(n_reasons ? n_reasons : 1, sizeof(*reason_names));
	if (!reason_names) {
		n_reasons = 0;
		return;
	}
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		if ((unsigned)e[i].val >= n_reasons || !name)
			continue;
		if (!strncmp(name, "SKB_DROP_REASON_", 16))
			name += 16;
		else if (!strncmp(name, "SKB_", 4))
			name += 4;
		reason_names[e[i].val] = strdup(name);
	}
	vno_drop_reason_name = drop_reason_name;
}

char *probe_drop_reasons_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	bool first = true;

	probe_load_drop_reasons();
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputc('{', f);
	for (unsigned i = 0; i < n_reasons; i++) {
		if (!reason_names[i])
			continue;
		fprintf(f, "%s\"%u\":", first ? "" : ",", i);
		json_str(f, reason_names[i]);
		first = false;
	}
	fputc('}', f);
	fclose(f);
	return buf;
}

/* Forget a table built by drop_reasons_from_json() or the BTF loader. */
static void reasons_free(char **names, unsigned n)
{
	for (unsigned i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

/* A table of 4096 reasons, and a little room. */
#define REASONS_WEIGHT_MAX 8192

int drop_reasons_from_json(const char *json)
{
	struct json_object *root = json_parse(json, strlen(json), REASONS_WEIGHT_MAX, NULL);
	char **names = NULL;
	unsigned n = 0;
	int err = -EINVAL;

	/* Our own flat {"N":"NAME",…}. The capture is anyone's file: every
	 * way out of the loop but its end releases what was built so far. */
	if (!root) {
		err = errno == ENOMEM ? -ENOMEM : -EINVAL;
		goto fail;
	}
	if (!json_object_is_type(root, json_type_object))
		goto fail;
	json_object_object_foreach(root, key, val) {
		char *end, name[64];
		unsigned long v;

		if (key[0] < '0' || key[0] > '9')
			goto fail;
		v = strtoul(key, &end, 10);
		if (*end || v >= 4096 || json_val_str(val, name, sizeof(name)))
			goto fail;
		if (v >= n) {
			char **nn = realloc(names, (v + 1) * sizeof(*nn));

			if (!nn)
				goto nomem;
			memset(nn + n, 0, (v + 1 - n) * sizeof(*nn));
			names = nn;
			n = v + 1;
		}
		free(names[v]);
		names[v] = strdup(name);
		if (!names[v])
			goto nomem;
	}
	json_object_put(root);
	reasons_free(reason_names, n_reasons);
	reason_names = names;
	n_reasons = n;
	vno_drop_reason_name = drop_reason_name;
	return 0;
nomem:
	err = -ENOMEM;
fail:
	json_object_put(root);
	reasons_free(names, n);
	return err;
}

void drop_reasons_free(void)
{
	reasons_free(reason_names, n_reasons);
	reason_names = NULL;
	n_reasons = 0;
	if (vno_drop_reason_name == drop_reason_name)
		vno_drop_reason_name = NULL;
}

bool probe_func_btf(const char *name, char *module, size_t len)
{
	struct btf *vmlinux = vmlinux_btf();
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (!vmlinux)
		return false;
	if (btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0) {
		snprintf(module, len, "vmlinux");
		return true;
	}
	/* Module BTF is split BTF on top of vmlinux's (5.11+). */
	d = opendir("/sys/kernel/btf");
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char path[300];
		struct btf *mb;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		probe_quiet(true);
		mb = btf__parse_split(path, vmlinux);
		probe_quiet(false);
		if (!mb)
			continue;
		if (btf__find_by_name_kind(mb, name, BTF_KIND_FUNC) > 0) {
			snprintf(module, len, "%s", de->d_name);
			found = true;
		}
		btf__free(mb);
	}
	closedir(d);
	return found;
}

bool probe_func_kallsyms(const char *name)
{
	char line[512], sym[256];
	size_t n = strlen(name);
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "ffffffffc0123456 t start_xmit\t[virtio_net]" */
		if (sscanf(line, "%*s %*s %255s", sym) == 1 && strlen(sym) == n && !strcmp(sym, name))
			found = true;
	}
	fclose(f);
	return found;
}

bool probe_btf_enum_value(const char *type, const char *name)
{
	struct btf *btf = vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name))
			return true;
	return false;
}
