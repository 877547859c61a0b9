#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# make install / make uninstall:
# - into a scratch DESTDIR with PREFIX=/usr: every file where it belongs
#   (man pages too), with its mode; the unit's ExecStart names the binary;
# - into a scratch PREFIX (no DESTDIR, so the paths are real): systemd-analyze
#   verify accepts the unit, the installed binary runs `doctor` and prints the
#   installed JSON Schema, the bash
#   completion completes commands, options (from the binary's own --help),
#   interface names and fixed values;
# - an /etc/default file that exists is kept by install, and by uninstall
#   once changed; uninstall leaves nothing else behind.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd make install
D=$TB_TMP/destdir
mk() { make -s -C "$TB_ROOT" "$@" >"$TB_TMP/make.out" 2>&1; }

mk install DESTDIR="$D" PREFIX=/usr || tb_fatal "make install: $(tail -c 400 "$TB_TMP/make.out")"
for f in "755 usr/sbin/vnoffload-trace" "644 usr/lib/systemd/system/vnoffload-trace.service" \
	"644 usr/share/bash-completion/completions/vnoffload-trace" \
	"644 usr/share/vnoffload-trace/vnoffload-trace.rules.yml" \
	"644 usr/share/vnoffload-trace/vnoffload-trace.rules.test.yml" \
	"644 usr/share/vnoffload-trace/grafana-dashboard.json" \
	"644 usr/share/vnoffload-trace/prometheus.yml" \
	"644 usr/share/vnoffload-trace/web-config.example.yml" \
	"644 usr/share/vnoffload-trace/default.example" "644 usr/share/vnoffload-trace/vnoffload.lua" \
	"644 usr/share/vnoffload-trace/vnoffload-trace.schema.json" "644 etc/default/vnoffload-trace"; do
	read -r mode path <<<"$f"
	assert_eq "$(stat -c %a "$D/$path" 2>/dev/null || echo missing)" "$mode" "installed $path ($mode)"
done
for page in "$TB_ROOT"/doc/*.scd; do
	page=$(basename "$page" .scd)
	assert_eq "$(stat -c %a "$D/usr/share/man/man8/$page" 2>/dev/null || echo missing)" 644 \
		"installed usr/share/man/man8/$page (644)"
done
assert_eq "$(find "$D" -type f | wc -l)" $((12 + $(ls "$TB_ROOT"/doc/*.scd | wc -l))) "nothing else installed"
assert_eq "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$D/usr/lib/systemd/system/vnoffload-trace.service")" \
	/usr/sbin/vnoffload-trace "the unit runs the binary where it was installed"

# An /etc/default the admin changed survives install and uninstall.
echo 'VNO_EXPORT_ARGS="-i tap*"' >>"$D/etc/default/vnoffload-trace"
mk install DESTDIR="$D" PREFIX=/usr || tb_fail "make install again: $(tail -c 300 "$TB_TMP/make.out")"
assert_eq "$(grep -c '^VNO_EXPORT_ARGS="-i tap\*"' "$D/etc/default/vnoffload-trace")" 1 \
	"install keeps an /etc/default that exists"
mk uninstall DESTDIR="$D" PREFIX=/usr || tb_fail "make uninstall: $(tail -c 300 "$TB_TMP/make.out")"
assert_eq "$(find "$D" -type f | sed "s|^$D/||" | tr '\n' ' ')" "etc/default/vnoffload-trace " \
	"uninstall removes every file but a changed /etc/default"

# Real paths: the unit checked by systemd, the binary run, completion used.
P=$TB_TMP/prefix
mk install PREFIX="$P" SYSCONFDIR="$P/etc" || tb_fatal "make install PREFIX=$P: $(tail -c 400 "$TB_TMP/make.out")"
if command -v systemd-analyze >/dev/null; then
	# Documentation= names the installed man page: man finds it through MANPATH.
	if out=$(MANPATH="$P/share/man" systemd-analyze verify \
		"$P/lib/systemd/system/vnoffload-trace.service" 2>&1); then
		tb_pass "systemd-analyze verify accepts the installed unit"
	else
		tb_fail "systemd-analyze verify: $(head -c 400 <<<"$out")"
	fi
else
	tb_log "no systemd-analyze here: the unit is not verified"
fi
if out=$("$P/sbin/vnoffload-trace" --json doctor 2>&1) && jq -e '.hops.xmit' <<<"$out" >/dev/null; then
	tb_pass "the installed binary runs doctor (xmit: $(jq -r '.hops.xmit' <<<"$out"))"
else
	tb_fail "the installed binary's doctor: $(head -c 300 <<<"$out")"
fi

# complete WORDS...: what the completion offers for the last word.
complete_words()
{
	# shellcheck disable=SC1090,SC2034
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vnoffload_trace
		echo "${COMPREPLY[*]}"' _ "$P/share/bash-completion/completions/vnoffload-trace" "$@"
}
V=$P/sbin/vnoffload-trace
assert_eq "$(complete_words "$V" rec)" record "completion: a command"
assert_eq "$(complete_words "$V" sch)" schema "completion: the schema command"
assert_eq "$(cmp "$P/share/vnoffload-trace/vnoffload-trace.schema.json" <("$V" schema) && echo same)" same \
	"the installed schema is what the binary prints"
assert_eq "$(complete_words "$V" record --js)" --json "completion: record's option, from its --help"
assert_eq "$(complete_words "$V" export --list)" --listen "completion: export's option"
assert_eq "$(complete_words "$V" record -i l)" lo "completion: -i takes interface names"
assert_eq "$(complete_words "$V" record --tc-mode c)" clsact "completion: --tc-mode's values"
mk uninstall PREFIX="$P" SYSCONFDIR="$P/etc" || tb_fail "make uninstall PREFIX=$P"
assert_eq "$(find "$P" -type f | wc -l)" 0 "uninstall leaves no file of an unchanged install"

tb_finish
