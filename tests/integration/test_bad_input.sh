#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Bad input gets one sentence and a non-zero exit, never a crash: an unknown
# interface (named, with the ones there are), a glob matching nothing, a bad
# duration, a bad --tc-mode, an unknown option; with --json also an
# {"error": ...} object on stdout.
. "$(dirname "$0")/lib.sh"

tb_need_root
tb_need_vno

# A fresh namespace: its only interface is lo, so the answers are known.
NS=vnob-$TB_SFX
tb_netns_add "$NS"

# expect_error WANT_IN_MESSAGE ARGS...
expect_error()
{
	local want=$1
	shift
	local out=$TB_TMP/out err=$TB_TMP/err rc lines
	timeout 20 ip netns exec "$NS" "$VNO_BIN" record "$@" >"$out" 2>"$err"
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

expect_error nosuch0 -i nosuch0 -d 1
expect_error 'zz*' -i 'zz*' -d 1
expect_error abc -d abc
expect_error 10x -d 10x
expect_error bogus --tc-mode bogus
expect_error frobnicate --frobnicate
expect_error nosuch0 --json -i nosuch0 -d 1
expect_error abc --json -d abc

# The unknown interface's message lists the interfaces there are.
timeout 20 ip netns exec "$NS" "$VNO_BIN" record -i nosuch0 -d 1 2>"$TB_TMP/err" >/dev/null
if grep -qw lo "$TB_TMP/err"; then
	tb_pass "the unknown-interface message lists the interfaces there are (lo)"
else
	tb_fail "the unknown-interface message does not list lo: $(cat "$TB_TMP/err")"
fi

tb_finish
