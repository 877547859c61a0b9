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
#   - the driver hooks (fentry/kprobe runs only): ready.hooks' drv-* entries
#     all of the forced kind and naming e1000_xmit_frame and start_xmit when
#     they name functions; super-frames at drv-xmit on both NICs with ring
#     fields (below); drv-done records matched to a hand-off by pkt_id.
#     In a tp run these are SKIP lines that say why.
# and once: doctor in the guest (6.1, fentry and kprobe usable, TSO on for
# both NICs), the host's record (super-frames arriving at the taps' rx hop,
# every guest xmit super-frame among them with the same seq, len, gso_size).
#
# Ring fields on drv-xmit records, required once the hop exists:
#   e1000e (eth1): next_to_use, next_to_clean, ring_used, ring_free: integers,
#     indexes below 4096 (E1000_MAX_TXD), ring_used + ring_free <= 4096, and
#     next_to_use moving (at least 2 values over the run);
#   virtio_net (eth0): ring_free (the send queue's free descriptors), an
#     integer <= 32768 (virtio 1.x Queue Size maximum); ring_used if present
#     likewise.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN=${1:-${VNO_VM_RUN:-$ROOT/.output/vm/run}}
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

command -v jq >/dev/null || { echo "check-vm: jq is not installed (make deps)"; exit 1; }
[[ -s $CONSOLE ]] || { echo "check-vm: no console log at $CONSOLE"; exit 1; }

# Split the console into its sections: doctor.json, record-MODE.jsonl.
awk -v dir="$WORK" '
	/^VNO-BEGIN doctor$/ { out = dir "/doctor.json"; next }
	/^VNO-BEGIN record mode=/ { sub(/^VNO-BEGIN record mode=/, ""); out = dir "/record-" $0 ".jsonl"; next }
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
	check "doctor: kernel 6.1 ($(jqv "$D" '.[0].kernel'))" "$D" '.[0].kernel | startswith("6.1.")'
	check "doctor: fentry usable in the guest" "$D" '.[0].program_kinds.fentry.ok == true'
	check "doctor: kprobe usable in the guest" "$D" '.[0].program_kinds.kprobe.ok == true'
	check "doctor: eth0 is virtio_net with TSO on" "$D" \
		'.[0].interfaces | any(.name == "eth0" and .driver == "virtio_net" and .offloads.tso == "on")'
	check "doctor: eth1 is e1000e with TSO on" "$D" \
		'.[0].interfaces | any(.name == "eth1" and .driver == "e1000e" and .offloads.tso == "on")'
	if jqt "$D" '.[0].hops | keys | any(startswith("drv"))'; then
		check "doctor: the driver hops default to fentry ($(jqv "$D" \
			'[.[0].hops | to_entries[] | select(.key | startswith("drv")) | "\(.key)=\(.value)"] | join(" ")'))" \
			"$D" '[.[0].hops | to_entries[] | select(.key | startswith("drv")) | .value | .. | strings]
				| length > 0 and all(startswith("fentry"))'
	else
		skipc "doctor: lists no drv-* hops (driver hooks not built yet)"
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
	check "$mode: the planted kmsg line is a hang of eth1" "$R" \
		'map(select(.type == "hang" and .dev == "eth1" and .source == "kmsg"
			and (.detail | test("Detected Hardware Unit Hang")))) | length == 1'
	check "$mode: the eth1 hang's diagnosis holds eth1's super-frames" "$R" \
		'map(select(.type == "hang" and .dev == "eth1"))[0].frames_before
			| any(.hop == "xmit" and .dev == "eth1" and .gso_segs > 1)'
	check "$mode: no hang reported for eth0" "$R" \
		'map(select(.type == "hang" and .dev == "eth0")) | length == 0'
	check "$mode: summary with no lost events ($(jqv "$R" \
		'map(select(.type == "summary"))[0] | "\(.records) records, \(.lost_events) lost, \(.unmatched_completions) unmatched"'))" \
		"$R" 'map(select(.type == "summary")) | length == 1 and .[0].lost_events == 0'
}

# Every string under ready.hooks' drv-* keys, split at separators.
DRV_TOKENS='[map(select(.type == "ready"))[0].hooks | to_entries[] | select(.key | startswith("drv"))
	| .value | .. | strings | splits("[ ,;+|]+") | select(length > 0)]'

check_driver_hooks()
{
	local mode=$1 R=$2 pair dev dst n
	if ! jqt "$R" "$DRV_TOKENS | length > 0"; then
		fail "$mode: ready.hooks has no drv-* entry, though record took --attach $mode"
	else
		check "$mode: driver hooks attached with $mode ($(jqv "$R" "$DRV_TOKENS | join(\" \")"))" "$R" \
			"$DRV_TOKENS | all(startswith(\"$mode\"))"
		if jqt "$R" "$DRV_TOKENS | any(contains(\"/\"))"; then
			check "$mode: e1000_xmit_frame and start_xmit hooked with $mode" "$R" \
				"$DRV_TOKENS | (index(\"$mode/e1000_xmit_frame\") != null) and (index(\"$mode/start_xmit\") != null)"
		else
			skipc "$mode: ready.hooks names no functions; which functions attached is not checked"
		fi
	fi

	for pair in "eth0 $HOST0" "eth1 $HOST1"; do
		set -- $pair
		dev=$1 dst=$2
		n=$(jqv "$R" "$SUPER super(\"drv-xmit\"; \"$dev\"; \"$dst\") | length")
		check "$mode: super-frames at $dev's drv-xmit hop: ${n:-0}" "$R" \
			"$SUPER super(\"drv-xmit\"; \"$dev\"; \"$dst\") | length >= 5"
		n=$(jqv "$R" "$MATCHED matched(\"drv-done\"; [\"drv-xmit\", \"xmit\"]; \"$dev\") | length")
		check "$mode: $dev's drv-done records matched to a hand-off: ${n:-0}" "$R" \
			"$MATCHED matched(\"drv-done\"; [\"drv-xmit\", \"xmit\"]; \"$dev\") | length >= 1"
	done

	local E='map(select(.type == "frame" and .hop == "drv-xmit" and .dev == "eth1"))'
	local V='map(select(.type == "frame" and .hop == "drv-xmit" and .dev == "eth0"))'
	if jqt "$R" "$E | length > 0"; then
		check "$mode: e1000e drv-xmit ring fields ($(jqv "$R" "$E | .[-1] |
			\"ntu=\(.next_to_use) ntc=\(.next_to_clean) used=\(.ring_used) free=\(.ring_free)\""))" "$R" \
			"$E | all((.next_to_use | type == \"number\" and . >= 0 and . < 4096)
				and (.next_to_clean | type == \"number\" and . >= 0 and . < 4096)
				and (.ring_used | type == \"number\" and . >= 0)
				and (.ring_free | type == \"number\" and . >= 0)
				and .ring_used + .ring_free <= 4096)"
		check "$mode: e1000e next_to_use moves ($(jqv "$R" "$E | map(.next_to_use) | unique | length") values)" \
			"$R" "$E | map(.next_to_use) | unique | length >= 2"
	else
		skipc "$mode: e1000e ring fields: no drv-xmit record on eth1 to read them from"
	fi
	if jqt "$R" "$V | length > 0"; then
		check "$mode: virtio_net drv-xmit ring fields ($(jqv "$R" "$V | .[-1] |
			\"free=\(.ring_free) used=\(.ring_used)\""))" "$R" \
			"$V | all((.ring_free | type == \"number\" and . >= 0 and . <= 32768)
				and ((has(\"ring_used\") | not)
					or (.ring_used | type == \"number\" and . >= 0 and . <= 32768)))"
	else
		skipc "$mode: virtio_net ring fields: no drv-xmit record on eth0 to read them from"
	fi
}

skip_driver_hooks()
{
	local mode=$1 why=$2 c
	for c in "driver hooks attached with fentry / kprobe" \
		"super-frames at eth0's (virtio_net start_xmit) drv-xmit hop" \
		"super-frames at eth1's (e1000_xmit_frame) drv-xmit hop" \
		"drv-done records (free_old_xmit, e1000_clean_tx_irq) matched" \
		"e1000e ring fields next_to_use/next_to_clean/ring_used/ring_free" \
		"virtio_net ring fields ring_free/ring_used"; do
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
	check_tp_hops "$mode" "$R"
	if [[ $mode == tp ]]; then
		skip_driver_hooks "$mode" "record has no --attach option yet: driver hooks not built"
	else
		check_driver_hooks "$mode" "$R"
	fi
done
((runs > 0)) || fail "no record output between VNO-BEGIN record and VNO-END record on the console"

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
	# The same frames on both sides: each guest xmit super-frame (first run)
	# arrives at its tap with the same TCP seq, length and gso_size.
	first=$(ls "$WORK"/record-*.jsonl 2>/dev/null | head -n 1)
	if [[ -n $first ]]; then
		for pair in "eth0 vt0" "eth1 vt1"; do
			set -- $pair
			res=$(jq -s -r --slurpfile h "$HOST" --arg g "$1" --arg t "$2" '
				def key: "\(.saddr)|\(.sport)|\(.tcp_seq)|\(.len)|\(.gso_size)";
				($h | map(select(.type == "frame" and .hop == "rx" and .dev == $t
					and .gso_size > 0) | {key: key, value: 1}) | from_entries) as $H
				| map(select(.type == "frame" and .hop == "xmit" and .dev == $g and .gso_segs > 1))
				| "\(map(select($H[key])) | length) \(length)"' "$first" 2>/dev/null)
			read -r found total <<<"${res:-0 0}"
			if ((total > 0 && found == total)); then
				pass "host: all $total of $1's super-frames ($(basename "$first" .jsonl)) arrived at $2 unchanged"
			else
				fail "host: $found of $total of $1's super-frames ($(basename "$first" .jsonl)) arrived at $2 unchanged"
			fi
		done
	fi
fi

# ---- timings -------------------------------------------------------------------

section "timings"
[[ -s $RUN/timings ]] && echo "host wall clock: $(cat "$RUN/timings")"
grep '^VNO-TIME ' "$CONSOLE" | sed 's/^VNO-TIME name=//; s/ s=/ /; s/$/ s/' | paste -sd, |
	sed 's/,/, /g; s/^/guest clock: /'

echo "check-vm: $PASSED passed, $FAILED failed, $SKIPPED skipped"
((FAILED == 0 && PASSED > 0))
