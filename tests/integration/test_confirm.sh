#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# confirm: a suspect tested by switching it off, on the bed's veth uplink
# (renamed to a name of this run's own: the planted kernel-log lines must
# name a device only this run watches).
#
#   uso      a stand-in NIC that stalls on USO super-frames (tcpdump on the
#            uplink writes a planted hang line to the kernel log for each
#            one it sees leave) and a --trigger that plants a USO burst:
#            hangs with tx-udp-segmentation on, none with it off, where the
#            burst's frames leave the uplink segmented; the feature back on;
#   sigkill  confirm killed with SIGKILL while the feature is off: the state
#            file is there, and the next run restores the feature first;
#   refuse   a feature the device lacks, a fixed one, no --yes with stdin
#            not a terminal, no --dev, --duration 0: refused, nothing
#            switched.
# Every case: the uplink's whole feature list is the same before and after.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_root
tb_need_cmd ethtool

FEAT=tx-udp-segmentation

# A bed whose uplink is $UP, a name of this run's own.
confirm_bed()
{
	tb_up
	tb_rename_uplink cf
	UP=$TB_UP
	STATE=$TB_TMP/state-$TB_CASE
	FEATS_BEFORE=$(features)
	[[ $(feature "$FEAT") == on ]] || skip "$UP: $FEAT is not on (this kernel's veth lacks USO?)"
}

features() { ip netns exec "$TB_H" ethtool -k "$UP" 2>/dev/null; }
feature() { features | awk -v f="$1:" '$1 == f { print $2 }'; }
confirm() { ip netns exec "$TB_H" "$VNO_BIN" confirm --dev "$UP" "$@"; }
_feature_is() { [[ $(feature "$FEAT") == "$1" ]]; }

# The case's last check: every feature as it was.
features_kept()
{
	local now
	now=$(features)
	if [[ $now == "$FEATS_BEFORE" ]]; then
		tb_pass "$TB_CASE: $UP's features are as they were before the case"
	else
		tb_fail "$TB_CASE: $UP's features changed: $(diff <(echo "$FEATS_BEFORE") <(echo "$now") | tr '\n' ' ')"
	fi
}

# The stand-in NIC: for each USO super-frame (a UDP frame longer than the
# MTU) tcpdump sees leaving $UP, a planted stall line names $UP.
fake_nic()
{
	local script=$TB_TMP/fake-nic.sh
	cat >"$script" <<EOF
tcpdump -l -n -i "$UP" -Q out 'udp and greater 1600' 2>"$TB_TMP/tcpdump.err" |
	while read -r line; do
		echo "<3>vnofake $UP: TX stalled on a USO frame" >/dev/kmsg
	done
EOF
	tb_bg "$TB_H" "$TB_TMP/fake-nic.out" bash "$script"
	tb_wait_until "$TB_TIMEOUT" grep -qs 'listening on' "$TB_TMP/tcpdump.err" ||
		tb_fatal "tcpdump did not start: $(cat "$TB_TMP/tcpdump.err")"
}

case_uso()
{
	tb_need_cmd tcpdump
	[[ -w /dev/kmsg ]] || skip "cannot write /dev/kmsg to plant the stand-in NIC's stall line"
	local out=$TB_TMP/uso.jsonl rec=$TB_TMP/uso-rec.jsonl trig=$TB_TMP/trigger.sh
	confirm_bed
	fake_nic
	# The trigger: a USO burst from the guest, sports 48001.. in the first
	# half and 48101.. in the second.
	echo 0 >"$TB_TMP/half"
	cat >"$trig" <<EOF
h=\$(cat "$TB_TMP/half"); echo \$((h + 1)) >"$TB_TMP/half"
for i in 1 2 3 4; do
	printf 'udp4-uso:segs=10:mss=600:sport=%d\n' \$((48001 + h * 100 + i - 1))
done >"$TB_TMP/guest.fifo"
EOF
	vno_record_start "$rec" -- -i "$UP" --json --all --stall-ms 0
	confirm --feature "$FEAT" --duration 3 --trigger "bash $trig" --yes --state-dir "$STATE" \
		-i tap0 --stall-ms 0 --hang-pattern 'vnofake ([a-z0-9]+): TX stalled' --json \
		>"$out" 2>"$out.err"
	assert_eq "$?" 0 "uso: confirm exits 0"
	vno_record_stop INT
	C='map(select(.type == "confirm"))[0]'
	assert_jq "$out" "$C | .dev == \"$UP\" and .feature == \"$FEAT\" and .restored == true" \
		"uso: one confirm line, the feature restored"
	assert_jq "$out" "$C.halves[0] | .feature_on and .hangs >= 1 and .accused >= 4" \
		"uso: first half, $FEAT on: hangs, and the 4 USO frames need it"
	assert_jq "$out" "$C.halves[1] | (.feature_on | not) and .hangs == 0 and .accused == 0" \
		"uso: second half, $FEAT off: no hang, no frame needing it"
	assert_jq "$out" "$C.verdict | test(\"stopped the hangs\")" "uso: the verdict says it stopped the hangs"
	assert_jq "$out" "map(select(.type == \"hang\" and .dev == \"$UP\")) | length >= 1" \
		"uso: the hangs are diagnosed as record does"
	if "$VNO_BIN" schema >"$TB_TMP/schema.json" && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		/usr/bin/python3 "$TB_ROOT/tests/tools/schema_check.py" --strict --expect confirm,hang,offload_change \
			"$TB_TMP/schema.json" "$out" >"$TB_TMP/schema.out" 2>&1 &&
			tb_pass "uso: every --json line valid against the schema" ||
			tb_fail "uso: the --json lines against the schema: $(head -c 600 "$TB_TMP/schema.out")"
	else
		tb_fail "uso: the --json lines against the schema: python3-jsonschema is not installed (make deps)"
	fi
	# An independent look at the uplink: one super-frame per flow while the
	# feature was on, ten segments of 600 bytes after.
	assert_jq "$rec" "[.[] | select(.type == \"frame\" and .hop == \"xmit\" and .sport >= 48001 and .sport <= 48004)]
		| length == 4 and all(.gso_size == 600 and (.gso_type | index(\"udp_l4\")))" \
		"uso: first half: the burst left $UP as 4 USO super-frames"
	assert_jq "$rec" "[.[] | select(.type == \"frame\" and .hop == \"xmit\" and .sport >= 48101 and .sport <= 48104)]
		| length == 40 and all(.gso_size == 0 and .len <= 14 + 20 + 8 + 600)" \
		"uso: second half: the burst left $UP segmented, 40 frames of at most 600 bytes of payload"
	assert_eq "$(feature "$FEAT")" on "uso: $FEAT is on again"
	assert_eq "$(ls -A "$STATE" 2>/dev/null | wc -l)" 0 "uso: no state file left"
	features_kept
}

case_sigkill()
{
	local pid out=$TB_TMP/kill.out rc
	confirm_bed
	ip netns exec "$TB_H" "$VNO_BIN" confirm --dev "$UP" --feature "$FEAT" --duration 2 --yes \
		--state-dir "$STATE" -i "$UP" --stall-ms 0 >"$out" 2>"$out.err" &
	pid=$!
	TB_PIDS+=("$pid")
	tb_wait_until 20 _feature_is off || tb_fatal "confirm never switched $FEAT off: $(cat "$out.err")"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	assert_eq "$(feature "$FEAT")" off "sigkill: $FEAT is left off by the killed run"
	assert_eq "$(ls "$STATE" | grep -c '^confirm-.*\.state$')" 1 "sigkill: its state file is there"
	grep -q "was=on" "$STATE"/confirm-*.state && tb_pass "sigkill: the state file says it was on" ||
		tb_fail "sigkill: the state file says it was on: $(cat "$STATE"/confirm-*.state)"
	confirm --feature "$FEAT" --duration 500ms --yes --state-dir "$STATE" -i "$UP" --stall-ms 0 \
		>"$out.2" 2>&1
	rc=$?
	assert_eq "$rc" 0 "sigkill: the next run exits 0"
	grep -q "$FEAT on $UP restored to on" "$out.2" && tb_pass "sigkill: the next run says it restored $FEAT" ||
		tb_fail "sigkill: the next run says it restored $FEAT: $(cat "$out.2")"
	[[ $(grep 'restored to\|half 1' "$out.2" | head -n 1) == *restored* ]] &&
		tb_pass "sigkill: restored before its own first half" ||
		tb_fail "sigkill: restored before its own first half"
	assert_eq "$(feature "$FEAT")" on "sigkill: $FEAT is on again"
	assert_eq "$(ls -A "$STATE" | wc -l)" 0 "sigkill: no state file left"
	features_kept
}

case_refuse()
{
	local fixed
	confirm_bed
	confirm --feature tx-no-such-feature --yes --state-dir "$STATE" >/dev/null 2>"$TB_TMP/r1"
	assert_eq "$?" 1 "refuse: a feature the device lacks: exit 1"
	grep -q "has no feature tx-no-such-feature" "$TB_TMP/r1" && tb_pass "refuse: says the device lacks it" ||
		tb_fail "refuse: says the device lacks it: $(cat "$TB_TMP/r1")"
	fixed=$(features | awk '/\[fixed\]/ { sub(":", "", $1); print $1; exit }')
	if [[ -n $fixed ]]; then
		confirm --feature "$fixed" --yes --state-dir "$STATE" >/dev/null 2>"$TB_TMP/r2"
		assert_eq "$?" 1 "refuse: a fixed feature ($fixed): exit 1"
		grep -q "is fixed" "$TB_TMP/r2" && tb_pass "refuse: says $fixed is fixed" ||
			tb_fail "refuse: says $fixed is fixed: $(cat "$TB_TMP/r2")"
	else
		tb_log "$UP lists no fixed feature: that refusal is not tried"
	fi
	confirm --feature "$FEAT" --duration 1 --state-dir "$STATE" </dev/null >/dev/null 2>"$TB_TMP/r3"
	assert_eq "$?" 2 "refuse: no --yes and stdin not a terminal: exit 2"
	grep -q -- "--yes" "$TB_TMP/r3" && tb_pass "refuse: says to add --yes" ||
		tb_fail "refuse: says to add --yes: $(cat "$TB_TMP/r3")"
	"$VNO_BIN" confirm --feature "$FEAT" --yes >/dev/null 2>"$TB_TMP/r4"
	assert_eq "$?" 2 "refuse: no --dev: exit 2"
	grep -q -- "needs --dev" "$TB_TMP/r4" && tb_pass "refuse: says it needs --dev" ||
		tb_fail "refuse: says it needs --dev: $(cat "$TB_TMP/r4")"
	confirm --feature "$FEAT" --duration 0 --yes --state-dir "$STATE" >/dev/null 2>"$TB_TMP/r5"
	assert_eq "$?" 2 "refuse: --duration 0: exit 2"
	grep -q -- "--duration 0" "$TB_TMP/r5" && tb_pass "refuse: says --duration 0 is no time" ||
		tb_fail "refuse: says --duration 0 is no time: $(cat "$TB_TMP/r5")"
	assert_eq "$(ls -A "$STATE" 2>/dev/null | wc -l)" 0 "refuse: no state file written"
	features_kept
}

tb_run_cases "uso sigkill refuse" "$@"
