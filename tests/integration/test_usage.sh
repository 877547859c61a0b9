#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Each command's usage lines (the synopsis its --help opens with) against its
# getopt_long table in user/cmd_NAME.c (with run.h's RUN_LONGOPTS where it is
# used): every option but --help is in the synopsis, by its long name or by
# its short letter, and every option the synopsis names exists. No root.
. "$(dirname "$0")/lib.sh"

tb_need_vno

# The options of a command's source: "long short" per line (short "-" if none).
src_opts()
{
	local file=$1 shorts run
	run=$(sed -n '/#define RUN_SHORTOPTS/s/.*"\(.*\)".*/\1/p' "$TB_ROOT/user/run.h")
	shorts=$(grep -o 'getopt_long(argc, argv, [^,]*,' "$file" | sed "s/RUN_SHORTOPTS/\"$run\"/" |
		sed 's/getopt_long(argc, argv, //; s/,$//' | tr -d '" ')
	{
		grep -q RUN_LONGOPTS "$file" &&
			sed -n '/#define RUN_LONGOPTS/,/^$/p' "$TB_ROOT/user/run.h"
		sed -n '/struct option longopts\[\]/,/{}/p' "$file"
	} | sed -nE "s/.*\{ \"([^\"]+)\", [a-z_]+_argument, NULL, ('(.)'|[A-Z_]+) \}.*/\1 \3/p" |
		while read -r long short; do
			[[ -n $short && $shorts == *"$short"* ]] || short=-
			echo "$long $short"
		done
}

# The synopsis: "usage:" and the lines continuing it (indented, opening with "[").
synopsis()
{
	"$VNO_BIN" "$1" --help 2>&1 | awk 'NR == 1 && /^usage:/ { print; next }
		NR > 1 && /^ +\[/ { print; next } { exit }'
}

for cmd in record report replay confirm export doctor schema; do
	file=$TB_ROOT/user/cmd_$cmd.c
	syn=$(synopsis "$cmd")
	[[ -n $syn ]] || { tb_fail "$cmd: --help opens with no usage line"; continue; }
	opts=$(src_opts "$file")
	missing=
	n=0
	while read -r long short; do
		[[ $long == help ]] && continue
		n=$((n + 1))
		grep -qE -- "--$long([] =.]|$)" <<<"$syn" && continue
		[[ $short != - ]] && grep -qE -- "(^|[[ ])-$short([] ]|$)" <<<"$syn" && continue
		missing+="--$long "
	done <<<"$opts"
	((n > 0)) || tb_fail "$cmd: no options found in $file"
	[[ -z $missing ]] && tb_pass "$cmd: the usage lines name all $n options" ||
		tb_fail "$cmd: the usage lines leave out $missing"
	unknown=
	for o in $(grep -oE -- '(^|[[ ])--?[A-Za-z][A-Za-z0-9.-]*' <<<"$syn" | tr -d '[ '); do
		if [[ $o == --* ]]; then
			grep -q "^${o#--} " <<<"$opts" || unknown+="$o "
		else
			grep -q " ${o#-}\$" <<<"$opts" || unknown+="$o "
		fi
	done
	[[ -z $unknown ]] && tb_pass "$cmd: every option the usage lines name exists" ||
		tb_fail "$cmd: the usage lines name options that do not exist: $unknown"
done

tb_finish
