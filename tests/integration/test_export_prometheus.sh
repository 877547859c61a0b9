#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A real Prometheus server (Debian's package) scrapes `export` every second,
# both on the bed's host namespace loopback. Through Prometheus's HTTP API:
# the target is up with no scrape error, the frames counter of up0 rises
# to the number of frames planted, and PromQL works on the histograms
# (histogram_quantile over the gso_segs buckets, rate over the latency).
. "$(dirname "$0")/lib.sh"

tb_need_vno
command -v prometheus >/dev/null ||
	skip "prometheus is not installed (Debian package prometheus; make deps)"
tb_need_cmd curl
tb_up



# ---- the exporter and Prometheus -------------------------------------------------

EXP=$TB_TMP/export.jsonl
export_start "$EXP" -i tap0 -i up0 --json --listen 127.0.0.1:0 --stall-ms 0
TARGET=${EXP_URL#http://}
# By default export attaches the tracepoint hops only.
assert_jq "$EXP" 'map(select(.type == "ready"))[0].hooks | (.["tc-egress"] | startswith("none"))
	and (.["tc-ingress"] | startswith("none")) and (.xmit | test("/net_dev_start_xmit$"))' \
	"default export: no TC hops, xmit on its tracepoint"

prom_start "  - job_name: vnoffload
    static_configs:
      - targets: ['$TARGET']"
tb_log "$(prometheus --version 2>&1 | head -1)"
tb_pass "prometheus is ready on $PROM"

# /api/v1/targets: our one target, once it has been scraped.
_target_up()
{
	targets && [[ $(jq -r '.data.activeTargets[0].health' "$TB_TMP/targets.json") == up ]]
}
tb_wait_until 20 _target_up || tb_fail "the target never came up: $(jq -c '.data.activeTargets[0] |
	{health, lastError, scrapeUrl}' "$TB_TMP/targets.json" 2>/dev/null)"
assert_jq "$TB_TMP/targets.json" '.[0].data.activeTargets | length == 1
	and .[0].health == "up" and .[0].lastError == "" and .[0].labels.job == "vnoffload"
	and (.[0].scrapeUrl | endswith("/metrics"))' "/api/v1/targets: one target, up, no scrape error"

# promq QUERY: the first sample's value, "none" for an empty result.
promq()
{
	nscurl -G --data-urlencode "query=$1" "$PROM/api/v1/query" 2>/dev/null |
		jq -r 'if .status == "success" then (.data.result[0].value[1] // "none") else "error: \(.error)" end'
}

assert_eq "$(promq 'up{job="vnoffload"}')" 1 "PromQL up{job=\"vnoffload\"} = 1"
assert_eq "$(promq 'vnoffload_build_info')" 1 "PromQL: vnoffload_build_info is there"
SERIES='vnoffload_frames_total{job="vnoffload",device="up0",hop="xmit",gso="tcpv4"}'
before=$(promq "$SERIES")
[[ $before == none ]] && before=0
tb_log "up0 xmit tcpv4 frames before: $before"

# ---- traffic ----------------------------------------------------------------------

frames=()
for i in $(seq 1 40); do frames+=("tcp4-tso:segs=$((2 + i % 9)):mss=1448:sport=$((46000 + i))"); done
tb_plant "${frames[@]}"
want=$((before + 40))

_rose() { [[ $(promq "$SERIES") == "$want" ]]; }
if tb_wait_until 20 _rose; then
	tb_pass "PromQL $SERIES rose from $before to $want (the 40 frames planted)"
else
	tb_fail "PromQL $SERIES is $(promq "$SERIES"), want $want"
fi
_counted() { [[ $(promq 'sum(vnoffload_tx_completion_latency_seconds_count{device="up0",gso="tcpv4"})') == 40 ]]; }
tb_wait_until 10 _counted ||
	tb_fail "completion latency _count of up0 in Prometheus: $(promq 'sum(vnoffload_tx_completion_latency_seconds_count{device="up0"})')"
assert_eq "$(promq 'vnoffload_frames_total{device="tap0",hop="rx",gso="tcpv4"}')" 40 \
	"PromQL: tap0's rx counter holds the 40 frames too"
# gso_segs 2..10 planted: the median lands in the le=7 or le=15 bucket.
q50=$(promq 'histogram_quantile(0.5, vnoffload_gso_segs_bucket{device="up0",hop="xmit",gso="tcpv4"})')
if awk -v q="$q50" 'BEGIN { exit !(q >= 2 && q <= 15) }'; then
	tb_pass "PromQL histogram_quantile(0.5) over gso_segs buckets: $q50"
else
	tb_fail "PromQL histogram_quantile(0.5) over gso_segs buckets: $q50"
fi
mean=$(promq 'sum(vnoffload_tx_completion_latency_seconds_sum{device="up0"}) / sum(vnoffload_tx_completion_latency_seconds_count{device="up0"})')
if awk -v m="$mean" 'BEGIN { exit !(m > 0 && m < 1) }'; then
	tb_pass "PromQL mean completion latency (_sum / _count): $mean s"
else
	tb_fail "PromQL mean completion latency: $mean"
fi
targets
assert_jq "$TB_TMP/targets.json" '.[0].data.activeTargets[0] | .health == "up" and .lastError == ""' \
	"after the traffic: still up, no scrape error"
n=$(promq 'scrape_samples_scraped{job="vnoffload"}')
if [[ $n =~ ^[0-9]+$ ]] && ((n > 50)); then
	tb_pass "scrape_samples_scraped = $n"
else
	tb_fail "scrape_samples_scraped = $n"
fi
# Prometheus's own counters of samples it refused from a scrape.
nscurl "$PROM/metrics" >"$TB_TMP/prom-self.txt"
for c in prometheus_target_scrapes_sample_duplicate_timestamp_total \
	prometheus_target_scrapes_sample_out_of_order_total \
	prometheus_target_scrapes_sample_out_of_bounds_total; do
	assert_eq "$(awk -v k="$c" '$1 == k { print $2 }' "$TB_TMP/prom-self.txt")" 0 "prometheus: $c = 0"
done

tb_kill "$PROM_PID" TERM
tb_kill "$EXP_PID" TERM
tb_finish
