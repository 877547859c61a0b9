#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# `export` on the test bed (tap0 + up0), scraped from inside the bed's host
# namespace over its loopback:
# - it listens on 127.0.0.1 and the default port unless told otherwise;
# - `promtool check metrics` accepts every scrape, also the ones taken
#   while frames are being planted, and no series appears twice;
# - the frames, bytes and gso_segs counters of tap0 and up0 match the
#   frames planted, completions and drops follow, and the flight
#   recorder's anomalies are counted;
# - a manual trigger (SIGUSR1) counts a hang per device and writes a
#   capture file per device into --hang-dir that tshark and report read;
# - wrong methods, paths and malformed requests get a 4xx (or a closed
#   connection) and the exporter keeps serving;
# - SIGTERM: exit 0, the port closed, no TC program of ours left on up0.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd curl promtool tc bpftool
tb_up


# In the bed's namespace: that is where the exporter's loopback is.

# scrape FILE: GET /metrics into FILE; prints "HTTP-CODE CONTENT-TYPE".
scrape() { nscurl -o "$1" -w '%{http_code} %{content_type}' "$EXP_URL/metrics"; }

# metric FILE SERIES: the value of one series ("name{labels}"), or "".
metric() { awk -v k="$2" 'index($0, k " ") == 1 { print $NF }' "$1"; }

# One line per series: Prometheus drops a scrape's duplicate samples.
no_duplicates()
{
	local dup
	dup=$(grep -v '^#' "$1" | sed 's/ [^ ]*$//' | sort | uniq -d | head -3)
	[[ -z $dup ]] || { tb_log "duplicate series in $1: $dup"; return 1; }
}

promtool_ok()
{
	local file=$1 what=$2 out
	if out=$(promtool check metrics <"$file" 2>&1); then
		tb_pass "$what: promtool check metrics passes"
	else
		tb_fail "$what: promtool check metrics: $(head -c 400 <<<"$out")"
	fi
}

# ---- start ----------------------------------------------------------------------

EXP=$TB_TMP/export.jsonl
HANGS=$TB_TMP/hangs
mkdir -p "$HANGS"
# TC hops are opt-in for export: this run asks for them, to count frames there.
export_start "$EXP" -i tap0 -i up0 --json --hang-dir "$HANGS" --stall-ms 0 --tc-mode auto

default=$("$VNO_BIN" export --help | grep -o 'default 127\.0\.0\.1:[0-9]*' | cut -d' ' -f2)
assert_eq "${EXP_URL#http://}" "$default" "listens on the default address, $default"
# contrib/ names the same port and stays valid.
for f in contrib/vnoffload-trace.service contrib/prometheus.yml; do
	assert_eq "$(grep -oE ':[0-9]{4,5}\b' "$TB_ROOT/$f" | sort -u | tr '\n' ' ')" ":${default##*:} " \
		"$f names the default port ${default##*:} and no other"
done
if out=$(promtool check config "$TB_ROOT/contrib/prometheus.yml" 2>&1); then
	tb_pass "promtool check config contrib/prometheus.yml"
else
	tb_fail "promtool check config contrib/prometheus.yml: $(tail -c 300 <<<"$out")"
fi
assert_jq "$EXP" '.[0] | .type == "ready" and (.interfaces | map(.name) | sort) == ["tap0", "up0"]
	and (.hooks.xmit | test("net_dev_start_xmit"))' "ready line: tap0 and up0, xmit hooked"
assert_jq "$EXP" '.[0].interfaces | all(.netns > 0 and .mtu > 0 and (.driver | type == "string"))' \
	"ready line: netns, driver and mtu per interface, as in record's"

S=$TB_TMP/scrape
read -r code ctype < <(scrape "$S.0")
assert_eq "$code" 200 "GET /metrics: 200"
assert_eq "$ctype" "text/plain; version=0.0.4; charset=utf-8" "GET /metrics: exposition 0.0.4"
promtool_ok "$S.0" "first scrape"
assert_eq "$(metric "$S.0" 'vnoffload_build_info{version="'"$("$VNO_BIN" --version | cut -d' ' -f2)"'"}')" 1 \
	"build info carries the version"
assert_eq "$(metric "$S.0" 'vnoffload_hangs_total{source="manual"}')" 0 "no hang yet"

# ---- counters against the frames planted -------------------------------------------

batch=()
for i in $(seq 1 100); do batch+=("tcp4-tso:segs=4:mss=1448:sport=$((44000 + i))"); done
tb_plant "${batch[@]}" \
	tcp4-tso:segs=10:mss=1448:sport=45001 tcp4-tso:segs=6:mss=1000:sport=45002 \
	tcp6-tso:segs=4:mss=1428:sport=45003 tcp6-tso:segs=3:mss=1200:sport=45004 \
	udp4-uso:segs=5:mss=1200:sport=45005 \
	tcp4-csum:sport=45006 tcp4-csum:sport=45007 tcp4-plain:sport=45008 \
	udp4-uso:segs=20:mss=48:sport=45009 udp4-uso:segs=20:mss=48:sport=45010

PLANTED=$TB_TMP/all-planted.jsonl
jq -c 'select(.written)' "$TB_PLANTED" >"$PLANTED"
assert_eq "$(jq -s 'length' "$PLANTED")" 110 "the guest wrote all 110 frames"

# jq over the planted frames: count and bytes per kind prefix.
pl() { jq -s "$1" "$PLANTED"; }
n_tcp4=$(pl 'map(select(.kind == "tcp4-tso")) | length')
n_tcp6=$(pl 'map(select(.kind == "tcp6-tso")) | length')
n_udp=$(pl 'map(select(.kind == "udp4-uso")) | length')
b_tcp4=$(pl 'map(select(.kind == "tcp4-tso") | .len) | add')
segs_tcp4=$(pl 'map(select(.kind == "tcp4-tso") | .gso_segs) | add')
n_gso=$((n_tcp4 + n_tcp6 + n_udp))
# Offload-carrying frames the peer frees: TCP to a closed port (NO_SOCKET).
n_tcp_csum=$(pl 'map(select(.l4 == "tcp" and .kind != "tcp4-plain")) | length')

# Completions come in the peer's softirq: wait until every GSO frame has
# its done on up0 (bounded).
done_count()
{
	scrape "$S.done" >/dev/null
	local a b c
	a=$(metric "$S.done" 'vnoffload_tx_completion_latency_seconds_count{device="up0",gso="tcpv4"}')
	b=$(metric "$S.done" 'vnoffload_tx_completion_latency_seconds_count{device="up0",gso="tcpv6"}')
	c=$(metric "$S.done" 'vnoffload_tx_completion_latency_seconds_count{device="up0",gso="udp_l4"}')
	((${a:-0} + ${b:-0} + ${c:-0} >= n_gso))
}
tb_wait_until "$TB_TIMEOUT" done_count || tb_fail "every GSO frame completed on up0 (latency _count)"

F=$TB_TMP/scrape.final
read -r code _ < <(scrape "$F")
assert_eq "$code" 200 "final scrape: 200"
promtool_ok "$F" "final scrape"
if no_duplicates "$F"; then tb_pass "final scrape: no series twice"; else tb_fail "final scrape: a series twice"; fi

m() { metric "$F" "$1"; }
for hop in "tap0 rx" "up0 tc-egress" "up0 xmit"; do
	read -r dev h <<<"$hop"
	assert_eq "$(m "vnoffload_frames_total{device=\"$dev\",hop=\"$h\",gso=\"tcpv4\"}")" "$n_tcp4" \
		"$dev $h: frames_total{gso=tcpv4} = $n_tcp4 planted"
	assert_eq "$(m "vnoffload_frames_total{device=\"$dev\",hop=\"$h\",gso=\"tcpv6\"}")" "$n_tcp6" \
		"$dev $h: frames_total{gso=tcpv6} = $n_tcp6 planted"
	assert_eq "$(m "vnoffload_frames_total{device=\"$dev\",hop=\"$h\",gso=\"udp_l4\"}")" "$n_udp" \
		"$dev $h: frames_total{gso=udp_l4} = $n_udp planted"
	assert_eq "$(m "vnoffload_ip_summed_frames_total{device=\"$dev\",hop=\"$h\",gso=\"tcpv4\",state=\"partial\"}")" \
		"$n_tcp4" "$dev $h: every tcpv4 frame checksum-partial"
done
assert_eq "$(m 'vnoffload_bytes_total{device="tap0",hop="rx",gso="tcpv4"}')" "$b_tcp4" \
	"tap0 rx: bytes_total{gso=tcpv4} = the planted frames' $b_tcp4 bytes"
assert_eq "$(m 'vnoffload_gso_segs_count{device="up0",hop="xmit",gso="tcpv4"}')" "$n_tcp4" \
	"up0 xmit: gso_segs _count = $n_tcp4"
assert_eq "$(m 'vnoffload_gso_segs_sum{device="up0",hop="xmit",gso="tcpv4"}')" "$segs_tcp4" \
	"up0 xmit: gso_segs _sum = the planted $segs_tcp4 segments"
assert_eq "$(m 'vnoffload_gso_segs_bucket{device="up0",hop="xmit",gso="tcpv4",le="+Inf"}')" "$n_tcp4" \
	"up0 xmit: gso_segs +Inf bucket = _count"
assert_eq "$(m 'vnoffload_gso_size_bytes_bucket{device="up0",hop="xmit",gso="udp_l4",le="63"}')" 2 \
	"up0 xmit: the two 48-byte gso_size frames in le=63"
assert_eq "$(m 'vnoffload_gso_size_bytes_count{device="up0",hop="xmit",gso="udp_l4"}')" "$n_udp" \
	"up0 xmit: gso_size _count = $n_udp udp_l4 frames"
lat_n=$(m 'vnoffload_tx_completion_latency_seconds_count{device="up0",gso="tcpv4"}')
lat_sum=$(m 'vnoffload_tx_completion_latency_seconds_sum{device="up0",gso="tcpv4"}')
assert_eq "$lat_n" "$n_tcp4" "up0: completion latency _count{gso=tcpv4} = $n_tcp4"
if awk -v s="$lat_sum" -v n="$lat_n" 'BEGIN { exit !(s > 0 && s / n < 1) }'; then
	tb_pass "up0: completion latency _sum in seconds, mean $(awk -v s="$lat_sum" -v n="$lat_n" 'BEGIN { printf "%.1f us", s / n * 1e6 }')"
else
	tb_fail "up0: completion latency _sum $lat_sum s for $lat_n frames"
fi
assert_eq "$(m 'vnoffload_drops_total{device="up0",reason="NO_SOCKET"}')" "$n_tcp_csum" \
	"up0: drops_total{reason=NO_SOCKET} = the $n_tcp_csum TCP frames to a closed port"
inflight=$(grep -c '^vnoffload_frames_in_flight{device="up0",queue="[0-9]*"} [0-9]*$' "$F")
if ((inflight >= 1)); then
	tb_pass "up0: frames_in_flight per queue ($inflight queues)"
else
	tb_fail "up0: no frames_in_flight series"
fi
checked=$(m 'vnoffload_anomaly_checked_frames_total{device="up0"}')
if ((${checked:-0} >= n_gso)); then
	tb_pass "up0: the flight recorder's $checked frames checked"
else
	tb_fail "up0: anomaly_checked_frames_total ${checked:-missing} < $n_gso"
fi
assert_eq "$(m 'vnoffload_anomalies_total{device="up0",rule="gso_size_tiny"}')" 2 \
	"up0: anomalies_total{rule=gso_size_tiny} = the two 48-byte gso_size frames"
assert_eq "$(grep -c '^vnoffload_hook_info{hop="xmit",hook="[^"]*net_dev_start_xmit"} 1$' "$F")" 1 \
	"hook_info names the xmit hook"
assert_eq "$(m 'vnoffload_events_lost_total')" 0 "no events lost"

# Counted once: a second scrape sees the same anomalies, not twice as many.
scrape "$S.again" >/dev/null
assert_eq "$(metric "$S.again" 'vnoffload_anomalies_total{device="up0",rule="gso_size_tiny"}')" 2 \
	"a scrape later: the same anomalies are not counted again"

# ---- a manual trigger: hangs counted, capture files written ---------------------------

# Right after the planted frames, before any other load: the window then holds
# what this test planted (110 frames, well under the 1,024 kept per device),
# whatever the speed of the machine.

kill -USR1 "$EXP_PID"
tb_wait_until "$TB_TIMEOUT" _tb_jq_true "$EXP" 'map(select(.type == "hang_capture")) | length >= 2' ||
	tb_fail "SIGUSR1: a capture per watched device"
# Scrapes within 100 ms of each other share one render: wait for a fresh one.
manual_hangs() { scrape "$S.hang" >/dev/null; [[ $(metric "$S.hang" 'vnoffload_hangs_total{source="manual"}') == 2 ]]; }
tb_wait_until "$TB_TIMEOUT" manual_hangs
assert_eq "$(metric "$S.hang" 'vnoffload_hangs_total{source="manual"}')" 2 \
	"SIGUSR1: hangs_total{source=manual} = 2 (tap0 and up0)"
assert_jq "$EXP" 'map(select(.type == "hang")) | map(.dev) | sort == ["tap0", "up0"]' \
	"SIGUSR1: a diagnosis per device on stdout"
CAP=$(jq -r 'select(.type == "hang_capture" and .dev == "up0") | .path' "$EXP" | head -1)
if [[ $CAP == "$HANGS"/hang-up0-*.pcapng.gz && -s $CAP ]]; then
	tb_pass "capture file $(basename "$CAP")"
else
	tb_fail "no capture file for up0 in $HANGS: $(ls "$HANGS")"
fi
if [[ -s $CAP ]]; then
	"$VNO_BIN" report --json "$CAP" >"$TB_TMP/report.jsonl" 2>"$TB_TMP/report.err" ||
		tb_fail "report $CAP: $(head -c 300 "$TB_TMP/report.err")"
	assert_jq "$TB_TMP/report.jsonl" 'map(select(.type == "hang")) | length == 1
		and .[0].dev == "up0" and .[0].source == "manual"
		and (.[0].frames_before | map(select(.gso_size == 48)) | length == 2)' \
		"report reads the capture: the hang on up0 with the frames before it"
	if command -v tshark >/dev/null; then
		n=$(tshark -r "$CAP" 2>/dev/null | wc -l)
		if ((n >= n_gso)); then
			tb_pass "tshark reads $n frames from the capture"
		else
			tb_fail "tshark read $n frames from $CAP"
		fi
	fi
fi

# ---- scrapes while the bed carries traffic -----------------------------------------

# A second guest on tap1 planting TSO frames every 2 ms until stopped.
tb_bg "$TB_H" "$TB_TMP/guest1.out" "$VNO_GUEST" --tap tap1 --bridge br0 \
	--src-mac 02:00:5e:00:53:09 --dst-mac "$TB_PEER_MAC" --src-ip 192.0.2.9 \
	--dst-ip "$TB_PEER4" --dport "$TB_UDP_PORT" --ready-file "$TB_TMP/guest1.ready" \
	--drain --quiet --count 0 --interval-us 2000 tcp4-tso:segs=4:mss=1448
GUEST1=$TB_BG_PID
tb_wait_until "$TB_TIMEOUT" test -e "$TB_TMP/guest1.ready" ||
	tb_fatal "second guest did not start: $(cat "$TB_TMP/guest1.out.err")"
prev=$(m 'vnoffload_frames_total{device="up0",hop="xmit",gso="tcpv4"}')
rising=0
for i in 1 2 3 4 5; do
	sleep 0.3
	read -r code _ < <(scrape "$S.busy$i")
	[[ $code == 200 ]] || tb_fail "scrape $i during traffic: HTTP $code"
	promtool check metrics <"$S.busy$i" >/dev/null 2>&1 || tb_fail "scrape $i during traffic: promtool"
	no_duplicates "$S.busy$i" || tb_fail "scrape $i during traffic: a series twice"
	v=$(metric "$S.busy$i" 'vnoffload_frames_total{device="up0",hop="xmit",gso="tcpv4"}')
	((${v:-0} > prev)) && rising=$((rising + 1))
	prev=${v:-0}
done
tb_kill "$GUEST1" TERM
assert_eq "$rising" 5 "5 scrapes while a guest sends: up0's tcpv4 frames rise every time"
promtool_ok "$S.busy5" "a scrape during traffic"

# ---- requests that are not scrapes --------------------------------------------------

assert_eq "$(code "$EXP_URL/")" 200 "GET /: the landing page"
assert_eq "$(nscurl "$EXP_URL/" | grep -c 'href="/metrics"')" 1 "the landing page links /metrics"
assert_eq "$(code "$EXP_URL/nope")" 404 "GET /nope: 404"
assert_eq "$(code "$EXP_URL/metrics/x")" 404 "GET /metrics/x: 404"
assert_eq "$(code -X POST -d x=1 "$EXP_URL/metrics")" 405 "POST /metrics: 405"
assert_eq "$(code -X DELETE "$EXP_URL/")" 405 "DELETE /: 405"
assert_eq "$(code -I "$EXP_URL/metrics")" 200 "HEAD /metrics: 200"
big=$(head -c 65536 /dev/zero | tr '\0' a)
assert_eq "$(code -H "X-Big: $big" "$EXP_URL/metrics")" 431 "a 64 KiB header: 431"
assert_eq "$(code "$EXP_URL/$big")" 414 "a 64 KiB URL: 414"

# raw BYTES: send them, print the status line the exporter answers (or "").
raw()
{
	local hp=${EXP_URL#http://}
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$TB_H" bash -c 'exec 3<>"/dev/tcp/${1%:*}/${1##*:}" || exit 1
		printf "$2" >&3; timeout 5 head -n 1 <&3 | tr -d "\r"' _ "$hp" "$1"
}
for req in 'garbage\r\n\r\n' 'GET\r\n\r\n' 'GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n' \
	'GET / HTTP/7.0\r\n\r\n'; do
	status=$(raw "$req")
	if [[ -z $status || $status =~ ^HTTP/1\.[01]\ [45][0-9][0-9] ]]; then
		tb_pass "malformed '${req%%\\r*}': ${status:-connection closed}"
	else
		tb_fail "malformed '${req%%\\r*}': answered '$status'"
	fi
	assert_eq "$(code "$EXP_URL/metrics")" 200 "  and /metrics still served"
done

# ---- SIGTERM: a clean exit, nothing left behind ------------------------------------

export_stop TERM
assert_eq "$EXP_RC" 0 "SIGTERM: exit 0"
assert_eq "$(code "$EXP_URL/metrics")" 000 "the port is closed"
assert_eq "$(ip netns exec "$TB_H" bpftool net show dev up0 2>/dev/null | grep -c vno)" 0 \
	"no program of ours on up0 (bpftool net show)"
assert_eq "$({ ip netns exec "$TB_H" tc filter show dev up0 ingress
	ip netns exec "$TB_H" tc filter show dev up0 egress; } 2>/dev/null | grep -cE 'vno|handle 0x766e')" 0 \
	"no clsact filter of ours on up0"
assert_eq "$(ip netns exec "$TB_H" "$VNO_GUEST" --tcx-show up0 |
	jq '[.ingress, .egress] | map(if type == "array" then map(select(.name // "" | startswith("vno"))) | length else 0 end) | add')" 0 \
	"no TCX program of ours on up0"

tb_finish
