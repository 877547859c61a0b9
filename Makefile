# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# vnoffload-trace: `make`, `make deps`, `make test`, `make demo`, `make bench`.
# SANITIZE=1: the same build under ASan+UBSan, in its own folder (see the
# sanitize section; `make test-san`).
ifeq ($(SANITIZE),1)
OUTPUT := .output-san
else
OUTPUT := .output
endif
ARCH ?= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
VERSION := 0.1.0

PKGS := libbpf libelf zlib
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -std=gnu11 \
	  -D_GNU_SOURCE -DVNO_VERSION='"$(VERSION)"' -Iinclude -Iuser -I$(OUTPUT) \
	  $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lelf -lz) -lm
# libmicrohttpd and GnuTLS are opened when export needs them (user/dynlib.c),
# not linked: their SONAMEs, from the -dev packages' links.
CFLAGS += $(shell pkg-config --cflags libmicrohttpd gnutls 2>/dev/null)
DLOPEN_SONAME = $(shell objdump -p $$($(CC) -print-file-name=$(1)) 2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
MHD_SONAME := $(call DLOPEN_SONAME,libmicrohttpd.so)
GNUTLS_SONAME := $(call DLOPEN_SONAME,libgnutls.so)
CFLAGS += $(if $(MHD_SONAME),-DVNO_MHD_SONAME='"$(MHD_SONAME)"') \
	  $(if $(GNUTLS_SONAME),-DVNO_GNUTLS_SONAME='"$(GNUTLS_SONAME)"')
LDLIBS += -lpthread
LDLIBS += $(shell pkg-config --libs libisal 2>/dev/null || echo -lisal)
LDLIBS += $(shell pkg-config --libs libmnl 2>/dev/null || echo -lmnl)
# export --web.config.file: YAML and bcrypt (libxcrypt); its certificate check is
# GnuTLS's, opened with libmicrohttpd (above).
LDLIBS += $(shell pkg-config --libs yaml-0.1 libxcrypt 2>/dev/null || echo -lyaml -lcrypt)
LDLIBS += $(shell pkg-config --libs libcap-ng 2>/dev/null || echo -lcap-ng)
# The one JSON parser (json-c; include <json-c/json.h>): session blocks, notes, drop-reason tables.
LDLIBS += $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
# -f: pcap-filter expressions compiled by libpcap (pcap_compile, pcap_offline_filter),
# opened when -f is given (user/dynlib.c); the unit tests and fuzz targets that
# call it themselves link it (PCAP_LIBS).
PCAP_SONAME := $(call DLOPEN_SONAME,libpcap.so)
CFLAGS += $(if $(PCAP_SONAME),-DVNO_PCAP_SONAME='"$(PCAP_SONAME)"')
PCAP_LIBS := $(shell pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
BPF_CFLAGS := -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Iinclude

# maps.bpf.c defines what the others declare extern: it links first.
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
# Everything in user/ but main.c is a library the unit tests link against.
LIB_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
LIB_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
TOOLS := $(patsubst tests/tools/%.c,$(OUTPUT)/tools/%,$(wildcard tests/tools/*.c))
UNIT_SRCS := $(wildcard tests/unit/*.c)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all clean deps test test-unit test-integration demo bench tools print-ldlibs print-dlopen

all: vnoffload-trace tools

vnoffload-trace: $(OUTPUT)/user/main.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) include/vno.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/vno.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/vno.skel.h: $(OUTPUT)/vno.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name vno_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(OUTPUT)/vno.skel.h | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -c $< -o $@

# The schema `vnoffload-trace schema` prints is built in (.incbin), read from
# the top of the tree where make runs the compiler.
$(OUTPUT)/user/cmd_schema.o: doc/vnoffload-trace.schema.json

tools: $(TOOLS)

# The libraries the tool links with, for a test that links the objects itself.
print-ldlibs:
	@echo $(LDLIBS)
# The libraries the binary opens with dlopen, for the Debian package's Depends.
print-dlopen:
	@echo $(MHD_SONAME) $(GNUTLS_SONAME) $(PCAP_SONAME)
$(OUTPUT)/tools/%: tests/tools/%.c | $(OUTPUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# Tools that drive the project's own code link its library objects.
$(OUTPUT)/tools/vno-guest: tests/tools/vno-guest.c $(OUTPUT)/user/tap.o | $(OUTPUT)/tools
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tools/capture-sample: tests/tools/capture-sample.c $(LIB_OBJS) | $(OUTPUT)/tools
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/unit-tests: $(UNIT_SRCS) $(LIB_OBJS) | $(OUTPUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $^ $(LDLIBS) $(PCAP_LIBS) -lcriterion -o $@

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/tools:
	$(Q)mkdir -p $@

# Debian packages for building, testing and the demonstration.
DEPS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libisal-dev libmnl-dev pkg-config make gcc \
	libcriterion-dev libmicrohttpd-dev iproute2 iperf3 ethtool jq tshark tcpdump \
	procps kmod prometheus wrk curl libclang-rt-14-dev \
	libyaml-dev libgnutls28-dev libcrypt-dev openssl libcap-ng-dev libjson-c-dev \
	python3-jsonschema libpcap-dev
# test_html renders the HTML page as a person sees it.
DEPS += chromium
deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

test-unit: $(OUTPUT)/unit-tests
	$(OUTPUT)/unit-tests --jobs 2

test-integration: all
	tests/integration/run.sh

# The integration runner goes last: its closing line sums up the run.
test: test-unit fuzz-run test-san test-integration

demo: all
	tests/demo.sh

clean:
	rm -rf $(OUTPUT) $(SAN_OUTPUT) vnoffload-trace

# ---- man pages: doc/*.scd -> .output/man/*.8 (scdoc) -----------------------------
# tests/integration/test_docs.sh checks every option of each command's --help
# is in its page and every option a page lists is in --help.
MAN_SRCS := $(wildcard doc/*.scd)
MAN_PAGES := $(patsubst doc/%.scd,$(OUTPUT)/man/%,$(MAN_SRCS))
DEPS += scdoc
.PHONY: man
man: $(MAN_PAGES)
$(OUTPUT)/man/%: doc/%.scd | $(OUTPUT)/man
	$(call msg,SCDOC,$@)
	$(Q)scdoc <$< >$@
$(OUTPUT)/man:
	$(Q)mkdir -p $@

# ---- install: make install [PREFIX=/usr/local] [DESTDIR=…] -------------------
# The binary, the systemd unit naming the path it was installed to, an
# /etc/default example (never over one that exists), bash completion, and
# the Prometheus rules, their tests, a scrape configuration, the Grafana
# dashboard, the Wireshark dissector and the JSON Schema of the --json lines under
# share/vnoffload-trace/. tests/integration/test_install.sh installs into a scratch DESTDIR
# and checks every file.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
PKGDATA := $(DATADIR)/vnoffload-trace
MANDIR ?= $(DATADIR)/man
INSTALL ?= install
INSTALLED := $(SBINDIR)/vnoffload-trace $(UNITDIR)/vnoffload-trace.service \
	$(BASHCOMPDIR)/vnoffload-trace $(PKGDATA)/vnoffload-trace.rules.yml \
	$(PKGDATA)/vnoffload-trace.rules.test.yml $(PKGDATA)/grafana-dashboard.json \
	$(PKGDATA)/prometheus.yml $(PKGDATA)/web-config.example.yml $(PKGDATA)/default.example \
	$(PKGDATA)/vnoffload-trace.schema.json $(PKGDATA)/vnoffload.lua \
	$(patsubst doc/%.scd,$(MANDIR)/man8/%,$(MAN_SRCS))
.PHONY: install uninstall

install: vnoffload-trace man
	$(INSTALL) -D -m 0755 vnoffload-trace $(DESTDIR)$(SBINDIR)/vnoffload-trace
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PKGDATA) $(DESTDIR)$(BASHCOMPDIR)
	sed 's|/usr/local/sbin/vnoffload-trace|$(SBINDIR)/vnoffload-trace|g' \
		contrib/vnoffload-trace.service >$(DESTDIR)$(UNITDIR)/vnoffload-trace.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vnoffload-trace.service
	$(INSTALL) -m 0644 contrib/bash-completion/vnoffload-trace $(DESTDIR)$(BASHCOMPDIR)/
	$(INSTALL) -m 0644 contrib/prometheus/vnoffload-trace.rules.yml \
		contrib/prometheus/vnoffload-trace.rules.test.yml contrib/prometheus.yml \
		$(DESTDIR)$(PKGDATA)/
	$(INSTALL) -m 0644 contrib/grafana/vnoffload-trace.json $(DESTDIR)$(PKGDATA)/grafana-dashboard.json
	$(INSTALL) -m 0644 contrib/vnoffload-trace.default $(DESTDIR)$(PKGDATA)/default.example
	$(INSTALL) -m 0644 contrib/web-config.yml $(DESTDIR)$(PKGDATA)/web-config.example.yml
	$(INSTALL) -m 0644 doc/vnoffload-trace.schema.json $(DESTDIR)$(PKGDATA)/
	$(INSTALL) -m 0644 contrib/wireshark/vnoffload.lua $(DESTDIR)$(PKGDATA)/
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/default/vnoffload-trace ]; then \
		$(INSTALL) -D -m 0644 contrib/vnoffload-trace.default \
			$(DESTDIR)$(SYSCONFDIR)/default/vnoffload-trace; \
	else echo "kept $(DESTDIR)$(SYSCONFDIR)/default/vnoffload-trace as it is"; fi

# /etc/default/vnoffload-trace goes only when it is still the example.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(PKGDATA) 2>/dev/null
	@if cmp -s contrib/vnoffload-trace.default $(DESTDIR)$(SYSCONFDIR)/default/vnoffload-trace; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/default/vnoffload-trace; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/default/vnoffload-trace ]; then \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/default/vnoffload-trace: it was changed"; fi

-include $(wildcard $(OUTPUT)/user/*.d)

# ---- deb: make deb -> .output/vnoffload-trace_VERSION_ARCH.deb ------------------
# packaging/deb/build-deb.sh: `make install DESTDIR=… PREFIX=/usr`, then what
# debhelper would add (stripped binary, compressed man pages, copyright,
# conffiles, maintainer scripts, Depends from dpkg-shlibdeps), built with
# dpkg-deb. tests/integration/test_deb.sh checks it with lintian, installs,
# runs and purges it.
DEPS += dpkg-dev lintian
.PHONY: deb
deb: vnoffload-trace man
	$(call msg,DEB,$(OUTPUT)/vnoffload-trace_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null).deb)
	$(Q)MAKE="$(MAKE)" packaging/deb/build-deb.sh $(OUTPUT) $(VERSION) >/dev/null

# ---- fuzz: libFuzzer targets (tests/fuzz) ---------------------------------------
#   capture  the capture reader          report  the whole of report, 3 output modes
#   notes    drop reasons, note fields,  kmsg    kernel-log lines, --hang-pattern
#            session metadata            opts    durations, sizes, --listen, run_opt,
#                                                record's and export's command lines
#   match    the -m grammar              cbpf    the -f translation against libpcap
# `make fuzz` builds them, `make fuzz-run` runs each on its seed corpus
# (tests/fuzz/corpus-NAME, with tests/fuzz/NAME.dict when there is one) for
# FUZZ_TIME seconds and prints its executions; `make fuzz-corpus` regenerates
# the committed seeds. A crash becomes a Criterion regression test beside
# the module's others (tests/unit/test_report.c for report's). The targets link the library objects
# built once with the fuzzer's instrumentation (FUZZ_OBJ).
FUZZ_CC ?= clang
FUZZ_TIME ?= 30
FUZZ_TARGETS := capture report notes kmsg opts ring match replay cbpf
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	       -std=gnu11 -D_GNU_SOURCE -DVNO_VERSION='"$(VERSION)"' -Iinclude -Iuser -I$(OUTPUT) \
	       -Itests/fuzz
FUZZ_OBJ := $(OUTPUT)/fuzz/obj
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ_OBJ)/%.o,$(LIB_SRCS))
FUZZ_BINS := $(patsubst %,$(OUTPUT)/fuzz/fuzz_%,$(FUZZ_TARGETS))
.PHONY: fuzz fuzz-run fuzz-corpus

fuzz: $(FUZZ_BINS)

$(FUZZ_OBJ)/%.o: user/%.c $(OUTPUT)/vno.skel.h | $(FUZZ_OBJ)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -c $< -o $@
$(FUZZ_OBJ)/cmd_schema.o: doc/vnoffload-trace.schema.json

$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/craft.h $(FUZZ_LIB_OBJS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB_OBJS) $(LDLIBS) $(PCAP_LIBS) -o $@

$(OUTPUT)/fuzz/gen_corpus: tests/fuzz/gen_corpus.c tests/fuzz/craft.h $(LIB_OBJS) | $(OUTPUT)/fuzz
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/fuzz $< $(LIB_OBJS) $(LDLIBS) $(PCAP_LIBS) -o $@

fuzz-corpus: $(OUTPUT)/fuzz/gen_corpus
	$< tests/fuzz

# New inputs go to a scratch directory: the committed corpus stays as it is.
# The malloc limit makes "no unbounded allocation" a crash, not a slow test.
fuzz-run: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(OUTPUT)/fuzz $(FUZZ_TIME) $(FUZZ_TARGETS)

# Made only through the pattern rule above: keep them between builds.
.SECONDARY: $(FUZZ_LIB_OBJS)

$(OUTPUT)/fuzz $(FUZZ_OBJ):
	$(Q)mkdir -p $@
-include $(wildcard $(FUZZ_OBJ)/*.d)
# ---- end of fuzz ---------------------------------------------------------------

# ---- sanitize: ASan+UBSan over the unit tests and report ----------------------
# `make test-san` builds everything again with SANITIZE=1 into SAN_OUTPUT and
# runs the unit tests, then report (summary, --frames, --json --frames) over
# every committed fixture, fuzz seed and crafted worst case. Any sanitizer
# report fails it, leaks included; LSan checks each Criterion test's own
# process when it exits.
SAN_OUTPUT ?= .output-san
# gcc's sanitizer runtimes (gcc-12 pulls them in; named so `make deps` says so).
DEPS += libasan8 libubsan1
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ifeq ($(SANITIZE),1)
CFLAGS += $(SAN_FLAGS)
endif
# Reports go to files: Criterion runs each test in a child whose exit code
# it does not read after the test passed, so a leak found at that child's
# exit would otherwise pass unseen. Any file in SAN_LOGS fails the run.
SAN_LOGS = $(OUTPUT)/san-logs
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=99:log_path=$(SAN_LOGS)/asan \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99:log_path=$(SAN_LOGS)/ubsan
.PHONY: test-san san-check

test-san:
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 OUTPUT=$(SAN_OUTPUT) san-check

$(OUTPUT)/vnoffload-trace: $(OUTPUT)/user/main.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/fuzz/craft: tests/fuzz/craft.c tests/fuzz/craft.h user/capture.h include/vno.h | $(OUTPUT)/fuzz
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lz -o $@

san-check: $(OUTPUT)/unit-tests $(OUTPUT)/vnoffload-trace $(OUTPUT)/fuzz/craft
	$(Q)rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS)
	$(Q)rc=0; \
	echo "sanitizers: unit tests"; \
	$(SAN_ENV) $(OUTPUT)/unit-tests --jobs 2 || rc=1; \
	echo "sanitizers: report over fixtures, fuzz corpora and crafted files"; \
	$(SAN_ENV) tests/fuzz/report-all.sh $(OUTPUT)/vnoffload-trace $(OUTPUT)/fuzz/craft \
		$(OUTPUT)/fuzz/crafted tests/fixtures tests/fuzz/corpus* || rc=1; \
	if [ -n "$$(ls -A $(SAN_LOGS))" ]; then \
		cat $(SAN_LOGS)/*; echo "sanitizers: $$(ls $(SAN_LOGS) | wc -l) report(s), above"; rc=1; \
	else echo "sanitizers: no report"; fi; \
	exit $$rc
# ---- end of sanitize -------------------------------------------------------------

# ---- bench: what tracing costs (bench/, issue 7) ------------------------------
# `make bench` (root) runs bench/bench.sh: untraced vs export, record and
# bpftrace/tcpdump peers on veth and bridge paths, interleaved rounds, medians;
# table on stdout, every measurement in bench/results.json (not committed).
# `make bench-smoke` is the short CI version (tests/integration/test_bench_smoke.sh):
# it checks the bench runs, prints the table and writes JSON, not thresholds.
# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--rounds 3".
BENCH_TOOLS := $(OUTPUT)/bench/pipeline_bench $(OUTPUT)/bench/udpflood
DEPS += bpftrace linux-perf
.PHONY: bench bench-smoke bench-tools

bench-tools: $(BENCH_TOOLS)

# The pipeline links the same user/ objects as the unit tests.
$(OUTPUT)/bench/pipeline_bench: bench/pipeline_bench.c $(LIB_OBJS) | $(OUTPUT)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/bench/udpflood: bench/udpflood.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

bench: all bench-tools
	bench/bench.sh $(BENCH_ARGS)

bench-smoke: all bench-tools
	tests/integration/test_bench_smoke.sh
# ---- end of bench --------------------------------------------------------------

# ---- vm: the QEMU test bed (tests/vm, issue 6) -------------------------------
# Driver hooks (fentry/kprobe on virtio_net, e1000e, tun, bridge) can only be
# proven in a guest. `make vm-assets` fetches Debian's 6.1 kernel package
# (apt-get download, cached in .output/vm/kernel) and builds the busybox
# initramfs around ./vnoffload-trace; `make test-vm` (root) boots it under TCG
# with a virtio-net and an e1000e NIC on taps in a namespace it makes, and
# checks the guest's and the host's records. tests/integration/test_vm.sh
# runs the same within `make test`; tests/vm/check-vm.sh re-checks the last
# run's logs (.output/vm/run) without booting.
DEPS += qemu-system-x86 busybox-static cpio
.PHONY: vm-assets test-vm

vm-assets: vnoffload-trace
	tests/vm/fetch-kernel.sh
	tests/vm/build-initramfs.sh

test-vm: all
	tests/vm/test-vm.sh

# The kernel matrix (tests/vm/test-kernels.sh): the same bed on each kernel of
# VNO_KERNELS (Debian suites: bullseye 5.10, bookworm 6.1, bookworm-backports
# 6.12 by default), fetched with private apt lists into .output/vm/k-SUITE.
# tests/integration/test_kernels.sh runs it within `make test`;
# `make kernels-table` writes the README's table from its last run.
VNO_KERNELS ?= bullseye bookworm bookworm-backports
export VNO_KERNELS
.PHONY: test-kernels kernels-table
test-kernels: all
	tests/vm/test-kernels.sh

kernels-table: vnoffload-trace
	tests/vm/kernels-table.sh --readme
# ---- end of vm -----------------------------------------------------------------
