#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Through the overlay: the stand-in guest's super-frames go tap0 -> br0 ->
# vxlan0 (VNI 42) -> up0, a veth to the peer namespace, whose own vxlan0
# takes them out again. Every device MTU 1500 but the vxlan devices', which
# the kernel sets to 1450 (1500 less 50 bytes of VXLAN over IPv4).
#   fit       gso_size 1398 fits once encapsulated: at up0 the frame shows
#             VNI 42, the inner addresses and ports the guest wrote, its
#             checksum offsets inside the inner frame, the pkt_id it had on
#             tap0, and origin tap0; report on the -w capture says the same
#   oversized gso_size 1448 does not: vxlan0 (a bridge port) flags it with
#             the numbers (segments of 1488 bytes over 1450) under
#             df_segment_over_path_mtu, the guest's TCP having set DF (the
#             kernel answers instead of fragmenting), its release is explained
#             as that drop, counted per device and reason, and the remedy
#             gives the guest MTU 1450 or the underlay 1550; report on the
#             capture says the same
#   fit6      over an IPv6 underlay with an IPv6 guest: the default snap of
#             encapsulated frames (192) keeps the inner TCP header, which a
#             given --snaplen 128 cuts
#   export    the same frames counted by export at vxlan0 under
#             vnoffload_anomalies_total{rule="tunnel_segment_over_mtu"} (its
#             flight recorder holds no bytes: no DF bit), and their release
#             there under vnoffload_drops_explained_total{cause=…}
. "$(dirname "$0")/lib.sh"

tb_need_vno

VNI=$TB_VNI
UNDER_H=$TB_UNDER_H
UNDER_P=$TB_UNDER_P

# schema_valid WHAT FILE...: every line valid under `vnoffload-trace schema`,
# members the schema does not describe included (schema_check.py --strict).
schema_valid()
{
	local what=$1 py='' p out
	shift
	for p in python3 /usr/bin/python3; do
		"$p" -c 'import jsonschema' 2>/dev/null && py=$p && break
	done
	if [[ -z $py ]]; then
		tb_log "$what: lines not checked against the schema: python3-jsonschema is not installed (make deps)"
		return 0
	fi
	"$VNO_BIN" schema >"$TB_TMP/schema.json" || tb_fatal "vnoffload-trace schema failed"
	if out=$("$py" "$TB_ROOT/tests/tools/schema_check.py" --strict --expect frame \
		"$TB_TMP/schema.json" "$@" 2>&1); then
		tb_pass "$what: every line valid under the schema"
	else
		tb_fail "$what: $(grep -v 'lines checked' <<<"$out" | head -n 8 | cut -c1-400)"
	fi
}

JQ_LIB='
def frames: map(select(.type == "frame"));
def at($dev; $hop): frames | map(select(.dev == $dev and .hop == $hop));
# The guest'"'"'s frames at up0, encapsulated (not the bridge'"'"'s own MLD).
def tunnelled: at("up0"; "xmit") | map(select(.encap.inner.l4 == "tcp"));
'

# The frames of gso_size $1 at up0 (encapsulated) and at tap0.
check_fit()
{
	local out=$1 what=$2
	assert_jq "$out" "$JQ_LIB tunnelled | length >= 2" \
		"$what: the fitting super-frames reached up0 encapsulated"
	assert_jq "$out" "$JQ_LIB tunnelled | all(
		.encap.type == \"vxlan\" and .encap.vni == $VNI and .encap.skb_encapsulation
		and .encap.saddr == \"$UNDER_H\" and .encap.daddr == \"$UNDER_P\" and .encap.dport == 4789
		and .dport == 4789 and any(.gso_type[]; . == \"udp_tunnel_csum\")
		and .gso_size == 1398)" \
		"$what: at up0: vxlan, VNI $VNI, outer $UNDER_H > $UNDER_P:4789, gso_size 1398"
	# Each encapsulated frame against what the guest planted (by sequence).
	jq -s --slurpfile p "$TB_PLANTED" "$JQ_LIB"'
		($p | map(select(.gso_size == 1398)) | map({key: (.tcp_seq | tostring), value: .})
		 | from_entries) as $pl
		| at("tap0"; "rx") as $rx
		| tunnelled | length > 0 and all(
			.encap.inner as $i | $pl[$i.tcp_seq | tostring] as $g
			| ($rx | map(select(.tcp_seq == $g.tcp_seq)) | .[0]) as $t
			| $g != null and $t != null
			and $i.l3 == "ipv4" and $i.l4 == "tcp"
			and $i.saddr == $g.saddr and $i.daddr == $g.daddr
			and $i.sport == $g.sport and $i.dport == $g.dport
			and $i.tcp_flags == "P." and $i.csum_start == $g.csum_start
			and $i.csum_offset == $g.csum_offset
			and .pkt_id == $t.pkt_id and .origin == "tap0")' "$out" >"$TB_TMP/fit.check" 2>&1
	assert_eq "$(cat "$TB_TMP/fit.check")" true \
		"$what: inner addresses, ports, flags and checksum offsets as planted; pkt_id as on tap0; origin tap0"
}

case_fit()
{
	local rec=$TB_TMP/fit.jsonl cap=$TB_TMP/fit.pcapng rep=$TB_TMP/fit-report.jsonl n=3 i
	tb_overlay_up
	assert_eq "$(ip -n "$TB_H" -j link show vxlan0 | jq '.[0].mtu')" 1450 \
		"the kernel gave vxlan0 the MTU 1450 (1500 less VXLAN over IPv4)"
	vno_record_start "$rec" -- -i tap0 -i vxlan0 -i up0 --json -w "$cap" --stall-ms 200
	for ((i = 0; i < n; i++)); do
		tb_plant "tcp4-tso:segs=4:mss=1398:seq=$((1000000 + i * 100000))"
	done
	tb_wait_jq "$rec" "$JQ_LIB tunnelled | length >= $n" ||
		tb_fail "the $n planted frames reached up0 (record $rec)"
	# Time for the stall trigger (200 ms) to look at vxlan0's queue, whose
	# frames went on to up0: a slow machine only makes this check weaker.
	sleep 1
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record exits 0"
	assert_jq "$rec" 'map(select(.type == "hang")) | length == 0' \
		"no stall on vxlan0: the frames it handed to up0 count as released there"
	assert_jq "$rec" 'map(select(.type == "summary"))[-1].devices
		| map(select(.dev == "vxlan0" and .hop == "xmit"))[0].in_flight_at_end == 0' \
		"vxlan0: nothing in flight at the end"
	check_fit "$rec" record
	"$VNO_BIN" report --json --frames "$cap" >"$rep" 2>"$rep.err"
	assert_eq "$?" 0 "report reads the capture"
	check_fit "$rep" report
	schema_valid "record and report --frames" "$rec" "$rep"
	check_tshark "$cap" "$rep"
}

# check_tshark CAP REPORT: Wireshark reads the capture's bytes as VXLAN
# down to the inner TCP ports (the default snap keeps the inner headers),
# and the dissector's vno.* fields from the comments agree, on as many
# frames as report found at up0.
check_tshark()
{
	local cap=$1 rep=$2 n lua=$TB_ROOT/contrib/wireshark/vnoffload.lua
	if ! command -v tshark >/dev/null; then
		tb_log "the capture is not read with tshark: tshark is not installed (make deps)"
		return 0
	fi
	n=$(jq -s "$JQ_LIB tunnelled | length" "$rep")
	assert_eq "$(tshark -r "$cap" -Y "vxlan.vni == $VNI && tcp.srcport == 40000 && ip.src == $TB_GUEST4" \
		-T fields -e frame.number 2>/dev/null | grep -c .)" "$n" \
		"tshark dissects VXLAN $VNI down to the inner TCP ports in the $n frames at up0"
	assert_eq "$(tshark -X "lua_script:$lua" -r "$cap" -Y "vno.encap == \"vxlan\" && vno.vni == $VNI \
		&& vno.inner contains \"$TB_GUEST4:40000>\" && vno.inner_csum_start == 34 \
		&& vno.inner_csum_offset == 16" -T fields -e frame.number 2>/dev/null | grep -c .)" "$n" \
		"the dissector's vno.encap, vno.vni, vno.inner, vno.inner_csum_* on the same $n frames"
}

# check_oversized OUT WHAT N: the N frames of gso_size 1448 flagged at
# vxlan0 with the numbers and DF (the stand-in guest sets DF on TCP, as
# Linux does), their release there explained, the summary's count and
# remedy.
check_oversized()
{
	local out=$1 what=$2 n=$3
	local why='segments of 1488 B (gso_size 1448 + 40 B of headers) > MTU 1450 of vxlan0 (VXLAN over IPv4 adds 50 B: they need 1538 on the underlay)'
	local df='; DF set: answered with ICMP \"fragmentation needed\" (MTU 1450), not fragmented'
	assert_jq "$out" "$JQ_LIB at(\"vxlan0\"; \"xmit\") | map(select(.gso_size == 1448)) | length == $n
		and all(.anomaly == \"df_segment_over_path_mtu\" and .anomaly_detail == \"$why$df\"
			and .origin == \"tap0\")" \
		"$what: the $n frames of gso_size 1448 flagged at vxlan0 with the numbers and DF"
	assert_jq "$out" "$JQ_LIB (at(\"vxlan0\"; \"xmit\") | map(select(.gso_size == 1448) | .pkt_id)) as \$ids
		| at(\"vxlan0\"; \"done\") | map(select(.pkt_id as \$i | \$ids | index(\$i))) as \$d
		| (\$d | length) == $n and (\$d | all(.drop_cause | (startswith(\"dropped at vxlan0: \")
			or startswith(\"refused at vxlan0: \")) and contains(\"$why\")))" \
		"$what: each one's release at vxlan0 is the drop explained"
	assert_jq "$out" "$JQ_LIB tunnelled | map(select(.gso_size == 1448)) | length == 0" \
		"$what: none of them reached up0"
	assert_jq "$out" "map(select(.type == \"summary\"))[-1].devices
		| map(select(.dev == \"vxlan0\" and .hop == \"done\"))[0] as \$d
		| \$d.anomaly_rules == {} and (\$d.drop_causes | length) == 1 and \$d.drop_causes[0] as \$c
		| \$c.frames == $n and \$c.rule == \"df_segment_over_path_mtu\" and \$c.segment == 1488
		and \$c.mtu == 1450 and \$c.overhead == 50 and \$c.origin == \"tap0\"
		and \$c.underlay == \"up0\"
		and ((\$c.fate == \"dropped\" and \$d.drops[\$c.reason] >= $n)
		     or (\$c.fate == \"answered_icmp_too_big\" and \$c.reason == null))
		and \$c.remedy.guest_mtu == 1450 and (\$c.remedy.qemu | endswith(\"host_mtu=1450\"))
		and \$c.remedy.libvirt == \"<mtu size='1450'/>\" and \$c.remedy.underlay_mtu == 1550
		and \$c.remedy.underlay == \"ip link set dev up0 mtu 1550; ip link set dev vxlan0 mtu 1500\"" \
		"$what: the summary counts $n drops at vxlan0 by reason and cause; the remedy: guest MTU 1450 or the underlay 1550"
}

case_oversized()
{
	local rec=$TB_TMP/big.jsonl cap=$TB_TMP/big.pcapng rep=$TB_TMP/big-report.jsonl n=3 i txt
	tb_overlay_up
	assert_eq "$(ip -n "$TB_H" -j link show vxlan0 | jq '.[0].mtu')" 1450 \
		"the kernel gave vxlan0 the MTU 1450 (1500 less VXLAN over IPv4)"
	vno_record_start "$rec" -- -i tap0 -i vxlan0 -i up0 --json -w "$cap"
	# One that fits first: the underlay is then known from its frame.
	tb_plant "tcp4-tso:segs=4:mss=1398:seq=500000"
	for ((i = 0; i < n; i++)); do
		tb_plant "tcp4-tso:segs=4:mss=1448:seq=$((2000000 + i * 100000))"
	done
	tb_wait_jq "$rec" "$JQ_LIB at(\"vxlan0\"; \"done\") | map(select(.drop_cause != null)) | length >= $n" ||
		tb_fail "the $n oversized frames were released at vxlan0 (record $rec)"
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record exits 0"
	check_oversized "$rec" record "$n"
	"$VNO_BIN" report --json --frames "$cap" >"$rep" 2>"$rep.err"
	assert_eq "$?" 0 "report reads the capture"
	check_oversized "$rep" report "$n"
	schema_valid "record and report --frames" "$rec" "$rep"
	# The terminal says it too.
	txt=$("$VNO_BIN" report "$cap" 2>&1)
	assert_eq "$(grep -cE '(dropped|refused) at vxlan0: segments of 1488 B' <<<"$txt")" 1 \
		"report's summary: the drop explained once"
	assert_eq "$(grep -c 'remedy: give the guest MTU 1450 (QEMU -device virtio-net-pci,…,host_mtu=1450' <<<"$txt")" 1 \
		"report's summary: the guest's MTU through QEMU"
	assert_eq "$(grep -c 'or raise the underlay to 1550 (1538 at least for these segments): ip link set dev up0 mtu 1550' <<<"$txt")" 1 \
		"report's summary: or the underlay's"
}

# _metric_at_least SERIES N: a scrape of /metrics (kept in $TB_TMP/metrics)
# has SERIES at N or more.
# fit6: an IPv6 underlay and an IPv6 guest, where the inner TCP header lies
# past 128 bytes (outer 14 + 40 + 8 + 8, inner 14 + 40: it starts at 124):
# the default snap of an encapsulated frame keeps it, so tshark reads the
# inner ports, sequence and flags from the bytes at up0; a recorder beside
# it given --snaplen 128 keeps 128 bytes of the same frames (no inner TCP
# flags).
case_fit6()
{
	local rec=$TB_TMP/fit6.jsonl cap=$TB_TMP/fit6.pcapng cap128=$TB_TMP/fit6-128.pcapng
	local n=2 i want got pid128
	TB_UNDER6=1 tb_overlay_up
	assert_eq "$(ip -n "$TB_H" -j link show vxlan0 | jq '.[0].mtu')" 1430 \
		"the kernel gave vxlan0 the MTU 1430 (1500 less VXLAN over IPv6)"
	tb_bg "$TB_H" "$TB_TMP/rec128.jsonl" "$VNO_BIN" record -i tap0 -i up0 --json -q -w "$cap128" \
		--snaplen 128
	pid128=$TB_BG_PID
	_tb_wait_ready "record --snaplen 128" "$pid128" "$TB_TMP/rec128.jsonl"
	vno_record_start "$rec" -- -i tap0 -i vxlan0 -i up0 --json -w "$cap"
	for ((i = 0; i < n; i++)); do
		tb_plant "tcp6-tso:segs=4:mss=1348:seq=$((4000000 + i * 100000))"
	done
	tb_wait_jq "$rec" "$JQ_LIB tunnelled | length >= $n" ||
		tb_fail "the $n planted frames reached up0 (record $rec)"
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record exits 0"
	tb_kill "$pid128" INT
	assert_jq "$rec" "$JQ_LIB tunnelled | length == $n and all(.encap.type == \"vxlan\"
		and .encap.vni == $VNI and .encap.saddr == \"$TB_UNDER_H\" and .encap.inner.l3 == \"ipv6\")" \
		"at up0: the $n frames in VXLAN $VNI over IPv6 ($TB_UNDER_H), inner IPv6"
	if ! command -v tshark >/dev/null; then
		tb_log "the capture is not read with tshark: tshark is not installed (make deps)"
		return 0
	fi
	# What the guest planted: inner ports, sequence and flags.
	want=$(jq -r 'select(.gso_size == 1348) | "\(.sport) \(.dport) \(.tcp_seq) 1"' "$TB_PLANTED" | sort)
	got=$(tshark -r "$cap" -Y "vxlan.vni == $VNI && ipv6.src == $TB_GUEST6" \
		-T fields -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.flags.push 2>/dev/null |
		tr '\t' ' ' | sort)
	assert_eq "$got" "$want" \
		"tshark reads the inner TCP ports, sequence and PSH flag at up0 from the default snap's bytes"
	# The copy stops at the linear part, which holds the headers here:
	# outer 14 + 40 + 8 + 8, inner 14 + 40 + 20.
	assert_eq "$(tshark -r "$cap" -Y "vxlan.vni == $VNI && ipv6.src == $TB_GUEST6" \
		-T fields -e frame.cap_len 2>/dev/null | sort -u)" 144 \
		"the encapsulated frames keep all 144 bytes of their headers, past 128"
	assert_eq "$(tshark -r "$cap128" -Y "vxlan.vni == $VNI && ipv6.src == $TB_GUEST6 && tcp.flags.push == 1" \
		-T fields -e frame.number 2>/dev/null | grep -c .)" 0 \
		"with --snaplen 128 given, the same frames are cut before the inner TCP flags"
	assert_eq "$(tshark -r "$cap128" -Y "vxlan.vni == $VNI && ipv6.src == $TB_GUEST6" \
		-T fields -e frame.cap_len 2>/dev/null | sort -u)" 128 \
		"and keep 128 bytes: a given --snaplen holds for every frame"
}

_metric_at_least()
{
	nscurl "$EXP_URL/metrics" >"$TB_TMP/metrics" 2>/dev/null &&
		awk -v s="$1" -v n="$2" '$1 == s && $2 >= n { ok = 1 } END { exit !ok }' \
			"$TB_TMP/metrics"
}

# export: the flight recorder's frames (no bytes) are flagged too.
case_export()
{
	local exp=$TB_TMP/export.jsonl n=2 i
	tb_overlay_up
	export_start "$exp" -i tap0 -i vxlan0 -i up0 --json --listen 127.0.0.1:0 --stall-ms 0
	for ((i = 0; i < n; i++)); do
		tb_plant "tcp4-tso:segs=4:mss=1448:seq=$((3000000 + i * 100000))"
	done
	tb_wait_until "$TB_TIMEOUT" _metric_at_least \
		'vnoffload_anomalies_total{device="vxlan0",rule="tunnel_segment_over_mtu"}' "$n" &&
		tb_pass "vnoffload_anomalies_total{device=vxlan0,rule=tunnel_segment_over_mtu} counts the $n frames" ||
		tb_fail "vnoffload_anomalies_total{device=vxlan0,rule=tunnel_segment_over_mtu} reached $n: $(grep 'device="vxlan0"' "$TB_TMP/metrics" | grep -v ' 0$' | head -5)"
	# Their releases at vxlan0 (an ICMP answer, or freed), paired with
	# them in the flight recorder, explained by that rule.
	tb_wait_until "$TB_TIMEOUT" _metric_at_least \
		'vnoffload_drops_explained_total{device="vxlan0",cause="tunnel_segment_over_mtu"}' "$n" &&
		tb_pass "vnoffload_drops_explained_total{device=vxlan0,cause=tunnel_segment_over_mtu} counts the $n releases" ||
		tb_fail "vnoffload_drops_explained_total{device=vxlan0,cause=tunnel_segment_over_mtu} reached $n: $(grep -E 'explained|device="vxlan0",hop="done"' "$TB_TMP/metrics" | head -5)"
	assert_eq "$(grep -c '^vnoffload_drops_explained_total{device="up0"' "$TB_TMP/metrics")" 0 \
		"nothing explained on up0: the oversized frames never reached it"
	assert_eq "$(grep -c '^vnoffload_anomalies_total{device="vxlan0",rule="gso_size_over_mtu"} [1-9]' "$TB_TMP/metrics")" 0 \
		"the generic gso_size_over_mtu leaves the tunnel device to the tunnel's rule"
	export_stop
	assert_eq "$EXP_RC" 0 "export exits 0"
}

tb_run_cases "fit fit6 oversized export" "$@"
