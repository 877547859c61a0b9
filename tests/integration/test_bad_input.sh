#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Bad input gets one sentence and a non-zero exit, never a crash:
#   options      a bad duration, a bad --tc-mode, an unknown option; with --json
#                also an {"error": ...} object on stdout; an interface name or
#                glob that matches nothing yet is a warning naming it (it may
#                appear: a guest's tap), and the recording runs;
#   capture      an existing file without --force, a path that cannot be
#                written, rotation without -w;
#   report       no file, a missing one, a file that is no capture;
#   export       a listen address that is no address;
#   unprivileged the same command as an unprivileged user;
#   iface_list   the unknown interface's warning lists the interfaces there are.
# Run one case alone: test_bad_input.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_root
tb_need_vno

# A fresh namespace: its only interface is lo, so the answers are known.
NS=vnob-$TB_SFX
tb_netns_add "$NS"

# expect_error WANT_IN_MESSAGE ARGS...: `record ARGS` fails with one sentence.
# VNO_CMD (default record) and VNO_AS (a command prefix, e.g. setpriv) vary it.
expect_error()
{
	local want=$1
	shift
	local out=$TB_TMP/out err=$TB_TMP/err rc lines
	timeout 20 ip netns exec "$NS" ${VNO_AS:-} "$VNO_BIN" "${VNO_CMD:-record}" "$@" >"$out" 2>"$err"
	rc=$?
	lines=$(wc -l <"$err")
	if ((rc == 0)); then
		tb_fail "record $*: exit 0, want non-zero"
	elif ((rc >= 124)); then
		tb_fail "record $*: exit $rc (timeout or killed by a signal: a crash?)"
	else
		tb_pass "record $*: exit $rc"
	fi
	assert_eq "$lines" 1 "record $*: one line on stderr"
	if grep -qF -- "$want" "$err"; then
		tb_pass "record $*: the message names '$want'"
	else
		tb_fail "record $*: the message does not name '$want': $(head -c 300 "$err")"
	fi
	if [[ " $* " == *" --json "* ]]; then
		assert_eq "$(jq -c 'has("error") and (.error | contains($w))' --arg w "$want" "$out" 2>/dev/null)" \
			true "record $*: {\"error\": ...} naming '$want' on stdout"
	fi
}

# expect_warning WANT_IN_MESSAGE ARGS...: `record ARGS` runs (exit 0) and
# says WANT once on stderr, as a warning.
expect_warning()
{
	local want=$1
	shift
	local out=$TB_TMP/out err=$TB_TMP/err rc
	timeout 20 ip netns exec "$NS" "$VNO_BIN" record "$@" >"$out" 2>"$err"
	rc=$?
	assert_eq "$rc" 0 "record $*: runs, exit 0"
	assert_eq "$(grep -c -- "^warning: .*$want" "$err")" 1 "record $*: one warning naming '$want'"
}

case_options()
{
	expect_warning 'nosuch0: no such interface' -i nosuch0 -d 1
	expect_warning 'zz\*: no interface matches this pattern' -i 'zz*' -d 1
	expect_error abc -d abc
	expect_error 10x -d 10x
	expect_error bogus --tc-mode bogus
	expect_error frobnicate --frobnicate
	expect_warning 'nosuch0: no such interface' --json -i nosuch0 -d 1
	expect_error abc --json -d abc
}

# Captures: an existing file without --force, a path that cannot be written.
case_capture()
{
	touch "$TB_TMP/exists.pcapng"
	expect_error 'add --force' -i lo -d 1 -w "$TB_TMP/exists.pcapng"
	expect_error 'cannot write' -i lo -d 1 -w /proc/vno-no/x.pcapng
	expect_error 'need -w FILE' --rotate-size 1M -d 1
	expect_error '--writer-thread needs -w FILE' --writer-thread -d 1
}

# report: no file, a missing one, a file that is no capture.
case_report()
{
	VNO_CMD=report expect_error 'one capture file'
	VNO_CMD=report expect_error 'nosuch.pcapng' "$TB_TMP/nosuch.pcapng"
	printf 'this is not a capture file\n%.0s' {1..20} >"$TB_TMP/text.pcapng"
	VNO_CMD=report expect_error 'text.pcapng' "$TB_TMP/text.pcapng"
}

# export: a listen address that is no address.
case_export()
{
	VNO_CMD=export expect_error 'listen' --listen nonsense -d 1
}

# No privileges: the same command as an unprivileged user.
case_unprivileged()
{
	command -v setpriv >/dev/null || skip "setpriv (util-linux) missing: the unprivileged run is not checked"
	VNO_AS="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all" \
		expect_error 'needs root' -i lo -d 1
}

# The unknown interface's warning lists the interfaces there are.
case_iface_list()
{
	timeout 20 ip netns exec "$NS" "$VNO_BIN" record -i nosuch0 -d 1 2>"$TB_TMP/err" >/dev/null
	if grep -qw lo "$TB_TMP/err"; then
		tb_pass "the unknown-interface warning lists the interfaces there are (lo)"
	else
		tb_fail "the unknown-interface warning does not list lo: $(cat "$TB_TMP/err")"
	fi
}

tb_run_cases "options capture report export unprivileged iface_list" "$@"
