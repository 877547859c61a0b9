#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Check what one VM test bed run said (run-vm.sh's console.log and
# host.jsonl). Runs on saved logs too, no root or VM needed:
#
#   tests/vm/check-vm.sh [RUN_DIR]        default .output/vm/run
#
# One line per check: "  ok   …", "  FAIL …", "  SKIP … (why)", then
# "check-vm: N passed, N failed, N skipped". Exit 0 when nothing failed and
# something passed.
#
# What is checked, per `record` run in the guest (mode tp = tracepoint hops
# only, the tool had no --attach; fentry/kprobe = --attach MODE):
#   - the tracepoint hops: super-frames (gso_segs > 1, TCP to the host side)
#     at the xmit hop of eth0 (virtio_net) and eth1 (e1000e); their
#     completions at the done hop, matched by pkt_id, with a latency; the
#     planted kmsg line diagnosed as a hang of eth1 (and of nothing else);
#     no lost events;
#   - the driver hooks (fentry/kprobe runs; SKIP lines saying why in a tp
#     run): every KIND/FUNC token in ready.hooks is MODE/FUNC, and
#     e1000_xmit_frame, start_xmit, e1000_clean_tx_irq, free_old_xmit_skbs,
#     tun_get_user, tun_net_xmit, br_forward, br_dev_xmit are among them;
#     super-frames at drv-xmit on both NICs, each with the pkt_id the xmit
#     hop gave the same skb; drv-done records on both NICs: those with a
#     pkt_id match a hand-off, completion rounds (pkt_id 0) on e1000e carry
#     packets cleaned (gso_segs) and a descriptor latency (latency_ns);
#     ring fields on every drv-xmit/drv-done record (below).
# The overlay scene (Geneve VNI 42, GRETAP key 7 over a veth in the guest):
# every super-frame the stand-in guest planted into each tap reaches the
# underlay encapsulated with the key, the inner addresses, ports and seq it
# planted, the pkt_id it had on the tap and origin the tap.
# and once: doctor in the guest (6.1, fentry and kprobe usable, TSO on for
# both NICs; once it has drivers[]: fentry for every function the kernel
# has), the host's record (super-frames arriving at the taps' rx hop, every
# guest xmit super-frame of every run among them, same seq, len, gso_size).
#
# Ring fields, either naming: next_to_use/next_to_clean or ring_tail/
# ring_head; ring_free; ring_used and ring_size where given.
#   e1000e (eth1): indexes below 4096 (E1000_MAX_TXD) and below ring_size,
#     ring_free == E1000_DESC_UNUSED(ring) and ring_used == (next_to_use -
#     next_to_clean) mod ring_size when ring_size is given, used + free <=
#     4096, and next_to_use moving (at least 2 values over the run);
#   virtio_net (eth0): ring_free <= 32768 (virtio 1.x Queue Size maximum)
#     and <= ring_size; ring_used, if given, likewise, and used + free ==
#     ring_size.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN=${1:-${VNO_VM_RUN:-${VNO_VM_DIR:-$ROOT/.output/vm}/run}}
CONSOLE=$RUN/console.log
HOST=$RUN/host.jsonl
GUEST0=192.0.2.1 HOST0=192.0.2.2
GUEST1=198.51.100.1 HOST1=198.51.100.2

PASSED=0 FAILED=0 SKIPPED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vno-vmcheck.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

pass() { PASSED=$((PASSED + 1)); printf '  ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf '  FAIL %s\n' "$*"; }
skipc() { SKIPPED=$((SKIPPED + 1)); printf '  SKIP %s\n' "$*"; }
section() { printf '%s\n' "-- $*"; }

# jqt FILE FILTER [jq args...]: FILTER over FILE's JSON lines as one array.
jqt() {
	local f=$1 filter=$2
	shift 2
	[[ "$(jq -s "$@" "$filter" "$f" 2>"$WORK/jq.err")" == true ]]
}

# check MESSAGE FILE FILTER [jq args...]
check() {
	local msg=$1
	shift
	if jqt "$@"; then
		pass "$msg"
	else
		fail "$msg"
		[[ -s $WORK/jq.err ]] && sed 's/^/       jq: /' "$WORK/jq.err"
	fi
	return 0
}

# What a check found, for the message: jqv FILE FILTER [jq args...]
jqv() {
	local f=$1 filter=$2
	shift 2
	jq -s -r "$@" "$filter" "$f" 2>/dev/null
}

# Driver functions a hook may name ("KIND/FUNC" in ready.hooks and doctor's
# hops), and the jq that finds them: every whitespace/comma-separated token
# of every hook string that is KIND/FUNC with FUNC one of these.
DRV_FUNCS='["start_xmit", "free_old_xmit_skbs", "free_old_xmit", "virtnet_tx_timeout",
	"tun_get_user", "tun_net_xmit", "br_dev_xmit", "br_forward",
	"e1000_xmit_frame", "e1000_clean_tx_irq", "e1000_print_hw_hang"]'
DRV_DEFS="def drvtok: [.. | strings | splits(\"[ ,;+|]+\")
	| select(test(\"^[a-z_]+/[a-z0-9_]+\$\") and (split(\"/\")[1] as \$f | $DRV_FUNCS | index(\$f)))];
	def ready: map(select(.type == \"ready\"))[0];"
# The kernel this run booted (run-vm.sh wrote it; older runs: 6.1) and what
# follows from it: module BTF since 5.11 (commit 36e68442d1af) — without it
# fentry cannot attach to a driver and no driver struct can be read, so the
# kprobe hooks record frames without ring state and the hooks that read only
# driver structs are left out, as the tool says; free_old_xmit_skbs became
# free_old_xmit in 6.10.
KVER=$(cat "$RUN/kernel-version" 2>/dev/null)
kver_ge() { [[ -n $1 ]] && printf '%s\n%s\n' "$2" "$1" | sort -V -C; }
MOD_BTF=1
[[ -n $KVER ]] && ! kver_ge "$KVER" 5.11 && MOD_BTF=
FREE_FN=free_old_xmit_skbs
kver_ge "$KVER" 6.10 && FREE_FN=free_old_xmit
# TC programs read the skb through bpf_cast_to_kern_ctx (6.3, commit
# fd264ca02094); TCX links came in 6.6.
TC_OK=
kver_ge "${KVER:-6.1}" 6.3 && TC_OK=1
NO_BTF_RE='^none: module [a-z0-9_]+ has no BTF here'

# The functions each check wants hooked (this guest loads all four modules).
if [[ -n $MOD_BTF ]]; then
	DRV_NEED=(e1000_xmit_frame start_xmit e1000_clean_tx_irq "$FREE_FN"
		tun_get_user tun_net_xmit br_forward br_dev_xmit)
else
	DRV_NEED=(e1000_xmit_frame start_xmit tun_net_xmit br_dev_xmit)
fi

# Ring fields of a driver-hop record, under either naming: the JSON names
# agreed for the checks (next_to_use, next_to_clean, ring_used, ring_free)
# or the record's own (ring_tail = next_to_use, ring_head = next_to_clean,
# ring_size). Absent ones are null.
RING='def ntu: .next_to_use // .ring_tail; def ntc: .next_to_clean // .ring_head;
	def num: type == "number" and . >= 0;'

command -v jq >/dev/null || { echo "check-vm: jq is not installed (make deps)"; exit 1; }
[[ -s $CONSOLE ]] || { echo "check-vm: no console log at $CONSOLE"; exit 1; }

# Split the console into its sections: doctor.json, record-MODE.jsonl.
awk -v dir="$WORK" '
	/^VNO-BEGIN doctor$/ { out = dir "/doctor.json"; next }
	/^VNO-BEGIN record mode=/ { sub(/^VNO-BEGIN record mode=/, ""); out = dir "/record-" $0 ".jsonl"; next }
	/^VNO-BEGIN overlay$/ { out = dir "/overlay.jsonl"; next }
	/^VNO-BEGIN overlay-planted$/ { out = dir "/overlay-planted.jsonl"; next }
	/^VNO-END / { out = ""; next }
	out != "" && /^\{/ { print > out }
' "$CONSOLE"

# ---- the guest's own steps ---------------------------------------------------------

section "guest steps (VNO-RESULT / VNO-SKIP lines)"
while IFS= read -r line; do
	name=${line#VNO-RESULT name=}
	name=${name%% *}
	ok=${line#* ok=}
	ok=${ok%% *}
	detail=${line#* detail=}
	if [[ $ok == 1 ]]; then
		pass "guest $name: $detail"
	else
		fail "guest $name: $detail"
	fi
done < <(grep '^VNO-RESULT ' "$CONSOLE")
while IFS= read -r line; do
	name=${line#VNO-SKIP name=}
	skipc "guest ${name%% *}: ${line#* reason=}"
done < <(grep '^VNO-SKIP ' "$CONSOLE")
if grep -q '^VNO-DONE failed=0 ' "$CONSOLE"; then
	pass "guest ran to its end: $(grep '^VNO-DONE' "$CONSOLE")"
else
	fail "guest ran to its end: $(grep '^VNO-DONE' "$CONSOLE" || echo 'no VNO-DONE line')"
fi

# ---- doctor ------------------------------------------------------------------------

section "doctor in the guest"
D=$WORK/doctor.json
if [[ -s $D ]] && jq -e . "$D" >/dev/null 2>&1; then
	if [[ -n $KVER ]]; then
		check "doctor: kernel $KVER ($(jqv "$D" '.[0].kernel'))" "$D" '.[0].kernel == $k' --arg k "$KVER"
	else
		check "doctor: kernel 6.1 ($(jqv "$D" '.[0].kernel'))" "$D" '.[0].kernel | startswith("6.1.")'
	fi
	check "doctor: fentry usable in the guest" "$D" '.[0].program_kinds.fentry.ok == true'
	check "doctor: kprobe usable in the guest" "$D" '.[0].program_kinds.kprobe.ok == true'
	check "doctor: eth0 is virtio_net with TSO on" "$D" \
		'.[0].interfaces | any(.name == "eth0" and .driver == "virtio_net" and .offloads.tso == "on")'
	check "doctor: eth1 is e1000e with TSO on" "$D" \
		'.[0].interfaces | any(.name == "eth1" and .driver == "e1000e" and .offloads.tso == "on")'
	# The automatic choice in the guest is fentry for every driver function
	# this kernel has (doctor's drivers[]: function, use).
	if [[ -z $MOD_BTF ]]; then
		check "doctor: without module BTF, kprobe or the stated reason per driver function ($(jqv "$D" \
			'[.[0].drivers[] | "\(.function)=\(.use | split(":")[0])"] | join(" ")'))" "$D" \
			'.[0].drivers | all(.use == "kprobe" or (.use | test($re)) or (.use | test("^none: .*not in this kernel")))
				and ([.[] | select(.use == "kprobe") | .function] as $f
					| all("e1000_xmit_frame", "start_xmit"; . as $n | $f | index($n)))
				and any(.use | test($re))' --arg re "$NO_BTF_RE"
		check "doctor: hops name the driver hooks as kprobe/FUNC" "$D" \
			"$DRV_DEFS .[0].hops | drvtok | length > 0 and all(startswith(\"kprobe/\"))"
	elif jqt "$D" '.[0].drivers | type == "array" and length > 0'; then
		check "doctor: driver functions use fentry ($(jqv "$D" \
			'[.[0].drivers[] | "\(.function)=\(.use | split(":")[0])"] | join(" ")'))" "$D" \
			'.[0].drivers | all(.use == "fentry" or (.use | test("^none: .*not in this kernel")))
				and ([.[] | select(.use == "fentry") | .function] as $f
					| all("e1000_xmit_frame", "start_xmit", "e1000_clean_tx_irq"; . as $n | $f | index($n)))'
		check "doctor: hops name the driver hooks as fentry/FUNC" "$D" \
			"$DRV_DEFS .[0].hops | drvtok | length > 0 and all(startswith(\"fentry/\"))"
	else
		skipc "doctor: lists no driver functions (drivers[]): driver hooks not built yet"
	fi
else
	fail "doctor: no JSON between VNO-BEGIN doctor and VNO-END doctor"
fi

# ---- each record run ------------------------------------------------------------

# Super-frames handed to a device at HOP, TCP from the guest to the host side.
SUPER='def super($hop; $dev; $dst): map(select(.type == "frame" and .hop == $hop and .dev == $dev
	and .gso_segs > 1 and .l4 == "tcp" and .daddr == $dst));'
# Completions at HOP matched to a hand-off at one of HOPS on the same device.
MATCHED='def matched($done; $hops; $dev): (map(select(.type == "frame" and .dev == $dev
	and (.hop as $h | $hops | index($h)))) | map(.pkt_id)) as $ids
	| map(select(.type == "frame" and .hop == $done and .dev == $dev and .latency_ns > 0
		and .gso_segs > 1 and (.pkt_id as $p | $ids | index($p))));'

check_tp_hops()
{
	local mode=$1 R=$2 pair dev dst n
	check "$mode: ready line, xmit hop on a tracepoint ($(jqv "$R" \
		'map(select(.type == "ready"))[0].hooks.xmit // "none"'))" "$R" \
		'map(select(.type == "ready")) | length == 1 and (.[0].hooks.xmit | test("^(tp_btf|raw_tp|tracepoint)/"))'
	for pair in "eth0 $HOST0" "eth1 $HOST1"; do
		set -- $pair
		dev=$1 dst=$2
		n=$(jqv "$R" "$SUPER super(\"xmit\"; \"$dev\"; \"$dst\") | length")
		check "$mode: super-frames at $dev's xmit hop: ${n:-0} (max gso_segs $(jqv "$R" \
			"$SUPER super(\"xmit\"; \"$dev\"; \"$dst\") | map(.gso_segs) | max"))" "$R" \
			"$SUPER super(\"xmit\"; \"$dev\"; \"$dst\") | length >= 5"
		n=$(jqv "$R" "$MATCHED matched(\"done\"; [\"xmit\"]; \"$dev\") | length")
		check "$mode: $dev's super-frame completions matched at the done hop: ${n:-0}" "$R" \
			"$MATCHED matched(\"done\"; [\"xmit\"]; \"$dev\") | length >= 5"
	done
	local tc
	tc=$(jqv "$R" 'map(select(.type == "ready"))[0].hooks["tc-egress"]')
	if [[ $tc == "none: --tc-mode off" ]]; then
		skipc "$mode: TC hops: the guest did not ask for them (an older guest-init)"
	elif [[ -n $TC_OK ]]; then
		check "$mode: TC hops attached ($tc)" "$R" \
			'map(select(.type == "ready"))[0].hooks["tc-egress"] | test("^(tcx|tc clsact)")'
		for pair in "eth0 $HOST0" "eth1 $HOST1"; do
			set -- $pair
			check "$mode: super-frames at $1's tc-egress hop: $(jqv "$R" \
				"$SUPER super(\"tc-egress\"; \"$1\"; \"$2\") | length")" "$R" \
				"$SUPER super(\"tc-egress\"; \"$1\"; \"$2\") | length >= 5"
		done
	else
		check "$mode: TC hops left out on $KVER, saying why ($tc)" "$R" \
			'map(select(.type == "ready"))[0].hooks["tc-egress"] | test("^none: .*bpf_cast_to_kern_ctx")'
	fi
	check "$mode: the planted kmsg line is a hang of eth1" "$R" \
		'map(select(.type == "hang" and .dev == "eth1" and .source == "kmsg"
			and (.detail | test("Detected Hardware Unit Hang")))) | length == 1'
	check "$mode: the eth1 hang's diagnosis holds eth1's super-frames" "$R" \
		'map(select(.type == "hang" and .dev == "eth1"))[0].frames_before
			| any(.hop == "xmit" and .dev == "eth1" and .gso_segs > 1)'
	if grep -q "^VNO-RESULT name=burst-$mode ok=1" "$CONSOLE"; then
		check "$mode: the planted burst (MSS 88) is the eth1 hang's top suspect ($(jqv "$R" \
			'map(select(.type == "hang" and .dev == "eth1"))[0].suspects[0] // {} | "\(.attribute)=\(.value) lift \(.lift)"'))" \
			"$R" 'map(select(.type == "hang" and .dev == "eth1"))[0].suspects[0]
				| .attribute == "gso_size" and .value == "64-535"'
	else
		skipc "$mode: no planted burst in this run (an older guest-init, or it failed: see guest burst-$mode)"
	fi
	check "$mode: no hang reported for eth0" "$R" \
		'map(select(.type == "hang" and .dev == "eth0")) | length == 0'
	check "$mode: summary with no lost events ($(jqv "$R" \
		'map(select(.type == "summary"))[0] | "\(.records) records, \(.lost_events) lost, \(.unmatched_completions) unmatched"'))" \
		"$R" 'map(select(.type == "summary")) | length == 1 and .[0].lost_events == 0'
}

check_driver_hooks()
{
	local mode=$1 R=$2 pair dev dst n f missing=()
	if ! jqt "$R" "$DRV_DEFS ready.hooks | drvtok | length > 0"; then
		fail "$mode: ready.hooks names no driver function as KIND/FUNC, though record took --attach $mode ($(jqv "$R" "$DRV_DEFS ready.hooks | tojson"))"
	else
		check "$mode: every driver hook in ready.hooks is $mode ($(jqv "$R" "$DRV_DEFS ready.hooks | drvtok | join(\" \")"))" \
			"$R" "$DRV_DEFS ready.hooks | drvtok | all(startswith(\"$mode/\"))"
		for f in "${DRV_NEED[@]}"; do
			jqt "$R" "$DRV_DEFS ready.hooks | drvtok | index(\"$mode/$f\") != null" || missing+=("$f")
		done
		if ((${#missing[@]} == 0)); then
			pass "$mode: hooked: ${DRV_NEED[*]}"
		else
			fail "$mode: not hooked with $mode: ${missing[*]}"
		fi
	fi

	for pair in "eth0 $HOST0" "eth1 $HOST1"; do
		set -- $pair
		dev=$1 dst=$2
		n=$(jqv "$R" "$SUPER super(\"drv-xmit\"; \"$dev\"; \"$dst\") | length")
		check "$mode: super-frames at $dev's drv-xmit hop: ${n:-0}" "$R" \
			"$SUPER super(\"drv-xmit\"; \"$dev\"; \"$dst\") | length >= 5"
		# Each drv-xmit frame is the skb the xmit tracepoint saw just before.
		local X="(map(select(.type == \"frame\" and .hop == \"xmit\" and .dev == \"$dev\")) | map(.pkt_id)) as \$ids
			| map(select(.type == \"frame\" and .hop == \"drv-xmit\" and .dev == \"$dev\" and .gso_segs > 1))"
		check "$mode: $dev's drv-xmit super-frames carry the xmit hop's pkt_id: $(jqv "$R" \
			"$X | map(select(.pkt_id as \$p | \$ids | index(\$p))) | length") of $(jqv "$R" "$X | length")" "$R" \
			"$X | length > 0 and all(.pkt_id as \$p | \$ids | index(\$p))"
	done

	# Completions. drv-done records that name a frame (pkt_id) must match a
	# hand-off on the same device; completion rounds (no frame: e1000e's
	# clean_tx_irq, virtio_net's free_old_xmit) must carry what a round
	# knows: e1000e the packets cleaned and the oldest descriptor's latency,
	# both the ring state.
	local DE='map(select(.type == "frame" and .hop == "drv-done" and .dev == "eth1"))'
	local NOID='(.pkt_id == null or (.pkt_id | test("^0+$")))'
	if [[ -z $MOD_BTF ]]; then
		check "$mode: drv-done left out, as ready.hooks says ($(jqv "$R" "$DRV_DEFS ready.hooks[\"drv-done\"]"))" \
			"$R" "$DRV_DEFS (ready.hooks[\"drv-done\"] | test(\$re))
				and (map(select(.type == \"frame\" and .hop == \"drv-done\")) | length == 0)" \
			--arg re "$NO_BTF_RE"
		check "$mode: drv-xmit records carry no ring state without module BTF" "$R" \
			'map(select(.type == "frame" and .hop == "drv-xmit")) | length > 0 and all(.ring_free == null)'
		return 0
	fi
	for dev in eth0 eth1; do
		local D="map(select(.type == \"frame\" and .hop == \"drv-done\" and .dev == \"$dev\"))"
		if ! jqt "$R" "$D | length > 0"; then
			fail "$mode: drv-done records on $dev: none"
		elif jqt "$R" "$D | all($NOID)"; then
			pass "$mode: drv-done on $dev: $(jqv "$R" "$D | length") completion rounds (no pkt_id: matched through the ring below)"
		else
			check "$mode: $dev's drv-done records matched to a hand-off by pkt_id: $(jqv "$R" \
				"$MATCHED matched(\"drv-done\"; [\"drv-xmit\", \"xmit\"]; \"$dev\") | length")" "$R" \
				"(map(select(.type == \"frame\" and (.hop == \"xmit\" or .hop == \"drv-xmit\") and .dev == \"$dev\"))
					| map(.pkt_id)) as \$ids
				| $D | map(select($NOID | not)) | all(.pkt_id as \$p | \$ids | index(\$p))"
		fi
	done
	if jqt "$R" "$DE | length > 0"; then
		check "$mode: e1000e completion rounds: packets cleaned and a descriptor latency ($(jqv "$R" \
			"$DE | \"\(map(.gso_segs) | add) packets in \(length) rounds, latency max \(map(.latency_ns) | max) ns\""))" \
			"$R" "$DE | (map(.gso_segs) | add) > 0 and any(.latency_ns > 0)"
	fi

	# Ring fields on drv-xmit and drv-done (e1000e: the TX ring's indexes;
	# virtio_net: the send queue's free descriptors).
	local E='map(select(.type == "frame" and (.hop == "drv-xmit" or .hop == "drv-done") and .dev == "eth1"))'
	local V='map(select(.type == "frame" and (.hop == "drv-xmit" or .hop == "drv-done") and .dev == "eth0"))'
	# One record's fields are right (e1000e, virtio_net):
	local OKE="$RING def ok: (ntu | num and . < 4096) and (ntc | num and . < 4096)
		and (.ring_free | num)
		and (if .ring_used != null then (.ring_used | num) and .ring_used + .ring_free <= 4096 else true end)
		and (if .ring_size != null then (.ring_size | num and . <= 4096) and ntu < .ring_size
			and ntc < .ring_size and .ring_free < .ring_size
			# E1000_DESC_UNUSED (e1000e/netdev.c): catches swapped indexes.
			and .ring_free == (if ntc > ntu then 0 else .ring_size end) + ntc - ntu - 1
			# Descriptors in use run from next_to_clean to next_to_use;
			# the slot E1000_DESC_UNUSED keeps back is not one of them.
			and (if .ring_used != null then
				.ring_used == (ntu - ntc + .ring_size) % .ring_size else true end)
		else true end);"
	local OKV="$RING def ok: (.ring_free | num and . <= 32768)
		and (if .ring_used != null then .ring_used | num and . <= 32768 else true end)
		and (if .ring_size != null then .ring_size <= 32768 and .ring_free <= .ring_size
			and (if .ring_used != null then .ring_used + .ring_free == .ring_size else true end)
		else true end);"
	# The message shows the first wrong record, else the last one.
	local SHOWE='"\(.hop): ntu=\(ntu) ntc=\(ntc) free=\(.ring_free) used=\(.ring_used) size=\(.ring_size)"'
	local SHOWV='"\(.hop): free=\(.ring_free) used=\(.ring_used) size=\(.ring_size)"'
	if jqt "$R" "$E | length > 0"; then
		check "$mode: e1000e ring fields on every record ($(jqv "$R" "$OKE $E |
			(map(select(ok | not)) | length) as \$bad | (map(select(ok | not)) + [.[-1]])[0]
			| \"\(if \$bad > 0 then \"\(\$bad) wrong, first \" else \"last \" end)\" + $SHOWE"))" \
			"$R" "$OKE $E | all(ok)"
		check "$mode: e1000e next_to_use moves ($(jqv "$R" "$RING $E | map(ntu) | unique | length") values)" \
			"$R" "$RING $E | map(ntu) | unique | length >= 2"
	else
		skipc "$mode: e1000e ring fields: no drv-xmit or drv-done record on eth1 to read them from"
	fi
	if jqt "$R" "$V | length > 0"; then
		check "$mode: virtio_net ring fields on every record ($(jqv "$R" "$OKV $V |
			(map(select(ok | not)) | length) as \$bad | (map(select(ok | not)) + [.[-1]])[0]
			| \"\(if \$bad > 0 then \"\(\$bad) wrong, first \" else \"last \" end)\" + $SHOWV"))" \
			"$R" "$OKV $V | all(ok)"
	else
		skipc "$mode: virtio_net ring fields: no drv-xmit or drv-done record on eth0 to read them from"
	fi
}

skip_driver_hooks()
{
	local mode=$1 why=$2 c
	for c in "driver hooks attached with fentry, then with kprobe" \
		"super-frames at eth0's drv-xmit hop (virtio_net start_xmit)" \
		"super-frames at eth1's drv-xmit hop (e1000_xmit_frame)" \
		"drv-done records (free_old_xmit_skbs, e1000_clean_tx_irq) matched" \
		"e1000e ring fields (next_to_use, next_to_clean, ring_free)" \
		"virtio_net ring fields (ring_free)"; do
		skipc "$mode: $c ($why)"
	done
}

runs=0
for R in "$WORK"/record-*.jsonl; do
	[[ -e $R ]] || continue
	runs=$((runs + 1))
	mode=${R##*/record-}
	mode=${mode%.jsonl}
	section "record in the guest, mode $mode"
	# Without its ready line a run has nothing to check: one failure, not
	# twenty (the guest printed record's -vv log after VNO-BEGIN record-log).
	if ! jqt "$R" 'any(.type == "ready")'; then
		fail "$mode: record never got ready: $(jqv "$R" 'map(.error // empty) | first // "no output"');" \
			"its -vv log follows; no other check of this run ran"
		awk -v m="VNO-BEGIN record-log mode=$mode" '$0 == m { on = 1; next }
			/^VNO-END record-log/ { on = 0 } on' "$CONSOLE" | tail -n 15 | sed 's/^/       | /'
		continue
	fi
	check_tp_hops "$mode" "$R"
	if [[ $mode == fentry && -z $MOD_BTF ]]; then
		check "$mode: every driver hop says the module has no BTF ($(jqv "$R" \
			'map(select(.type == "ready"))[0].hooks["drv-xmit"]'))" "$R" \
			'map(select(.type == "ready"))[0].hooks | [.["drv-xmit"], .["drv-done"], .["br-fwd"], .guest]
				| all(test($re))' --arg re "$NO_BTF_RE"
		check "$mode: no driver-hop record" "$R" \
			'map(select(.type == "frame" and (.hop | startswith("drv-")))) | length == 0'
		skip_driver_hooks "$mode" "kernel $KVER has no module BTF: fentry cannot attach to a driver"
	elif [[ $mode == tp ]]; then
		skip_driver_hooks "$mode" "record has no --attach option yet: driver hooks not built"
	else
		check_driver_hooks "$mode" "$R"
	fi
done
((runs > 0)) || fail "no record output between VNO-BEGIN record and VNO-END record on the console"

# ---- the overlay: Geneve and GRETAP in the guest -----------------------------------

# check_tunnel TYPE KEYFIELD KEY TAP GUEST_IP GSO_RE: the stand-in guest's
# super-frames planted into TAP reach up0 encapsulated as TYPE with KEY, the
# inner addresses, ports and sequence it planted, the pkt_id they had at
# TAP's rx hop and origin TAP; the outer header from the underlay's
# addresses; a gso_type naming the tunnel's segmentation (GSO_RE).
check_tunnel()
{
	local type=$1 kf=$2 key=$3 tap=$4 gip=$5 gso=$6 O=$WORK/overlay.jsonl P=$WORK/overlay-planted.jsonl res
	res=$(jq -s -r --slurpfile p "$P" --arg t "$type" --arg kf "$kf" --argjson k "$key" \
		--arg tap "$tap" --arg g "$gip" --arg gso "$gso" '
		map(select(.type == "frame")) as $fr
		| ($p | map(select(.saddr == $g and .gso_size > 0))) as $pl
		| ($fr | map(select(.hop == "xmit" and .dev == "up0" and .encap.type == $t))) as $u
		| [$pl[] | . as $g1
			| ($fr | map(select(.hop == "rx" and .dev == $tap and .tcp_seq == $g1.tcp_seq)) | .[0]) as $rx
			| ($u | map(select(.encap.inner.tcp_seq == $g1.tcp_seq)) | .[0]) as $f
			| select($rx != null and $f != null
				and $f.encap[$kf] == $k and $f.encap.saddr == "198.51.100.1"
				and $f.encap.daddr == "198.51.100.2"
				and $f.encap.inner.l4 == "tcp" and $f.encap.inner.saddr == $g1.saddr
				and $f.encap.inner.daddr == $g1.daddr and $f.encap.inner.sport == $g1.sport
				and $f.encap.inner.dport == $g1.dport and $f.gso_size == $g1.gso_size
				and ($f.gso_type | any(test($gso)))
				and $f.pkt_id == $rx.pkt_id and $f.origin == $tap)]
		| "\(length) \($pl | length) \($u | length)"' "$O" 2>"$WORK/jq.err")
	read -r found planted seen <<<"${res:-0 0 0}"
	if ((planted > 0 && found == planted)); then
		pass "overlay: all $planted super-frames planted into $tap reach up0 as $type $kf $key with the inner addresses, ports and seq planted, $tap's pkt_id and origin $tap"
	else
		fail "overlay: $found of $planted super-frames planted into $tap found at up0 as $type $kf $key with the planted inner headers, $tap's pkt_id and origin ($seen $type frames at up0)"
		[[ -s $WORK/jq.err ]] && sed 's/^/       jq: /' "$WORK/jq.err"
		jq -c 'select(.type == "frame" and .dev == "up0") | {hop, gso_type, pkt_id, origin, encap}' "$O" 2>/dev/null |
			head -n 4 | sed 's/^/       | /'
	fi
}

section "overlay in the guest (Geneve, GRETAP)"
if [[ -s $WORK/overlay.jsonl ]]; then
	check "overlay: record's ready line" "$WORK/overlay.jsonl" 'any(.type == "ready")'
	check_tunnel geneve vni 42 tap0 192.0.2.1 '^udp_tunnel'
	check_tunnel gretap key 7 tap1 192.0.2.11 '^gre'
elif grep -q '^VNO-SKIP name=overlay ' "$CONSOLE"; then
	skipc "overlay: $(sed -n 's/^VNO-SKIP name=overlay reason=//p' "$CONSOLE")"
else
	fail "overlay: no record output between VNO-BEGIN overlay and VNO-END overlay on the console"
fi

# ---- the host's view -----------------------------------------------------------

section "record on the host (taps vt0, vt1)"
if [[ ! -s $HOST ]]; then
	skipc "host-side record: not run (VNO_VM_NO_HOST_RECORD) or no output"
else
	check "host: ready line" "$HOST" 'map(select(.type == "ready")) | length == 1'
	for pair in "vt0 $GUEST0" "vt1 $GUEST1"; do
		set -- $pair
		rx='map(select(.type == "frame" and .hop == "rx" and .dev == $d and .saddr == $s
			and .gso_size > 0 and .len > 1514))'
		check "host: super-frames from the guest at $1's rx hop: $(jqv "$HOST" "$rx | length" \
			--arg d "$1" --arg s "$2")" "$HOST" "$rx | length >= 5" --arg d "$1" --arg s "$2"
	done
	# The same frames on both sides: each guest xmit super-frame (every
	# run) arrives at its tap with the same TCP seq, length and gso_size.
	for R in "$WORK"/record-*.jsonl; do
		[[ -e $R ]] || continue
		mode=${R##*/record-}
		mode=${mode%.jsonl}
		for pair in "eth0 vt0" "eth1 vt1"; do
			set -- $pair
			res=$(jq -s -r --slurpfile h "$HOST" --arg g "$1" --arg t "$2" '
				def key: "\(.saddr)|\(.sport)|\(.tcp_seq)|\(.len)|\(.gso_size)";
				($h | map(select(.type == "frame" and .hop == "rx" and .dev == $t
					and .gso_size > 0) | {key: key, value: 1}) | from_entries) as $H
				| map(select(.type == "frame" and .hop == "xmit" and .dev == $g and .gso_segs > 1))
				| "\(map(select($H[key])) | length) \(length)"' "$R" 2>/dev/null)
			read -r found total <<<"${res:-0 0}"
			if ((total == 0)); then
				skipc "host: no super-frames of $1 ($mode) in the guest's record to look for at $2"
			elif ((found == total)); then
				pass "host: all $total of $1's super-frames ($mode) arrived at $2 unchanged"
			else
				fail "host: $found of $total of $1's super-frames ($mode) arrived at $2 unchanged"
			fi
		done
	done
fi

# ---- timings -------------------------------------------------------------------

section "timings"
[[ -s $RUN/timings ]] && echo "host wall clock: $(cat "$RUN/timings")"
grep '^VNO-TIME ' "$CONSOLE" | sed 's/^VNO-TIME name=//; s/ s=/ /; s/$/ s/' | paste -sd, |
	sed 's/,/, /g; s/^/guest clock: /'

echo "check-vm: $PASSED passed, $FAILED failed, $SKIPPED skipped"
((FAILED == 0 && PASSED > 0))
