#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Every --json line against the JSON Schema `vnoffload-trace schema` prints,
# validated by python3-jsonschema (tests/tools/schema_check.py --strict: a
# member the schema does not describe fails too):
#   fixtures  report --json and --json --frames of tests/fixtures captures;
#   doctor    doctor --json, and error lines;
#   record    record on the bed: planted super-frames, a kmsg hang, an
#             offload switched, an interface gone and back; then report of
#             what it wrote;
#   export    export --hang-dir: ready, a kmsg hang, its hang_capture line.
# One case alone: test_schema.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd jq
# The Debian package (make deps) is /usr/bin/python3's; a python3 earlier
# in PATH may have its own.
PY=
for p in python3 /usr/bin/python3; do
	"$p" -c 'import jsonschema' 2>/dev/null && PY=$p && break
done
[[ -n $PY ]] || skip "python3-jsonschema is not installed (make deps)"
SCHEMA=$TB_TMP/schema.json
"$VNO_BIN" schema >"$SCHEMA" || tb_fatal "vnoffload-trace schema failed"
cmp -s "$SCHEMA" "$TB_ROOT/doc/vnoffload-trace.schema.json" &&
	tb_pass "schema prints doc/vnoffload-trace.schema.json" ||
	tb_fail "schema prints something else than doc/vnoffload-trace.schema.json (rebuild?)"

# valid WHAT TYPES FILE...: each line of FILE valid; each of TYPES seen.
valid()
{
	local what=$1 types=$2 out
	shift 2
	if out=$("$PY" "$TB_ROOT/tests/tools/schema_check.py" --strict --expect "$types" \
		"$SCHEMA" "$@" 2>&1); then
		tb_pass "$what: $(grep -c 'lines checked' <<<"$out") file(s), $(awk '/lines checked/ { n += $2 } END { print n }' <<<"$out") lines valid ($types seen)"
	else
		tb_fail "$what: $(grep -v 'lines checked' <<<"$out" | head -n 8 | cut -c1-400)"
	fi
}

case_fixtures()
{
	local f n=0
	for f in "$TB_ROOT"/tests/fixtures/*.pcapng "$TB_ROOT"/tests/fixtures/*.pcapng.gz; do
		n=$((n + 1))
		"$VNO_BIN" report --json "$f" >"$TB_TMP/fx$n.jsonl" 2>/dev/null
		"$VNO_BIN" report --json --frames "$f" >"$TB_TMP/fxf$n.jsonl" 2>/dev/null
	done
	((n > 0)) || tb_fatal "no capture in tests/fixtures"
	valid "report of $n fixtures" capture,summary "$TB_TMP"/fx[0-9]*.jsonl
	valid "report --frames of $n fixtures" capture,frame,summary "$TB_TMP"/fxf*.jsonl
}

case_doctor()
{
	local out=$TB_TMP/doctor.jsonl
	"$VNO_BIN" doctor --json >"$out" 2>/dev/null
	"$VNO_BIN" --json doctor >>"$out" 2>/dev/null
	# And where a bridge joins a tap to a veth: a path.
	tb_netns_add "vnos-$TB_SFX"
	ip -n "vnos-$TB_SFX" link add brs0 type bridge &&
		ip -n "vnos-$TB_SFX" tuntap add dev stap0 mode tap &&
		ip -n "vnos-$TB_SFX" link add sup0 type veth peer name sup1 &&
		ip -n "vnos-$TB_SFX" link set stap0 master brs0 &&
		ip -n "vnos-$TB_SFX" link set sup0 master brs0 || tb_fatal "cannot build the path bed"
	ip netns exec "vnos-$TB_SFX" "$VNO_BIN" doctor --json >>"$out" 2>/dev/null
	assert_jq "$out" '.[-1].paths | length == 1' "doctor --json in the path bed: one path"
	valid "doctor --json" doctor "$out"
	"$VNO_BIN" --json report /nonexistent/x.pcapng >"$TB_TMP/err.jsonl" 2>/dev/null
	"$VNO_BIN" --json record --duration bogus >>"$TB_TMP/err.jsonl" 2>/dev/null
	"$VNO_BIN" --json schema --bogus >>"$TB_TMP/err.jsonl" 2>/dev/null
	assert_eq "$(grep -c . "$TB_TMP/err.jsonl")" 3 "three error lines"
	valid "error lines" error "$TB_TMP/err.jsonl"
}

_iface_event() { jq -e -s --arg e "$2" 'any(.[]; .type == "iface" and .event == $e)' "$1" >/dev/null 2>&1; }

case_record()
{
	local rec=$TB_TMP/record.jsonl cap=$TB_TMP/record.pcapng.gz
	tb_up
	ip -n "$TB_H" link add vx0 type veth peer name vx0p && ip -n "$TB_H" link set vx0 up ||
		tb_fatal "cannot create veth vx0"
	vno_record_start "$rec" -- -i tap0 -i up0 -i vx0 --json -w "$cap"
	tb_plant tcp4-tso:segs=10:mss=1448:sport=46001 tcp6-tso:segs=4:mss=1428:sport=46002 \
		udp4-uso:segs=5:mss=1200:sport=46003 tcp4-csum:sport=46004 \
		tcp4-tso:segs=10:mss=1448:vlan=100:sport=46005 udp4-uso:segs=20:mss=48:sport=46006
	tb_wait_jq "$rec" '[.[] | select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport >= 46001 and .sport <= 46006)] | length == 6' ||
		tb_fail "the planted frames reached up0's xmit"
	echo "<3>e1000e 0000:00:19.0 up0: Detected Hardware Unit Hang:" >/dev/kmsg
	tb_wait_jq "$rec" 'any(.type == "hang")' || tb_fail "a hang after the kmsg line"
	ip netns exec "$TB_H" ethtool -K vx0 gso off
	tb_wait_jq "$rec" 'any(.type == "offload_change")' || tb_fail "gso off on vx0: an offload_change line"
	ip -n "$TB_H" link del vx0
	tb_wait_until "$TB_TIMEOUT" _iface_event "$rec" gone || tb_fail "vx0 gone: an iface line"
	ip -n "$TB_H" link add vx0 type veth peer name vx0p && ip -n "$TB_H" link set vx0 up
	tb_wait_until "$TB_TIMEOUT" _iface_event "$rec" back || tb_fail "vx0 back: an iface line"
	vno_record_stop INT
	valid "record --json" ready,frame,hang,iface,offload_change,summary "$rec"
	"$VNO_BIN" report --json --frames "$cap" >"$TB_TMP/report.jsonl" 2>"$TB_TMP/report.err" ||
		tb_fail "report of the recording: $(head -c 300 "$TB_TMP/report.err")"
	valid "report --json --frames of the recording" capture,frame,hang,offload_change,summary "$TB_TMP/report.jsonl"
}

case_export()
{
	local exp=$TB_TMP/export.jsonl hangs=$TB_TMP/hangs
	[[ -n ${TB_GUEST_PID:-} ]] || tb_up
	mkdir -p "$hangs"
	export_start "$exp" -i tap0 -i up0 --json --listen 127.0.0.1:0 --hang-dir "$hangs" --stall-ms 0
	tb_plant tcp4-tso:segs=10:mss=1448:sport=47001 udp4-uso:segs=5:mss=1200:sport=47002
	echo "<3>e1000e 0000:00:19.0 up0: Detected Hardware Unit Hang:" >/dev/kmsg
	tb_wait_jq "$exp" 'any(.type == "hang_capture")' || tb_fail "a hang and its capture"
	export_stop TERM
	valid "export --json" ready,hang,hang_capture "$exp"
}

[[ -w /dev/kmsg ]] || skip "cannot write /dev/kmsg to plant a hang line"
tb_run_cases "fixtures doctor record export" "$@"
