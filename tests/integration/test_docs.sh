#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The man pages (doc/*.scd, built with scdoc) against the binary: for the
# tool and each command, the options its --help defines and the options its
# page's OPTIONS section lists are the same set; every page builds and
# renders; `help COMMAND` prints that command's --help; a page has EXAMPLES.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd scdoc
make -s -C "$TB_ROOT" man >"$TB_TMP/make.out" 2>&1 || tb_fatal "make man: $(tail -c 400 "$TB_TMP/make.out")"

# Options a --help text defines: the first column of its option lines.
help_opts()
{
	sed -nE 's/^ {2,}((-[A-Za-z]), )?(--[A-Za-z][A-Za-z0-9.-]*).*/\2 \3/p' | tr ' ' '\n' |
		sed '/^$/d' | sort -u
}
# Options a page lists: the *-x*, *--xxx* terms of its OPTIONS section.
page_opts()
{
	sed -n '/^# OPTIONS/,/^# /p' "$1" | grep -E '^\*-' | grep -oE '\*--?[A-Za-z][A-Za-z0-9.-]*\*' |
		tr -d '*' | sort -u
}

for cmd in "" record report replay confirm export doctor schema; do
	page=$TB_ROOT/doc/vnoffload-trace${cmd:+-$cmd}.8.scd
	name=${cmd:-vnoffload-trace}
	if [[ ! -s $page ]]; then
		tb_fail "$name: no man page $page"
		continue
	fi
	if [[ -n $cmd ]]; then
		"$VNO_BIN" "$cmd" --help >"$TB_TMP/help" 2>&1
		assert_eq "$("$VNO_BIN" help "$cmd" 2>&1 | md5sum)" "$(md5sum <"$TB_TMP/help")" \
			"help $cmd prints $cmd --help"
	else
		"$VNO_BIN" --help >"$TB_TMP/help" 2>&1
	fi
	# report, doctor and schema name their options in a sentence, not a table.
	# report's -f and -m have short forms too: its short options are words.
	if [[ $cmd == report ]]; then
		grep -oE -- '(^|[^A-Za-z0-9-])--?[a-z][a-z.-]*' "$TB_TMP/help" | sed -E 's/^[^-]+//' |
			sort -u >"$TB_TMP/h"
	elif [[ $cmd == doctor || $cmd == schema ]]; then
		grep -oE -- '--[a-z][a-z.-]*' "$TB_TMP/help" | sort -u >"$TB_TMP/h"
	else
		help_opts <"$TB_TMP/help" >"$TB_TMP/h"
	fi
	page_opts "$page" >"$TB_TMP/p"
	if [[ ! -s $TB_TMP/h ]]; then
		tb_fail "$name: no options found in --help"
	elif cmp -s "$TB_TMP/h" "$TB_TMP/p"; then
		tb_pass "$name: the page lists exactly the $(wc -l <"$TB_TMP/h") options of --help"
	else
		tb_fail "$name: --help and the page differ: only in --help: $(comm -23 "$TB_TMP/h" "$TB_TMP/p" | tr '\n' ' ')only in the page: $(comm -13 "$TB_TMP/h" "$TB_TMP/p" | tr '\n' ' ')"
	fi
	grep -q '^# EXAMPLES' "$page" && tb_pass "$name: the page has examples" ||
		tb_fail "$name: the page has no EXAMPLES section"
	out=$TB_ROOT/.output/man/$(basename "$page" .scd)
	if command -v man >/dev/null; then
		if man -l "$out" 2>/dev/null | grep -q '^NAME'; then
			tb_pass "$name: the built page renders"
		else
			tb_fail "$name: man -l $out renders nothing"
		fi
	else
		[[ -s $out ]] && tb_pass "$name: the page is built" || tb_fail "$name: $out not built"
	fi
done

tb_finish
