#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The remedy names real features of the hung device: for each kind of
# super-frame the stand-in guest can plant, a baseline of plain frames, then
# a burst of that kind just before a manual trigger; up0's diagnosis must
# accuse exactly that kind's offload, and every feature its host command
# switches off must be one `ethtool -k up0` lists (record reads them live).
#   tcp4  tcp4-tso           -> tx-tcp-segmentation
#   tcp6  tcp6-tso           -> tx-tcp6-segmentation
#   ecn   tcp4-tso with CWR  -> tx-tcp-ecn-segmentation
#   uso   udp4-uso           -> tx-udp-segmentation
#   csum  tcp4-csum, no GSO  -> the IPv4 TX checksum (tx-checksum-ipv4, or
#         tx-checksum-ip-generic where the device has only that)
# One case runs alone: bash test_remedy.sh uso
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_up

# remedy_case NAME SPEC ACCUSED SPORT0: plant 30 plain frames (one TSO frame
# among them for the checksum case, so the window holds a super-frame), then
# 30 of SPEC, diagnose up0 and check its remedy.
remedy_case()
{
	local name=$1 spec=$2 accused=$3 sp=$4 rec=$TB_TMP/$1.jsonl i base=() burst=() feats f
	local hang="map(select(.type == \"hang\" and .dev == \"up0\"))[0]"

	# --all: the plain frames carry no offload and are recorded only so.
	vno_record_start "$rec" -- -i tap0 -i up0 --json --all --stall-ms 0
	for i in $(seq 1 30); do base+=("tcp4-plain:sport=$((sp + i))"); done
	[[ $name == csum ]] && base[0]="tcp4-tso:segs=10:mss=1448:sport=$((sp + 1))"
	tb_plant "${base[@]}"
	for i in $(seq 1 30); do burst+=("$spec:sport=$((sp + 100 + i))"); done
	tb_plant "${burst[@]}"
	tb_wait_jq "$rec" "[.[] | select(.type == \"frame\" and .hop == \"xmit\" and .dev == \"up0\"
		and .sport > $((sp + 100)) and .sport <= $((sp + 130)))] | length == 30" ||
		tb_fail "$name: the burst reached up0's xmit"
	kill -USR1 "$VNO_REC_PID"
	tb_wait_jq "$rec" 'any(.type == "hang" and .dev == "up0")' ||
		tb_fail "$name: SIGUSR1 diagnosed up0"
	vno_record_stop INT

	assert_jq "$rec" "$hang | .remedies.accused == $accused" \
		"$name: accuses $accused ($(jq -c -s "$hang | [.remedies.accused, .suspects[0].attribute,
			.suspects[0].value]" "$rec" 2>/dev/null))"
	assert_jq "$rec" "$hang | .remedies.host | test(\"^ethtool -K up0( [a-z0-9_-]+ off)+\$\")" \
		"$name: the host command switches features of up0 off ($(jq -s "$hang | .remedies.host" \
			"$rec" 2>/dev/null))"
	assert_jq "$rec" "$hang | .remedies.host_note // \"\" | test(\"not checked\") | not" \
		"$name: checked against up0's live features"
	assert_jq "$rec" "$hang | .remedies.tap == \"tap0\" and (.remedy | test(\"guest behind tap0\"))" \
		"$name: the guest's tap is named"

	# Every feature the host command names, in up0's own list.
	feats=$(jq -r -s "$hang | .remedies.host // \"\" | sub(\"^ethtool -K up0\"; \"\")
		| gsub(\" off\"; \"\")" "$rec" 2>/dev/null)
	ip netns exec "$TB_H" ethtool -k up0 >"$TB_TMP/$name.features" ||
		tb_fail "$name: ethtool -k up0"
	[[ -n ${feats// /} ]] || tb_fail "$name: the host command names a feature"
	for f in $feats; do
		if grep -Eq "^[[:space:]]*$f: " "$TB_TMP/$name.features"; then
			tb_pass "$name: $f is a feature of up0"
		else
			tb_fail "$name: $f is a feature of up0 ($(tr '\n' ' ' <"$TB_TMP/$name.features"))"
		fi
		# Only what is accused: never the broad switches.
		case $f in
		tso | gso | tx | sg | generic-segmentation-offload | tcp-segmentation-offload)
			tb_fail "$name: $f is broader than the accused offload" ;;
		esac
	done
}

case_tcp4() { remedy_case tcp4 tcp4-tso:segs=10:mss=1448 '["tx-tcp-segmentation"]' 46000; }
case_tcp6() { remedy_case tcp6 tcp6-tso:segs=4:mss=1428 '["tx-tcp6-segmentation"]' 46200; }
case_ecn() { remedy_case ecn tcp4-tso:segs=10:mss=1448:ecn '["tx-tcp-ecn-segmentation"]' 46400; }
case_uso() { remedy_case uso udp4-uso:segs=5:mss=1200 '["tx-udp-segmentation"]' 46600; }
case_csum() { remedy_case csum tcp4-csum '["tx-checksum-ipv4"]' 46800; }

tb_run_cases "tcp4 tcp6 ecn uso csum" "$@"
