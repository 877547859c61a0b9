# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# vnoffload-trace: `make`, `make deps`, `make test`, `make demo`, `make bench`.
OUTPUT := .output
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
LDLIBS += $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd) -lpthread
LDLIBS += $(shell pkg-config --libs libisal 2>/dev/null || echo -lisal)
LDLIBS += $(shell pkg-config --libs libcap-ng 2>/dev/null || echo -lcap-ng)
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
.PHONY: all clean deps test test-unit test-integration demo bench tools

all: vnoffload-trace tools

vnoffload-trace: $(OUTPUT)/user/main.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c bpf/vno.bpf.h include/vno.h | $(OUTPUT)/bpf
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

tools: $(TOOLS)
$(OUTPUT)/tools/%: tests/tools/%.c | $(OUTPUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

$(OUTPUT)/unit-tests: $(UNIT_SRCS) $(LIB_OBJS) | $(OUTPUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $^ $(LDLIBS) -lcriterion -o $@

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/tools:
	$(Q)mkdir -p $@

# Debian packages for building, testing and the demonstration.
DEPS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libisal-dev pkg-config make gcc \
	libcriterion-dev libmicrohttpd-dev iproute2 iperf3 ethtool jq tshark tcpdump \
	procps kmod prometheus wrk curl libclang-rt-14-dev libcap-ng-dev
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
test: test-unit fuzz-run test-integration

demo: all
	tests/demo.sh

clean:
	rm -rf $(OUTPUT) vnoffload-trace

-include $(wildcard $(OUTPUT)/user/*.d)

# ---- fuzz: libFuzzer target for the capture reader (tests/fuzz) -------------
# `make fuzz` builds it, `make fuzz-run` runs it on the seed corpus for
# FUZZ_TIME seconds (CI), `make fuzz-corpus` regenerates the committed seeds
# after a change to the file format. A crash it finds becomes a Criterion
# regression test in tests/unit/test_capture.c.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_SRCS := user/capture.c user/decode.c user/ifaces.c
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	       -std=gnu11 -D_GNU_SOURCE -DVNO_VERSION='"$(VERSION)"' -Iinclude -Iuser
.PHONY: fuzz fuzz-run fuzz-corpus

fuzz: $(OUTPUT)/fuzz/fuzz_capture

$(OUTPUT)/fuzz/fuzz_capture: tests/fuzz/fuzz_capture.c $(FUZZ_SRCS) $(wildcard user/*.h) include/vno.h | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_capture.c $(FUZZ_SRCS) -lz -lisal -o $@

$(OUTPUT)/fuzz/gen_corpus: tests/fuzz/gen_corpus.c $(FUZZ_SRCS) $(wildcard user/*.h) include/vno.h | $(OUTPUT)/fuzz
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) tests/fuzz/gen_corpus.c $(FUZZ_SRCS) -lz -lisal -o $@

fuzz-corpus: $(OUTPUT)/fuzz/gen_corpus
	$< tests/fuzz/corpus

# New inputs go to a scratch directory: the committed corpus stays as it is.
# The malloc limit makes "no unbounded allocation" a crash, not a slow test.
fuzz-run: $(OUTPUT)/fuzz/fuzz_capture
	$(Q)mkdir -p $(OUTPUT)/fuzz/work
	$(OUTPUT)/fuzz/fuzz_capture -max_total_time=$(FUZZ_TIME) -malloc_limit_mb=64 \
		-rss_limit_mb=1024 -timeout=10 -print_final_stats=1 -dict=tests/fuzz/capture.dict \
		-artifact_prefix=$(OUTPUT)/fuzz/ $(OUTPUT)/fuzz/work tests/fuzz/corpus

$(OUTPUT)/fuzz:
	$(Q)mkdir -p $@
# ---- end of fuzz ---------------------------------------------------------------

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
# ---- end of vm -----------------------------------------------------------------
