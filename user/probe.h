/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What this kernel allows: each program kind is loaded *and attached* once. */
#ifndef VNO_PROBE_H
#define VNO_PROBE_H

#include <stdbool.h>

enum probe_kind {
	PROBE_TP_BTF,
	PROBE_RAW_TP,
	PROBE_TRACEPOINT,
	PROBE_KPROBE,
	PROBE_FENTRY,
	PROBE_TC,	/* sched_cls program loads */
	PROBE_TCX,	/* TCX link attaches (6.6+) */
	PROBE_RINGBUF,
	PROBE_KERN_CTX, /* bpf_cast_to_kern_ctx kfunc in TC programs (6.3+) */
	PROBE__MAX,
};

struct probe_result {
	bool ok;
	int err;	  /* -errno of the step that failed */
	char why[160];	  /* what failed, for doctor */
};

const char *probe_kind_name(int kind);
/* Run (once; cached) and return the probe for @kind. */
const struct probe_result *probe_kind(int kind);

bool probe_have_btf(void);
/* Free the kernel BTF the probes parsed (5+ MiB); the next probe that
 * needs it parses it again. */
void probe_btf_release(void);
/* Is the running kernel's release (uname) @maj.@min or later? A hint only:
 * distributions backport. */
bool probe_kernel_at_least(unsigned maj, unsigned min);
/* tracefs mounted (or mountable now); fills how-to in why when not. */
bool probe_tracefs(char *why, size_t len);
bool probe_bpffs(void);
/* Does the vmlinux BTF have a tp_btf target for tracepoint @name? */
bool probe_btf_tracepoint(const char *name);
/* Is kernel function @name in BTF (vmlinux or a module's)? The module name
 * goes to @module ("vmlinux" for the kernel itself). */
bool probe_func_btf(const char *name, char *module, size_t len);
/* Is @name a symbol in /proc/kallsyms (what a kprobe attaches by)? */
bool probe_func_kallsyms(const char *name);

/* Does the kernel's enum @type have @name (e.g. bpf_attach_type's
 * BPF_TCX_INGRESS)? Cheaper than loading a probe. */
bool probe_btf_enum_value(const char *type, const char *name);

/* Does tracefs list events/@category/@name? */
bool probe_tracepoint_exists(const char *category, const char *name);

/* Loads the drop-reason names of the running kernel's BTF into
 * vno_drop_reason_name (json.h). */
void probe_load_drop_reasons(void);

/* The running kernel's drop reasons as {"N":"NAME",…} (malloc'd), for
 * capture files: numbers differ between kernels. */
char *probe_drop_reasons_json(void);
/* Use the drop reasons of a capture's kernel instead. 0, or -EINVAL /
 * -ENOMEM with the table in use left as it was. */
int drop_reasons_from_json(const char *json);
/* Forget the table in use (either kind). */
void drop_reasons_free(void);

/* Silence libbpf while a probe that may fail runs. */
void probe_quiet(bool on);

#endif
