#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# -Z USER and --force:
#   drop          record -Z nobody: after the ready line the process runs as
#                 nobody with CAP_BPF only (plus CAP_NET_ADMIN with the TC
#                 hops), frames are still recorded, the capture is readable,
#                 the exit is clean;
#   rotate_dir    with rotation, a directory nobody cannot write is refused
#                 in one sentence;
#   bad_user      -Z with a user that does not exist: one sentence, exit 2;
#   force         --force refuses a FIFO (at once, not blocked) and a file of
#                 another user (left as it was), in one sentence each.
# Run one case alone: test_record_privdrop.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_root
tb_need_vno
tb_need_cmd ip jq
id nobody >/dev/null 2>&1 || skip "no user 'nobody' here"

A=vnoa-$TB_SFX
B=vnob-$TB_SFX
tb_netns_add "$A"
tb_netns_add "$B"
ip -n "$A" link add v0 type veth peer name v1 netns "$B" || tb_fatal "cannot create veth"
ip -n "$A" addr add 192.0.2.1/24 dev v0
ip -n "$B" addr add 192.0.2.2/24 dev v1
ip -n "$A" link set v0 up
ip -n "$B" link set v1 up

# A directory nobody can write into (the test's own is root's, mode 0700).
W=$TB_TMP/nobody
mkdir -p "$W"
chown nobody "$W"
chmod 0711 "$TB_TMP"

poke()
{
	ip netns exec "$A" bash -c 'for i in 1 2 3; do echo x >/dev/udp/192.0.2.2/9; sleep 0.1; done' 2>/dev/null
}

_frames() { jq -Rne '[inputs | fromjson? | select(.type == "frame" and .dev == "v0")] | length > 0' "$1" >/dev/null 2>&1; }

# drop_case WANT_CAPEFF RECORD ARGS...
drop_case()
{
	local want=$1 out=$TB_TMP/drop$#.out f=$W/drop$#.pcapng st rc
	shift
	vno_record_start "$out" "$A" -- --json --all -i v0 -Z nobody -w "$f" "$@"
	st=/proc/$VNO_REC_PID/status
	assert_eq "$(awk '/^Uid:/ { print $2 "," $3 "," $4 }' "$st")" 65534,65534,65534 \
		"$*: real, effective and saved uid are nobody's after the ready line"
	assert_eq "$(awk '/^Gid:/ { print $2 "," $3 }' "$st")" "$(id -g nobody),$(id -g nobody)" \
		"$*: gid is nobody's"
	assert_eq "$(awk '/^CapEff:/ { print $2 }' "$st")" "$want" "$*: effective capabilities"
	assert_eq "$(awk '/^CapPrm:/ { print $2 }' "$st")" "$want" "$*: permitted capabilities"
	assert_eq "$(awk '/^CapAmb:/ { print $2 }' "$st")" 0000000000000000 "$*: no ambient ones"
	poke
	tb_wait_until "$TB_TIMEOUT" _frames "$out" && tb_pass "$*: frames still recorded as nobody" ||
		tb_fail "$*: no frames once running as nobody"
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "$*: clean exit"
	assert_jq "$out" 'map(select(.type == "summary")) | length == 1' "$*: the summary is out"
	"$VNO_BIN" report --json "$f" >"$out.report" 2>"$out.report.err"
	rc=$?
	assert_eq "$rc" 0 "$*: report reads the capture"
	assert_jq "$out.report" 'map(select(.type == "summary"))[0].records > 0' "$*: with its frames"
}

case_drop()
{
	# CAP_BPF is bit 39; CAP_NET_ADMIN bit 12.
	drop_case 0000008000000000
	drop_case 0000008000001000 --tc-mode auto
}

case_rotate_dir()
{
	local d=$TB_TMP/rootonly rc
	mkdir -p "$d"
	chmod 0755 "$d"
	timeout 20 ip netns exec "$A" "$VNO_BIN" record -i v0 -d 5 -Z nobody -w "$d/x.pcapng" \
		--rotate-size 1M >/dev/null 2>"$TB_TMP/rot.err"
	rc=$?
	((rc != 0 && rc < 124)) && tb_pass "rotation into a directory nobody cannot write: exit $rc" ||
		tb_fail "rotation into a directory nobody cannot write: exit $rc"
	grep -q "cannot create files in the directory" "$TB_TMP/rot.err" &&
		tb_pass "the sentence says why" || tb_fail "unclear: $(head -c 300 "$TB_TMP/rot.err")"
	assert_eq "$(grep -c . "$TB_TMP/rot.err")" 1 "one sentence"
}

# expect_refused WHAT PATH WANT
expect_refused()
{
	local what=$1 p=$2 want=$3 rc
	timeout 10 ip netns exec "$A" "$VNO_BIN" record -i v0 -d 5 --force -w "$p" \
		>/dev/null 2>"$TB_TMP/force.err"
	rc=$?
	if ((rc == 124)); then
		tb_fail "--force on $what: blocked until the timeout"
	elif ((rc != 0)); then
		tb_pass "--force on $what: exit $rc"
	else
		tb_fail "--force on $what: exit 0"
	fi
	grep -qF "$want" "$TB_TMP/force.err" && tb_pass "--force on $what: says '$want'" ||
		tb_fail "--force on $what: $(head -c 300 "$TB_TMP/force.err")"
	assert_eq "$(grep -c . "$TB_TMP/force.err")" 1 "--force on $what: one sentence"
}

case_force()
{
	mkfifo "$TB_TMP/fifo.pcapng"
	expect_refused "a FIFO" "$TB_TMP/fifo.pcapng" "is not a regular file"
	printf 'theirs' >"$TB_TMP/theirs.pcapng"
	chown nobody "$TB_TMP/theirs.pcapng"
	expect_refused "another user's file" "$TB_TMP/theirs.pcapng" "belongs to another user"
	assert_eq "$(cat "$TB_TMP/theirs.pcapng")" theirs "the other user's file is left as it was"
	assert_eq "$(stat -c %U "$TB_TMP/theirs.pcapng")" nobody "and keeps its owner"
}

case_bad_user()
{
	local rc
	timeout 20 ip netns exec "$A" "$VNO_BIN" record -i v0 -d 5 -Z vno-no-such-user \
		>/dev/null 2>"$TB_TMP/user.err"
	rc=$?
	assert_eq "$rc" 2 "-Z with an unknown user: exit 2, before anything is attached"
	grep -q -- "-Z vno-no-such-user: no such user" "$TB_TMP/user.err" &&
		tb_pass "the sentence names the user" || tb_fail "unclear: $(head -c 300 "$TB_TMP/user.err")"
}

tb_run_cases "drop rotate_dir force bad_user" "$@"
