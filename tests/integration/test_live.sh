#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The live interface set: started before the guests, as at a host's boot,
# `export` and `record` follow taps that stand-in VMMs (vno-guest --name
# guest=NAME, which vnoffload-trace reads as QEMU's -name) create and
# remove while they run, and name the VM behind each:
# - export_waits: `export -i 'lvt*'` with no lvt* interface stays up and says
#   so once; a VMM makes lvt0 and sends super-frames: /metrics has lvt0's
#   series with vm="web-01"; the VMM exits, the tap goes: so do its series;
#   a second VMM makes lvt0 again: watched again ("back"), vm="web-02";
# - record_follows: the same for `record --json -i 'lvt*'`: iface events
#   with the VM, rx frames of the new tap carrying "vm";
# - churn: 300 taps created, used and deleted while `export` runs, ten at
#   a time: every one said new and gone, no error, no series of a deleted
#   tap left in /metrics, RSS at the end within 2 MiB of RSS after the
#   first 50 (both printed); VNO_LIVE_TAPS and VNO_LIVE_BATCH (taps at
#   once) change the 300 and the 10;
# - two_guests: two VMs started after `record` (no -i) on one bridge, both
#   sending ordinary TSO; then web-b sends a burst of tiny-MSS USO frames
#   before a planted hang on the uplink: the top suspect is the burst, from
#   web-b's tap, and the remedy names that tap and VM, not web-a's;
# - vm_follows: `export --vm 'web-*' --tc-mode tcx` started with no VM:
#   waits; web-07's tap lvt0 is watched (TC programs on it, vm label), a
#   VMM named db-01 is not; web-07 restarted on another tap (lvt5) is
#   watched again;
# - offload_gauge: `export -i up0 -i 'lvo*'`: vnoffload_offload_enabled has
#   every feature `ethtool -k` lists for up0 (a veth), with its state; a veth
#   lvo0 made later has its features too; `ethtool -K lvo0 tso off` turns
#   its tx-tcp-segmentation to 0 at the next scrape and is said as an
#   offload_change line; lvo0 deleted: its series go.
# Every wait is on a state (an event line, a scrape), never a fixed sleep.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd curl
tb_up

VMM_PID=

# vmm_start TAP VMNAME [GUEST_ARGS...]: a stand-in VMM that creates TAP on
# br0 and, once $TB_TMP/TAP.go exists, plants its frames (default: two TSO
# super-frames) and then holds the tap until SIGTERM (--hold), or exits
# when told --count N without --hold.
vmm_start()
{
	local tap=$1 name=$2
	shift 2
	(($# > 0)) || set -- --hold tcp4-tso tcp4-tso:segs=4
	rm -f "$TB_TMP/$tap.go" "$TB_TMP/$tap.ready"
	tb_bg "$TB_H" "$TB_TMP/$tap.out" "$VNO_GUEST" --tap "$tap" --bridge br0 \
		--name "guest=$name" --src-mac "$TB_GUEST_MAC" --dst-mac "$TB_PEER_MAC" \
		--src-ip "$TB_GUEST4" --dst-ip "$TB_PEER4" --dport "$TB_UDP_PORT" \
		--ready-file "$TB_TMP/$tap.ready" --go-file "$TB_TMP/$tap.go" --quiet "$@"
	VMM_PID=$TB_BG_PID
}

# The VMM's frames, once the tool has seen its tap (the "new"/"back" event).
vmm_go() { touch "$TB_TMP/$1.go"; }

_planted() { grep -q '"type":"done"' "$TB_TMP/$1.out" 2>/dev/null || grep -q '"planted"' "$TB_TMP/$1.out" 2>/dev/null; }

scrape() { nscurl -o "$1" "$EXP_URL/metrics"; }
_series_with() { scrape "$TB_TMP/m" && grep -q -- "$1" "$TB_TMP/m"; }
_series_without() { scrape "$TB_TMP/m" && ! grep -q -- "$1" "$TB_TMP/m"; }
_link_gone() { ! ip -n "$TB_H" link show "$1" >/dev/null 2>&1; }

# ---- cases ------------------------------------------------------------------------

case_export_waits()
{
	local out=$TB_TMP/exp.jsonl n
	export_start "$out" -i 'lvt*' --json --stall-ms 0
	assert_eq "$(grep -c "lvt\*: no interface matches this pattern.*waiting" "$out.err")" 1 \
		"export -i 'lvt*' with no lvt* interface: up, and says it waits, once"

	vmm_start lvt0 web-01
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "new" and .name == "lvt0")' ||
		tb_fatal "no iface new event for lvt0: $(tail -c 300 "$out.err")"
	assert_jq "$out" 'any(.[]; .type == "iface" and .name == "lvt0" and .vm == "web-01" and .driver == "tun")' \
		"the new tap's event names its VM (web-01) and driver (tun)"
	vmm_go lvt0
	if tb_wait_until "$TB_TIMEOUT" _series_with 'vnoffload_frames_total{device="lvt0",vm="web-01",hop="rx",gso="tcpv4"} 2'; then
		tb_pass "/metrics: lvt0's two super-frames at rx, with vm=\"web-01\""
	else
		tb_fail "/metrics has no lvt0 rx series with vm=web-01: $(grep lvt0 "$TB_TMP/m" | head -3)"
	fi
	grep -q '^vnoffload_offload_enabled{device="lvt0",vm="web-01",feature="tx-tcp-segmentation"} [01]$' "$TB_TMP/m" &&
		tb_pass "/metrics: lvt0's offload features, with vm=\"web-01\"" ||
		tb_fail "no offload_enabled series of lvt0 with its vm: $(grep 'offload_enabled{device="lvt0"' "$TB_TMP/m" | head -2)"
	tb_kill "$VMM_PID" TERM
	tb_wait_until "$TB_TIMEOUT" _link_gone lvt0 || tb_fail "lvt0 outlived its VMM"
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "gone" and .name == "lvt0")' &&
		tb_pass "the VMM exits: iface gone event for lvt0" || tb_fail "no gone event for lvt0"
	if tb_wait_until "$TB_TIMEOUT" _series_without 'device="lvt0"'; then
		tb_pass "lvt0's series left /metrics with the tap"
	else
		tb_fail "lvt0's series stay in /metrics: $(grep lvt0 "$TB_TMP/m" | head -3)"
	fi

	vmm_start lvt0 web-02
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "back" and .name == "lvt0" and .vm == "web-02")' &&
		tb_pass "a second VMM's lvt0: iface back event, vm web-02" ||
		tb_fail "no back event for the second lvt0: $(grep lvt0 "$out" | tail -2)"
	vmm_go lvt0
	if tb_wait_until "$TB_TIMEOUT" _series_with 'vnoffload_frames_total{device="lvt0",vm="web-02",hop="rx",gso="tcpv4"} 2'; then
		tb_pass "the second lvt0 is watched: its frames counted with vm=\"web-02\""
	else
		tb_fail "the second lvt0 is not counted: $(grep lvt0 "$TB_TMP/m" | head -3)"
	fi
	n=$(grep -c 'vm="web-01"' "$TB_TMP/m")
	assert_eq "$n" 0 "nothing of the first VM's lvt0 is left"
	if promtool_ok=$(command -v promtool); then
		promtool check metrics <"$TB_TMP/m" >/dev/null 2>&1 &&
			tb_pass "promtool check metrics passes with the vm label" ||
			tb_fail "promtool: $(promtool check metrics <"$TB_TMP/m" 2>&1 | head -3)"
	fi
	tb_kill "$VMM_PID" TERM
	export_stop
	assert_eq "$EXP_RC" 0 "export exits 0 on SIGTERM"
}

case_record_follows()
{
	local out=$TB_TMP/rec.jsonl
	vno_record_start "$out" -- --json -i 'lvt*' --stall-ms 0
	assert_eq "$(grep -c "warning: lvt\*: no interface matches this pattern" "$out.err")" 1 \
		"record -i 'lvt*' with no lvt* interface: a warning, once, and it runs"

	vmm_start lvt0 web-03
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "new" and .name == "lvt0" and .vm == "web-03")' ||
		tb_fatal "no iface new event for lvt0 with vm web-03: $(grep iface "$out" | tail -2)"
	tb_pass "record: iface new event for lvt0, vm web-03"
	vmm_go lvt0
	if tb_wait_jq "$out" '[.[] | select(.type == "frame" and .dev == "lvt0" and .hop == "rx")] | length >= 2'; then
		tb_pass "record: the new tap's frames at rx"
	else
		tb_fail "record: no rx frames of lvt0"
	fi
	assert_jq "$out" '[.[] | select(.type == "frame" and .dev == "lvt0" and .hop == "rx")] | all(.vm == "web-03")' \
		"record: each rx frame of lvt0 carries \"vm\":\"web-03\""
	tb_kill "$VMM_PID" TERM
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "gone" and .name == "lvt0")' &&
		tb_pass "record: iface gone event when the VMM exits" || tb_fail "record: no gone event"
	vno_record_stop
	assert_eq "$VNO_REC_RC" 0 "record exits 0"
	assert_jq "$out" 'any(.[]; .type == "summary")' "record: the summary"
}

# record -Z nobody: after the privilege drop (CAP_BPF only) a VM started
# later is still named, though its VMM's /proc entries are root's.
case_user_names()
{
	local out=$TB_TMP/rec-user.jsonl
	id nobody >/dev/null 2>&1 || skip "no user nobody to run as"
	vno_record_start "$out" -- --json -i 'lvt*' --stall-ms 0 -Z nobody
	vmm_start lvt1 web-04
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "new" and .name == "lvt1")' ||
		tb_fatal "no iface new event for lvt1: $(tail -c 300 "$out.err")"
	assert_jq "$out" 'any(.[]; .type == "iface" and .name == "lvt1" and .vm == "web-04")' \
		"record -Z nobody: the tap of a VM started after the drop is named web-04"
	vmm_go lvt1
	tb_wait_jq "$out" '[.[] | select(.type == "frame" and .dev == "lvt1" and .hop == "rx")] | length >= 2' ||
		tb_fail "record -Z nobody: no rx frames of lvt1"
	assert_jq "$out" '[.[] | select(.type == "frame" and .dev == "lvt1" and .hop == "rx")] | all(.vm == "web-04")' \
		"record -Z nobody: its frames carry \"vm\":\"web-04\""
	assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$VNO_REC_PID/status")" "$(id -u nobody)" \
		"record runs as nobody meanwhile"
	vno_record_stop
	assert_eq "$VNO_REC_RC" 0 "record -Z nobody exits 0"
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$EXP_PID/status"; }
_count_ge() { (($(grep -c "\"event\":\"$2\"" "$1") >= $3)); }

case_churn()
{
	local out=$TB_TMP/churn.jsonl total=${VNO_LIVE_TAPS:-300} batch=${VNO_LIVE_BATCH:-10} i j
	local rss50= rss_end pids
	export_start "$out" -i 'lvt*' --json --stall-ms 0
	for ((i = 0; i < total; i += batch)); do
		pids=()
		for ((j = i; j < i + batch && j < total; j++)); do
			vmm_start "lvt$j" "vm-$j" --count 1 tcp4-tso udp4-uso
			pids+=("$VMM_PID")
		done
		tb_wait_until "$TB_TIMEOUT" _count_ge "$out" new "$j" ||
			tb_fatal "taps lvt$i..lvt$((j - 1)): not all said new ($(grep -c '"new"' "$out") of $j)"
		for ((j = i; j < i + batch && j < total; j++)); do
			vmm_go "lvt$j"
		done
		for j in "${pids[@]}"; do
			tb_kill "$j" TERM # each exits once it planted; this only waits
		done
		tb_wait_until "$TB_TIMEOUT" _count_ge "$out" gone "$((i + ${#pids[@]}))" ||
			tb_fatal "taps lvt$i..: not all said gone ($(grep -c '"gone"' "$out"))"
		if ((i + batch >= 50 && i < 50)); then
			_series_with build_info
			rss50=$(rss_kib)
		fi
	done
	kill -0 "$EXP_PID" 2>/dev/null && tb_pass "export is still up after $total taps" ||
		tb_fatal "export died during the churn"
	assert_eq "$(grep -c '"event":"new"' "$out")" "$total" "$total taps said new"
	assert_eq "$(grep -c '"event":"gone"' "$out")" "$total" "$total taps said gone"
	assert_eq "$(grep -c -i 'warning\|error' "$out.err")" 0 "no warning or error on stderr"
	_series_with build_info
	assert_eq "$(grep -c 'device="lvt' "$TB_TMP/m")" 0 "no series of a deleted tap in /metrics"
	rss_end=$(rss_kib)
	tb_log "VmRSS after the first 50 taps: ${rss50:-?} KiB; after $total: $rss_end KiB"
	if [[ -n $rss50 ]] && ((rss_end <= rss50 + 2048)); then
		tb_pass "RSS after $total taps ($rss_end KiB) within 2 MiB of after 50 ($rss50 KiB)"
	else
		tb_fail "RSS grew: ${rss50:-?} KiB after 50 taps, $rss_end KiB after $total"
	fi
	export_stop
	assert_eq "$EXP_RC" 0 "export exits 0 after the churn"
}

# Our TCX programs on a device, "ingress egress" counts.
tcx_ours()
{
	ip netns exec "$TB_H" "$VNO_GUEST" --tcx-show "$1" 2>/dev/null |
		jq -r '[(.ingress, .egress) | if type == "array" then map(select(.name // "" | startswith("vno"))) | length else -1 end] | "\(.[0]) \(.[1])"'
}

case_vm_follows()
{
	local out=$TB_TMP/vm.jsonl web db
	export_start "$out" --vm 'web-*' --json --stall-ms 0 --tc-mode tcx
	assert_eq "$(grep -c -- "--vm web-\*: no VM of that name has a tap here.*waiting" "$out.err")" 1 \
		"export --vm 'web-*' with no such VM: up, and says it waits, once"
	vmm_start lvt1 db-01
	db=$VMM_PID
	vmm_start lvt0 web-07
	web=$VMM_PID
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "new" and .name == "lvt0" and .vm == "web-07")' &&
		tb_pass "--vm: web-07's tap lvt0 is watched" || tb_fail "--vm: lvt0 of web-07 not watched"
	tb_wait_until "$TB_TIMEOUT" test -e "$TB_TMP/lvt1.ready" || tb_fail "db-01's VMM did not start"
	assert_eq "$(tcx_ours lvt0)" "1 1" "--tc-mode tcx: our TC programs on the new tap lvt0"
	assert_eq "$(tcx_ours lvt1)" "0 0" "no TC program on db-01's lvt1, which --vm does not choose"
	vmm_go lvt0
	vmm_go lvt1
	if tb_wait_until "$TB_TIMEOUT" _series_with 'vnoffload_frames_total{device="lvt0",vm="web-07",hop="rx",gso="tcpv4"} 2'; then
		tb_pass "--vm: lvt0's frames counted with vm=\"web-07\""
	else
		tb_fail "--vm: lvt0 not counted: $(grep lvt0 "$TB_TMP/m" | head -3)"
	fi
	assert_eq "$(grep -c 'device="lvt1"' "$TB_TMP/m")" 0 "--vm: nothing of db-01's lvt1 in /metrics"
	assert_eq "$(jq -s 'map(select(.type == "iface" and .name == "lvt1")) | length' "$out")" 0 \
		"--vm: no iface event for lvt1"
	tb_kill "$web" TERM
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "gone" and .name == "lvt0")' &&
		tb_pass "web-07 stops: lvt0 gone" || tb_fail "no gone event for lvt0"
	vmm_start lvt5 web-07
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "new" and .name == "lvt5" and .vm == "web-07")' &&
		tb_pass "web-07 restarted on another tap (lvt5): watched again" ||
		tb_fail "web-07's new tap lvt5 not watched"
	assert_eq "$(tcx_ours lvt5)" "1 1" "our TC programs on lvt5"
	tb_kill "$VMM_PID" TERM
	tb_kill "$db" TERM
	export_stop
	assert_eq "$EXP_RC" 0 "export exits 0"
}

case_two_guests()
{
	local out=$TB_TMP/two.jsonl base=() burst=() i up0
	vno_record_start "$out" -- --json --stall-ms 0
	for i in $(seq 1 20); do base+=("tcp4-tso:segs=10:mss=1448:sport=$((47000 + i))"); done
	for i in $(seq 1 10); do burst+=("udp4-uso:segs=20:mss=48:sport=$((47100 + i))"); done
	vmm_start lvt20 web-a --hold "${base[@]}"
	local pid_a=$VMM_PID
	vmm_start lvt21 web-b --hold "${base[@]}" "${burst[@]}"
	local pid_b=$VMM_PID
	for i in lvt20:web-a lvt21:web-b; do
		tb_wait_jq "$out" "any(.[]; .type == \"iface\" and .event == \"new\" and .name == \"${i%%:*}\"
			and .vm == \"${i#*:}\")" || tb_fatal "no iface new event for ${i%%:*} (${i#*:})"
	done
	tb_pass "record: both guests' taps said new with their VMs"
	vmm_go lvt20
	tb_wait_jq "$out" '[.[] | select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport > 47000 and .sport <= 47020)] | length >= 20' ||
		tb_fatal "web-a's frames did not reach up0's xmit"
	vmm_go lvt21
	tb_wait_jq "$out" '[.[] | select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport > 47100)] | length == 10' || tb_fatal "web-b's burst did not reach up0's xmit"
	echo "<3>e1000e 0000:00:19.0 up0: Detected Hardware Unit Hang:" >/dev/kmsg
	tb_wait_jq "$out" 'any(.[]; .type == "hang" and .dev == "up0")' || tb_fatal "no hang on up0"
	tb_kill "$pid_a" TERM
	tb_kill "$pid_b" TERM
	vno_record_stop INT
	up0='map(select(.type == "hang" and .dev == "up0"))[0]'
	assert_jq "$out" "$up0 | .suspects[0] | (.value | test(\"udp_l4|gso_size_tiny|^1-63\$\"))
		and .origin == \"lvt21\"" "two guests: the top suspect is web-b's burst, from lvt21"
	assert_jq "$out" "$up0 | .remedies.tap == \"lvt21\" and .remedies.vm == \"web-b\"
		and (.remedies.accused | index(\"tx-udp-segmentation\") != null)" \
		"two guests: the remedy names lvt21 and web-b, and switches USO off"
	assert_jq "$out" "$up0 | [.remedy, .remedies.qemu, .remedies.guest_linux, .remedies.proxmox]
		| map(. // \"\") | all(test(\"lvt20|web-a\") | not)" \
		"two guests: nothing in the remedy names web-a or its tap"
}

# ethtool_state NETNS DEV FEATURE: "on" or "off" as `ethtool -k` says.
ethtool_state()
{
	ip netns exec "$1" ethtool -k "$2" | awk -v f="$3:" '$1 == f { print $2 }'
}

# The features `ethtool -k DEV` lists, by their kernel names, one per
# line: name state (1/0). ethtool shows a few under older names, and three
# groups of others (tx-checksumming, scatter-gather,
# tcp-segmentation-offload) that are no feature of their own.
ethtool_features()
{
	ip netns exec "$TB_H" ethtool -k "$1" | awk -F': ' '
	BEGIN {
		k["rx-checksumming"] = "rx-checksum"; k["generic-segmentation-offload"] = "tx-generic-segmentation"
		k["generic-receive-offload"] = "rx-gro"; k["large-receive-offload"] = "rx-lro"
		k["rx-vlan-offload"] = "rx-vlan-hw-parse"; k["tx-vlan-offload"] = "tx-vlan-hw-insert"
		k["ntuple-filters"] = "rx-ntuple-filter"; k["receive-hashing"] = "rx-hashing"
	}
	NR > 1 {
		name = $1; sub(/^\t/, "", name); st = $2; sub(/ .*/, "", st)
		if (name ~ /^(tx-checksumming|scatter-gather|tcp-segmentation-offload)$/) next
		if (name in k) name = k[name]
		print name, (st == "on" ? 1 : 0)
	}' | sort
}

# Our gauge's features of DEV from the last scrape, as name state.
gauge_features()
{
	grep "^vnoffload_offload_enabled{device=\"$1\"" "$TB_TMP/m" |
		sed -E 's/.*feature="([^"]*)"} ([01])$/\1 \2/' | sort
}

case_offload_gauge()
{
	local out=$TB_TMP/off.jsonl want got n
	ip -n "$TB_H" link del lvo0 2>/dev/null
	export_start "$out" -i up0 -i 'lvo*' --json --stall-ms 0
	_series_with 'vnoffload_offload_enabled{device="up0"' ||
		tb_fatal "no vnoffload_offload_enabled series of up0: $(grep offload_enabled "$TB_TMP/m" | head -3)"
	want=$(ethtool_features up0)
	got=$(gauge_features up0)
	n=$(wc -l <<<"$want")
	if [[ $got == "$want" ]] && ((n >= 30)); then
		tb_pass "up0: the gauge has all $n features ethtool -k lists, each with its state"
	else
		tb_fail "up0: gauge and ethtool -k differ: $(diff <(echo "$want") <(echo "$got") | head -6)"
	fi

	ip -n "$TB_H" link add lvo0 type veth peer name lvo1 || tb_fatal "cannot create veth lvo0"
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "new" and .name == "lvo0")' ||
		tb_fatal "lvo0 not watched: $(tail -c 300 "$out.err")"
	[[ $(ethtool_state "$TB_H" lvo0 tx-tcp-segmentation) == on ]] ||
		ip netns exec "$TB_H" ethtool -K lvo0 tso on
	if tb_wait_until "$TB_TIMEOUT" _series_with 'vnoffload_offload_enabled{device="lvo0",feature="tx-tcp-segmentation"} 1'; then
		tb_pass "a veth made later (lvo0): its features appear, tx-tcp-segmentation 1"
	else
		tb_fail "lvo0's tx-tcp-segmentation: $(grep 'lvo0.*tx-tcp-segmentation' "$TB_TMP/m")"
	fi
	ip netns exec "$TB_H" ethtool -K lvo0 tso off || tb_fatal "ethtool -K lvo0 tso off failed"
	if tb_wait_until "$TB_TIMEOUT" _series_with 'vnoffload_offload_enabled{device="lvo0",feature="tx-tcp-segmentation"} 0'; then
		tb_pass "ethtool -K lvo0 tso off while export runs: the gauge says 0"
	else
		tb_fail "after tso off: $(grep 'lvo0.*tx-tcp-segmentation' "$TB_TMP/m")"
	fi
	assert_eq "$(gauge_features lvo0)" "$(ethtool_features lvo0)" "lvo0: the gauge agrees with ethtool -k after the change"
	tb_wait_jq "$out" 'any(.[]; .type == "offload_change" and .dev == "lvo0"
		and any(.changed[]; .feature == "tx-tcp-segmentation" and .from == true and .to == false))' &&
		tb_pass "export --json: an offload_change line for lvo0's tx-tcp-segmentation" ||
		tb_fail "no offload_change line for lvo0: $(grep offload_change "$out" | tail -2)"
	ip -n "$TB_H" link del lvo0
	if tb_wait_until "$TB_TIMEOUT" _series_without 'device="lvo0"'; then
		tb_pass "lvo0 deleted: its offload series left /metrics"
	else
		tb_fail "lvo0's series stay: $(grep -c 'device="lvo0"' "$TB_TMP/m")"
	fi
	_series_with 'vnoffload_offload_enabled{device="up0"' &&
		tb_pass "up0's stay" || tb_fail "up0's offload series went too"
	export_stop
	assert_eq "$EXP_RC" 0 "export exits 0"
}

tb_run_cases "export_waits record_follows user_names two_guests vm_follows churn offload_gauge" "$@"
