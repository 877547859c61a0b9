#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# `make bench` still runs: bench/bench.sh --smoke (one round of 2 s on the
# veth path; untraced, export, record -q, record -w, and bpftrace-map and
# tcpdump where installed; iperf3 TCP, the UDP flood without offload metadata
# and the one with checksum offload; a short pipeline_bench; three starts to
# the ready line) prints its
# table and writes results JSON that jq reads; bench/bpf_ab.sh runs one
# pair. No thresholds: a benchmark on
# a shared CI machine says nothing in 2 s; `make bench` is for numbers.
. "$(dirname "$0")/lib.sh"

tb_need_root
tb_need_vno
tb_need_cmd iperf3 jq curl taskset bpftool ss
make -C "$TB_ROOT" -s bench-tools >"$TB_TMP/make.out" 2>&1 ||
	tb_fatal "make bench-tools failed: $(tail -n 5 "$TB_TMP/make.out")"

# What --smoke runs: these four, and the peers that are installed.
CFGS=(untraced export record-q record-w)
command -v bpftrace >/dev/null && CFGS+=(bpftrace-map)
command -v tcpdump >/dev/null && CFGS+=(tcpdump)
WLS=(tcp udp udp-csum)
N=$((${#WLS[@]} * ${#CFGS[@]}))

OUT=$TB_TMP/bench.out
RES=$TB_TMP/results.json
start=$SECONDS
timeout 240 "$TB_ROOT/bench/bench.sh" --smoke --results "$RES" >"$OUT" 2>"$OUT.err"
assert_eq "$?" 0 "bench.sh --smoke exits 0 ($((SECONDS - start)) s)"

# The table: a header, then one row per workload and configuration.
if grep -qE '^PATH +WL +CONFIG +MEDIAN +RATIO' "$OUT"; then
	tb_pass "the table has its header"
else
	tb_fail "no table header in the output: $(head -c 300 "$OUT")"
fi
for wl in "${WLS[@]}"; do
	for cfg in "${CFGS[@]}"; do
		if grep -qE "^veth +$wl +$cfg +[0-9.]+ (Gbit|kpkt)/s +[0-9.]+" "$OUT"; then
			tb_pass "a row for $wl $cfg with a throughput and a ratio"
		else
			tb_fail "no row for $wl $cfg: $(grep -E "^veth +$wl +$cfg" "$OUT")"
		fi
	done
done
grep -q '^targets:' "$OUT" && tb_pass "the targets are listed" || tb_fail "no targets section"

# The JSON: valid, every run measured, each part present.
if jq -e . "$RES" >/dev/null 2>&1; then
	tb_pass "results JSON parses"
else
	tb_fatal "results JSON does not parse: $(head -c 300 "$RES")"
fi
assert_jq "$RES" '.[0].machine | (.nproc | type) == "number" and (.cpu_model | length) > 0 and (.kernel | length) > 0' \
	"the machine is stated"
assert_jq "$RES" '.[0].runs | length == $n and all(.ok)' "$N runs, all measured" --argjson n "$N"
assert_jq "$RES" '.[0].summary | length == $n and all(.median > 0)' "$N medians" --argjson n "$N"
assert_jq "$RES" '.[0].summary | map(select(.config | startswith("record-"))) | all((.lost_events | type) == "number")' \
	"record runs report lost events from the summary line"
assert_jq "$RES" '.[0].runs | map(select((.config | startswith("record-")) and .workload != "udp")) | all(.extra.records > 0 and .tracer_ns_per_record > 0)' \
	"record runs of TCP and of the flood with checksum offload have records and report the reader's CPU per record"
# The plain flood's client has checksum offload off: its frames carry no
# offload metadata, and record keeps nothing of them (--all would).
assert_jq "$RES" '.[0].runs | map(select((.config | startswith("record-")) and .workload == "udp")) | length > 0 and all(.extra.records == 0)' \
	"record makes no record of the flood without offload metadata"
assert_jq "$RES" '.[0].runs | map(select(.config == "export")) | all(.extra.scrape_xmit_frames > 0)' \
	"export's /metrics counted the run's frames"
assert_jq "$RES" '.[0].pipeline | map(.mode) | sort == ["agg", "json", "pcapng", "pcapng.gz"]' \
	"pipeline_bench measured every mode"
assert_jq "$RES" '.[0].pipeline | all(.records_per_cpu_s > 0)' "pipeline rates are positive"
assert_jq "$RES" '.[0].ready_ms.record.median > 0 and .[0].ready_ms.export.median > 0' \
	"time to the ready line, record and export"
assert_jq "$RES" '.[0].runs | map(select(.config | startswith("record-"))) | all(.rss_kib.hwm > 0 and .bpf_memlock_bytes > 0)' \
	"peak RSS and BPF map memory of record"
assert_jq "$RES" '.[0].targets | length >= 5 and all((.pass | type) == "boolean")' \
	"every target has a verdict"

assert_jq "$RES" '.[0].summary | all(.superseded_outliers == 0 and ((.spread | type) == "number"))' \
	"each configuration has its spread; one round has no outlier to repeat"

# The outlier rule on runs made up here, with the functions as bench.sh
# has them: an untraced run far from the median of the earlier ones (two at
# least) is marked superseded and run again.
eval "$(sed -n '/^baseline_outlier()/,/^}/p; /^supersede_last()/,/^}/p' "$TB_ROOT/bench/bench.sh")"
RUNS=$TB_TMP/runs.jsonl OUTLIER=0.25
_run() { jq -nc --argjson t "$1" --arg c "${2:-untraced}" \
	'{config: $c, path: "veth", workload: "tcp", ok: true, throughput: $t}'; }
{ _run 100; _run 60; } >"$RUNS"
baseline_outlier veth tcp && tb_fail "one earlier run is too few to judge" ||
	tb_pass "one earlier run is too few to judge"
{ _run 100; _run 104; _run 60; } >"$RUNS"
baseline_outlier veth tcp && tb_pass "60 against a median of 102 is an outlier" ||
	tb_fail "60 against a median of 102 is an outlier"
supersede_last
assert_jq "$RUNS" 'length == 3 and (.[-1] | .superseded == true and .throughput == 60)
	and (.[:-1] | all(.superseded == null))' "the outlier is kept, marked superseded"
_run 90 >>"$RUNS"
baseline_outlier veth tcp && tb_fail "90 is within 25 % of 102" || tb_pass "90 is within 25 % of 102"
_run 10 record-q >>"$RUNS"
baseline_outlier veth tcp && tb_fail "only untraced runs are judged" || tb_pass "only untraced runs are judged"

# bpf_ab.sh: the same build twice, one pair of one second. It prints a row
# per program of each hook that ran, with three numbers and the pair's
# difference, and leaves no namespace and bpf_stats as it found them.
STATS0=$(sysctl -n kernel.bpf_stats_enabled)
timeout 120 "$TB_ROOT/bench/bpf_ab.sh" --pairs 1 --secs 1 "$VNO_BIN" "$VNO_BIN" >"$OUT.ab" 2>&1
assert_eq "$?" 0 "bpf_ab.sh exits 0"
for p in xmit rx; do
	if grep -qE "^${p}_[a-z]+ +[0-9]+ +[0-9]+ +-?[0-9]+ +-?[0-9]+$" "$OUT.ab"; then
		tb_pass "bpf_ab.sh: a row for the $p hook's program"
	else
		tb_fail "bpf_ab.sh: no row for the $p hook: $(head -c 400 "$OUT.ab")"
	fi
done
assert_eq "$(ip netns list | grep -c '^vno-ab-')" 0 "bpf_ab.sh left no namespace"
assert_eq "$(sysctl -n kernel.bpf_stats_enabled)" "$STATS0" "bpf_ab.sh put bpf_stats_enabled back"

tb_log "$(grep -E '^(veth|pipeline|ready)' "$OUT" | head -n 12)"
tb_finish
