#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# make deb: the Debian package.
#   build     `make deb` writes .output/vnoffload-trace_VERSION_ARCH.deb
#   contents  dpkg-deb -c/-I: every file make install puts, man pages
#             compressed, the unit running /usr/sbin/vnoffload-trace,
#             /etc/default a conffile; Depends names the package of every
#             library the binary links (objdump, dpkg -S) or opens with
#             dlopen (user/dynlib.c), and no -dev or
#             build tool
#   lintian   no error or warning (the overrides say why for the rest)
#   install   apt-get install ./….deb on this machine; the installed
#             binary runs doctor and reports tests/fixtures/capture-v2.pcapng
#             as the tree's binary does; man finds its pages, tshark the
#             Wireshark dissector; the unit verifies
#   remove    remove keeps a changed /etc/default, purge takes it too:
#             nothing of the package is left
# install and remove change this machine (root): they skip when a
# vnoffload-trace is installed already, and purge the package on any exit.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd make dpkg-deb dpkg-shlibdeps dpkg-gencontrol objdump jq
PKG=vnoffload-trace
VERSION=$(sed -n 's/^VERSION := //p' "$TB_ROOT/Makefile")
DEB=$TB_ROOT/.output/${PKG}_${VERSION}_$(dpkg --print-architecture).deb
BUILT=
# A file, not a variable: each case runs in a subshell of its own, and the
# install of one case is the next one's to remove and this script's to purge.
MINE=$TB_TMP/deb.installed-by-us

# Purge what this test installed, whatever way it ends.
deb_cleanup()
{
	[[ -e $MINE ]] || return 0
	dpkg --purge "$PKG" >/dev/null 2>&1
	rm -f "$MINE"
}
# shellcheck disable=SC2154 # _rc is set by the trap itself
trap '_rc=$?; deb_cleanup; (exit $_rc); tb_cleanup' EXIT

need_deb()
{
	[[ -n $BUILT ]] && return 0
	if ! make -s -C "$TB_ROOT" deb >"$TB_TMP/make.out" 2>&1; then
		tb_fatal "make deb: $(tail -c 600 "$TB_TMP/make.out")"
	fi
	[[ -s $DEB ]] || tb_fatal "make deb wrote no $DEB"
	BUILT=1
	dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TB_TMP/list"
	dpkg-deb -f "$DEB" Depends >"$TB_TMP/depends"
}

case_build()
{
	need_deb
	assert_eq "$(dpkg-deb -f "$DEB" Package Version Architecture | tr '\n' ' ')" \
		"Package: $PKG Version: $VERSION Architecture: $(dpkg --print-architecture) " \
		"$(basename "$DEB"): name, version, architecture"
}

case_contents()
{
	local f page unit
	need_deb
	for f in /usr/sbin/$PKG /usr/lib/systemd/system/$PKG.service /etc/default/$PKG \
		/usr/share/bash-completion/completions/$PKG /usr/share/doc/$PKG/copyright \
		/usr/share/doc/$PKG/changelog.gz /usr/share/$PKG/vnoffload-trace.rules.yml \
		/usr/share/$PKG/vnoffload-trace.rules.test.yml /usr/share/$PKG/grafana-dashboard.json \
		/usr/share/$PKG/prometheus.yml /usr/share/$PKG/web-config.example.yml \
		/usr/share/$PKG/default.example /usr/share/$PKG/vnoffload.lua; do
		assert_eq "$(grep -cx "$f" "$TB_TMP/list")" 1 "the package holds $f"
	done
	for page in "$TB_ROOT"/doc/*.scd; do
		page=$(basename "$page" .scd)
		assert_eq "$(grep -cx "/usr/share/man/man8/$page.gz" "$TB_TMP/list")" 1 \
			"the package holds $page, compressed"
	done
	assert_eq "$(grep -c '^/usr/local' "$TB_TMP/list")" 0 "nothing under /usr/local"
	assert_eq "$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles)" /etc/default/$PKG \
		"/etc/default/$PKG is the one conffile"
	unit=$(dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/lib/systemd/system/$PKG.service)
	assert_eq "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' <<<"$unit")" /usr/sbin/$PKG \
		"the unit runs /usr/sbin/$PKG"

	# Depends: the package of each library the binary needs, nothing else.
	local deps needed lib path owner bad=
	deps=$(tr ',' '\n' <"$TB_TMP/depends" | sed 's/^ *//; s/ .*//')
	dpkg-deb -x "$DEB" "$TB_TMP/x"
	needed=$(objdump -p "$TB_TMP/x/usr/sbin/$PKG" | awk '$1 == "NEEDED" { print $2 }')
	for lib in $needed; do
		path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|64bit|AArch64/ { print $NF; exit }')
		[[ -n $path ]] || path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
		owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n1 | cut -d: -f1)
		[[ -n $owner ]] || owner=$(dpkg -S "$path" 2>/dev/null | head -n1 | cut -d: -f1)
		grep -qx "$owner" <<<"$deps" || bad+=" $lib($owner)"
	done
	assert_eq "${bad:-none}" none "Depends names the package of every NEEDED library ($(wc -w <<<"$needed"))"
	# And of every library it opens with dlopen (user/dynlib.c).
	bad=
	for lib in $(make -s --no-print-directory -C "$TB_ROOT" print-dlopen); do
		grep -aqF "$lib" "$TB_TMP/x/usr/sbin/$PKG" || bad+=" $lib(not in the binary)"
		path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
		owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n1 | cut -d: -f1)
		grep -qx "$owner" <<<"$deps" || bad+=" $lib(${owner:-no package})"
	done
	assert_eq "${bad:-none}" none "Depends names the package of every library opened with dlopen"
	assert_eq "$(grep -Ec -- '-dev$|^(clang|llvm|gcc|make|pkg-config|bpftool|scdoc|dpkg-dev)$' <<<"$deps")" 0 \
		"no -dev package or build tool in Depends: $(tr '\n' ' ' <<<"$deps")"
	for lib in libbpf1 zlib1g libisal2 libmicrohttpd12 libgnutls30 libpcap0.8 libmnl0; do
		assert_eq "$(grep -cx "$lib" <<<"$deps")" 1 "Depends on $lib"
	done
}

case_lintian()
{
	command -v lintian >/dev/null || skip "'lintian' is not installed (make deps)"
	need_deb
	lintian "$DEB" >"$TB_TMP/lintian" 2>&1
	grep -v 'running with root privileges' "$TB_TMP/lintian" >"$TB_TMP/lintian.tags"
	assert_eq "$(grep -c '^[EW]:' "$TB_TMP/lintian.tags")" 0 \
		"lintian: no error or warning$(grep -m3 '^[EW]:' "$TB_TMP/lintian.tags" | sed 's/^/; /' | tr -d '\n')"
}

# The package must not land on top of another vnoffload-trace.
need_clean_machine()
{
	tb_need_root
	if dpkg-query -W -f '${Status}' "$PKG" 2>/dev/null | grep -q 'installed'; then
		skip "$PKG is installed on this machine already: not touching it"
	fi
	[[ ! -e /usr/sbin/$PKG ]] || skip "/usr/sbin/$PKG exists (not from a package): not touching it"
	[[ ! -e /etc/default/$PKG ]] || skip "/etc/default/$PKG exists: not touching it"
}

install_deb()
{
	need_deb
	need_clean_machine
	touch "$MINE"
	if command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			-o DPkg::Lock::Timeout=60 "$DEB" >"$TB_TMP/apt.out" 2>&1
	else
		dpkg -i "$DEB" >"$TB_TMP/apt.out" 2>&1
	fi || tb_fatal "installing $(basename "$DEB"): $(tail -c 600 "$TB_TMP/apt.out")"
	assert_eq "$(dpkg-query -W -f '${Status}' "$PKG")" "install ok installed" "apt-get install ./$(basename "$DEB")"
}

case_install()
{
	local out
	install_deb
	if out=$(/usr/sbin/$PKG --json doctor 2>&1) && jq -e '.hops.xmit' <<<"$out" >/dev/null; then
		tb_pass "/usr/sbin/$PKG doctor (xmit: $(jq -r '.hops.xmit' <<<"$out"))"
	else
		tb_fail "/usr/sbin/$PKG doctor: $(head -c 300 <<<"$out")"
	fi
	/usr/sbin/$PKG report "$TB_ROOT/tests/fixtures/capture-v2.pcapng" >"$TB_TMP/report.pkg" 2>&1
	assert_eq "$?" 0 "/usr/sbin/$PKG report capture-v2.pcapng: exit status"
	"$VNO_BIN" report "$TB_ROOT/tests/fixtures/capture-v2.pcapng" >"$TB_TMP/report.tree" 2>&1
	if cmp -s "$TB_TMP/report.pkg" "$TB_TMP/report.tree" && [[ -s $TB_TMP/report.pkg ]]; then
		tb_pass "the installed report says what the tree's says ($(wc -l <"$TB_TMP/report.pkg") lines)"
	else
		tb_fail "the installed report differs: $(diff "$TB_TMP/report.tree" "$TB_TMP/report.pkg" | head -c 400)"
	fi
	if command -v man >/dev/null; then
		assert_eq "$(man -w $PKG-export 2>/dev/null)" /usr/share/man/man8/$PKG-export.8.gz \
			"man finds $PKG-export(8)"
	fi
	if command -v tshark >/dev/null; then
		assert_eq "$(tshark -X lua_script:/usr/share/$PKG/vnoffload.lua \
			-r "$TB_ROOT/tests/fixtures/capture-v2.pcapng" -Y 'vno.block.kind == "session"' \
			-T fields -e frame.number 2>/dev/null)" 1 "the installed Wireshark dissector reads the session block"
	fi
	if command -v systemd-analyze >/dev/null; then
		if out=$(systemd-analyze verify /usr/lib/systemd/system/$PKG.service 2>&1); then
			tb_pass "systemd-analyze verify accepts the installed unit"
		else
			tb_fail "systemd-analyze verify: $(head -c 400 <<<"$out")"
		fi
	fi
}

case_remove()
{
	[[ -e $MINE ]] || install_deb
	echo 'VNO_EXPORT_ARGS="-i tap*"' >>/etc/default/$PKG
	dpkg --remove "$PKG" >"$TB_TMP/dpkg.out" 2>&1 || tb_fail "dpkg --remove: $(tail -c 300 "$TB_TMP/dpkg.out")"
	assert_eq "$(grep -c '^VNO_EXPORT_ARGS="-i tap\*"' /etc/default/$PKG 2>/dev/null)" 1 \
		"remove keeps the changed conffile"
	assert_eq "$(dpkg-query -W -f '${Status}' "$PKG")" "deinstall ok config-files" "removed, configuration kept"
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=60 "$PKG" \
		>"$TB_TMP/apt.out" 2>&1 || tb_fail "apt-get purge: $(tail -c 300 "$TB_TMP/apt.out")"
	rm -f "$MINE"
	assert_eq "$(dpkg-query -W -f '${Status}' "$PKG" 2>/dev/null)" "" "purged: dpkg knows no $PKG"
	local f left=
	while read -r f; do
		[[ -f $f || -L $f ]] && left+=" $f"
	done <"$TB_TMP/list"
	for f in /etc/default/$PKG /var/lib/$PKG /usr/share/$PKG /usr/share/doc/$PKG \
		/var/lib/systemd/deb-systemd-helper-enabled/$PKG.service.dsh-also \
		/var/lib/systemd/deb-systemd-helper-masked/$PKG.service; do
		[[ -e $f ]] && left+=" $f"
	done
	assert_eq "${left:-none}" none "purge leaves no file of the package"
}

tb_run_cases "build contents lintian install remove" "$@"
