#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Build the VM test bed's initramfs (cpio newc, gzip):
#
#   /init                      tests/vm/guest-init.sh
#   /bin/busybox + applets     Debian's busybox-static
#   /usr/bin/vnoffload-trace   the repository's binary, as built
#   /usr/bin/iperf3, ethtool   the host's, for real TCP and offload checks
#   /usr/sbin/bpftool          the host's, to count BPF programs left behind
#   /usr/sbin/ip-full          the host's iproute2 ip (geneve, gretap, netns)
#   /usr/bin/vno-guest         the stand-in guest (tests/tools/vno-guest.c)
#   their shared libraries     at the paths ldd names, with the dynamic loader,
#                              and those the tool opens with dlopen
#   /lib/modules/VER/          the modules fetch-kernel.sh kept, and
#                              modules.order (load order)
#
# Output: $VNO_VM_DIR/initramfs.cpio.gz (default .output/vm). Rebuilt every
# time (a few seconds): the tool binary changes with every build.
#
# Exit status: 0 built, 77 something it needs cannot be had ("SKIP: ..."),
# 1 anything else.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VM_DIR=${VNO_VM_DIR:-$ROOT/.output/vm}
KDIR=$VM_DIR/kernel
OUT=$VM_DIR/initramfs.cpio.gz
VNO_BIN=${VNO_BIN:-$ROOT/vnoffload-trace}
BUSYBOX=${VNO_BUSYBOX:-/bin/busybox}

say() { printf 'build-initramfs: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}
skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

[[ -x $VNO_BIN ]] || die "$VNO_BIN is not built (make)"
[[ -s $KDIR/vmlinuz && -s $KDIR/modules.order ]] ||
	die "no kernel in ${KDIR#"$ROOT"/}: run tests/vm/fetch-kernel.sh first"
[[ -x $BUSYBOX ]] || skip "no $BUSYBOX: install busybox-static (make deps)"
# The guest has no libc of its own for busybox: it must be the static one.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	skip "$BUSYBOX is linked dynamically: install busybox-static (make deps)"
fi
command -v iperf3 >/dev/null || die "iperf3 is not installed (make deps): the guest sends TCP with it"

kver=$(cat "$KDIR/version")
stage=$(mktemp -d "${TMPDIR:-/tmp}/vno-initramfs.XXXXXX")
tmp_out=
trap 'rm -rf "$stage" ${tmp_out:+"$tmp_out"}' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,lib/modules/"$kver"}

# busybox and its applets, at the paths busybox itself names.
cp "$BUSYBOX" "$stage/bin/busybox"
while read -r applet; do
	[[ -n $applet && $applet != bin/busybox ]] || continue
	mkdir -p "$stage/$(dirname "$applet")"
	[[ -e $stage/$applet ]] || ln -s /bin/busybox "$stage/$applet"
done < <("$BUSYBOX" --list-full)

# A dynamically linked program with everything ldd says it loads, each
# library as a file at the path ldd printed (the guest has no /usr merge to
# follow symlinks into).
copied_libs=()
add_program()
{
	local src=$1 dst=$2 lib
	mkdir -p "$stage/$(dirname "$dst")"
	cp -L "$src" "$stage/$dst"
	while read -r lib; do
		[[ -n $lib ]] || continue
		if [[ ! -e $stage/$lib ]]; then
			mkdir -p "$stage/$(dirname "$lib")"
			cp -L "$lib" "$stage/$lib"
			copied_libs+=("$lib")
		fi
	done < <(ldd "$src" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }')
}

add_program "$VNO_BIN" /usr/bin/vnoffload-trace
# And the libraries it opens with dlopen (user/dynlib.c: export's HTTP
# server), which ldd does not list, with theirs.
for so in $(make -s -C "$ROOT" print-dlopen); do
	# awk reads to the end: under pipefail, ldconfig cut off by a closed
	# pipe would fail the script (status 141) on a timing accident.
	lib=$(ldconfig -p | awk -v l="$so" '$1 == l && /x86-64|64bit|AArch64/ && p == "" { p = $NF } END { print p }')
	[[ -n $lib ]] || die "$so (the binary opens it) is not installed here"
	[[ -e $stage/$lib ]] || add_program "$lib" "$lib"
done
add_program "$(command -v iperf3)" /usr/bin/iperf3
if command -v ethtool >/dev/null; then
	add_program "$(command -v ethtool)" /usr/sbin/ethtool
else
	say "no ethtool on this machine: the guest reads TSO state from doctor only"
fi

# The overlay scene: iproute2's ip (busybox's makes no geneve or gretap)
# and the stand-in guest that writes super-frames into a tap.
IP_FULL=$(command -v ip || true)
[[ -n $IP_FULL ]] || die "no iproute2 ip on this machine (make deps)"
add_program "$IP_FULL" /usr/sbin/ip-full
VNO_GUEST=${VNO_GUEST:-$ROOT/.output/tools/vno-guest}
[[ -x $VNO_GUEST ]] || die "$VNO_GUEST is not built (make)"
add_program "$VNO_GUEST" /usr/bin/vno-guest

# bpftool: the guest's own count of BPF programs left after the tool exits.
if command -v bpftool >/dev/null; then
	add_program "$(command -v bpftool)" /usr/sbin/bpftool
else
	say "no bpftool on this machine: the guest cannot count programs left behind"
fi

# Modules, uncompressed, with the order the guest loads them in.
cp "$KDIR"/modules/*.ko "$stage/lib/modules/$kver/"
cp "$KDIR/modules.order" "$stage/lib/modules/$kver/modules.order"

install -m 0755 "$ROOT/tests/vm/guest-init.sh" "$stage/init"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"

# GNU cpio where installed, busybox's otherwise: both write newc.
if command -v cpio >/dev/null; then
	cpio_o=(cpio --quiet -o -H newc -R 0:0)
else
	cpio_o=("$BUSYBOX" cpio -o -H newc -R 0:0)
fi
mkdir -p "$VM_DIR"
tmp_out=$(mktemp "$OUT.XXXXXX")
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "${cpio_o[@]}") | gzip -1 >"$tmp_out"
chmod 644 "$tmp_out"
mv "$tmp_out" "$OUT"
say "$(du -h "$OUT" | cut -f1) ${OUT#"$ROOT"/} (kernel $kver, ${#copied_libs[@]} libraries)"
