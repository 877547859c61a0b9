#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Get the guest kernel for the VM test bed: Debian 12's packaged 6.1 kernel
# (the package linux-image-amd64 depends on), from Debian's repositories with
# `apt-get download`, unpacked with `dpkg -x`. Only vmlinuz and the modules
# the guest needs (with their dependencies, from each module's .modinfo) are
# kept, in load order:
#
#   $VNO_VM_DIR/kernel/vmlinuz
#   $VNO_VM_DIR/kernel/version          e.g. 6.1.0-56-amd64
#   $VNO_VM_DIR/kernel/package          e.g. linux-image-6.1.0-56-amd64 6.1.192-2
#   $VNO_VM_DIR/kernel/modules/*.ko     uncompressed
#   $VNO_VM_DIR/kernel/modules.order    one file name a line, dependencies first
#
# Idempotent: a complete cache is reused without asking apt anything, so the
# test bed also works offline once fetched. VNO_VM_REFRESH=1 fetches anew;
# VNO_VM_KPKG=linux-image-6.1.0-NN-amd64 picks a package by name.
#
# VNO_VM_SUITE=bullseye (or bookworm-backports, …) takes the kernel from
# another suite of Debian's archive: apt then runs with a sources list and
# state of its own under $VNO_VM_APT (default .output/vm/apt/SUITE), from the
# archive the machine's own sources name, and the machine's apt state is not
# touched. Without it, the machine's own suites (bookworm's 6.1).
#
# Exit status: 0 ready, 77 the kernel cannot be had (reason on stderr as
# "SKIP: ..."), anything else a bug here.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VM_DIR=${VNO_VM_DIR:-$ROOT/.output/vm}
KDIR=$VM_DIR/kernel

# What the guest loads, in an order that satisfies its own needs; each one's
# dependencies are pulled in ahead of it. virtio_pci is no dependency of
# virtio_net but is what finds the PCI device; tun and bridge give the
# driver hooks their module BTF in the guest. veth, geneve and ip_gre
# (gretap) make the overlay scene: tunnels the development kernel lacks.
WANT=(virtio_pci virtio_net e1000e tun bridge veth geneve ip_gre)

say() { printf 'fetch-kernel: %s\n' "$*" >&2; }
skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

complete_cache()
{
	[[ -s $KDIR/vmlinuz && -s $KDIR/version && -s $KDIR/modules.order ]] || return 1
	local m
	while read -r m; do
		[[ -s $KDIR/modules/$m ]] || return 1
	done <"$KDIR/modules.order"
	# A cache made before a module joined WANT is not complete.
	for m in "${WANT[@]}"; do
		grep -qx "$m.ko" "$KDIR/modules.order" || grep -qx "$m" "$KDIR/builtin" 2>/dev/null ||
			return 1
	done
}

if [[ -z ${VNO_VM_REFRESH:-} ]] && complete_cache; then
	say "cached: $(cat "$KDIR/package") in ${KDIR#"$ROOT"/}"
	exit 0
fi

command -v apt-get >/dev/null || skip "no apt-get: cannot download Debian's kernel package"
command -v dpkg >/dev/null || skip "no dpkg: cannot unpack Debian's kernel package"

# apt-get / apt-cache with the suite's private lists, or the machine's own.
APT_OPTS=()
SUITE=${VNO_VM_SUITE:-}
if [[ -n $SUITE ]]; then
	[[ $SUITE =~ ^[a-z][a-z0-9-]*$ ]] || skip "VNO_VM_SUITE=$SUITE is not a suite name"
	APT_DIR=${VNO_VM_APT:-$ROOT/.output/vm/apt/$SUITE}
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	# The archive the machine already uses for Debian (deb822 or one-line
	# sources), so no other host is ever asked.
	mirror=$(sed -n 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)\/*$/\1/p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 1p)
	[[ -n $mirror ]] || mirror=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(http[^[:space:]]*\/debian\)\/*[[:space:]].*/\2/p' \
		/etc/apt/sources.list 2>/dev/null | sed -n 1p)
	mirror=${mirror:-http://deb.debian.org/debian}
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$SUITE" >"$APT_DIR/sources.list"
	APT_OPTS=(-o "Dir::Etc::sourcelist=$APT_DIR/sources.list" -o Dir::Etc::sourceparts=/dev/null
		-o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache=$APT_DIR/cache"
		-o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
fi
apt_get() { apt-get "${APT_OPTS[@]}" "$@"; }
apt_cache() { apt-cache "${APT_OPTS[@]}" "$@"; }

# The package that linux-image-amd64 points at today, e.g.
# linux-image-6.1.0-56-amd64 (signed; the -unsigned one boots the same).
# In a suite, the newest linux-image-amd64 there (a suite's lists can hold
# several versions of it, e.g. bookworm-backports).
kernel_pkg()
{
	local v
	if [[ -n $SUITE ]]; then
		v=$(apt_cache madison linux-image-amd64 2>/dev/null | awk -F'|' '{ gsub(/[[:space:]]/, "", $2); print $2 }' |
			sort -V | tail -n 1)
		[[ -n $v ]] || return 0
		v="=$v"
	fi
	apt_cache depends "linux-image-amd64${v:-}" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ && p == "" { p = $2 } END { if (p != "") print p }'
}

if [[ -n $SUITE ]]; then
	say "apt-get update for $SUITE (private lists in ${APT_DIR#"$ROOT"/})"
	apt_get update -q >&2 || skip "apt-get update of suite $SUITE from $mirror failed"
fi
pkg=${VNO_VM_KPKG:-$(kernel_pkg)}
if [[ -z $pkg && -z $SUITE ]]; then
	say "apt knows no linux-image-amd64 yet: apt-get update"
	apt-get update -q >&2 || skip "apt-get update failed: no package lists to find the kernel in"
	pkg=$(kernel_pkg)
fi
[[ -n $pkg ]] || skip "apt-cache finds no linux-image-*-amd64 that linux-image-amd64 depends on${SUITE:+ in $SUITE}"

work=$(mktemp -d "${TMPDIR:-/tmp}/vno-kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

say "apt-get download $pkg"
if ! (cd "$work" && apt_get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
	# Stale lists name a version the mirror no longer has: refresh once.
	say "download failed; apt-get update and retry"
	apt_get update -q >&2 || true
	pkg=${VNO_VM_KPKG:-$(kernel_pkg)}
	(cd "$work" && apt_get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
		skip "apt-get download $pkg failed"
fi
deb=$(ls "$work"/*.deb)
debver=$(dpkg-deb -f "$deb" Version)

say "dpkg -x $(basename "$deb")"
dpkg -x "$deb" "$work/x"
vmlinuz=$(ls "$work"/x/boot/vmlinuz-* 2>/dev/null | head -n 1)
[[ -n $vmlinuz ]] || { say "no boot/vmlinuz-* in $pkg"; exit 1; }
kver=${vmlinuz##*/vmlinuz-}
mroot=$work/x/lib/modules/$kver/kernel
[[ -d $mroot ]] || { say "no lib/modules/$kver in $pkg"; exit 1; }

# Module name (dashes as underscores) -> path, for every module shipped.
declare -A path_of=()
while IFS= read -r -d '' f; do
	n=${f##*/}
	n=${n%%.ko*}
	path_of[${n//-/_}]=$f
done < <(find "$mroot" -name '*.ko*' -print0)

# Modules built into the kernel image (modules.builtin: kernel/…/NAME.ko).
declare -A builtin=()
if [[ -r $mroot/../modules.builtin ]]; then
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		builtin[${n//-/_}]=1
	done <"$mroot/../modules.builtin"
fi

# Decompress a module to the cache, whatever Debian compressed it with.
unpack_module()
{
	local src=$1 dst=$2
	case $src in
	*.ko) cp "$src" "$dst" ;;
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) say "unknown module compression: $src"; return 1 ;;
	esac
}

# depends= from the module's .modinfo (NUL-separated key=value strings).
module_deps()
{
	local f=$1
	tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

rm -rf "$KDIR.new"
mkdir -p "$KDIR.new/modules"
declare -A placed=() visiting=()
order=() builtins=()

# Depth first: a module's dependencies go into the order before it.
place()
{
	local n=${1//-/_} d dst
	[[ -n ${placed[$n]:-} ]] && return 0
	[[ -n ${visiting[$n]:-} ]] && { say "dependency cycle at $n"; return 1; }
	if [[ -z ${path_of[$n]:-} ]]; then
		# Built into this kernel (6.12's virtio_pci): nothing to load.
		if [[ -n ${builtin[$n]:-} ]]; then
			say "$n is built into $kver"
			placed[$n]=1
			builtins+=("$n")
			return 0
		fi
		say "$pkg ships no module $n"
		return 1
	fi
	visiting[$n]=1
	dst=$KDIR.new/modules/$n.ko
	unpack_module "${path_of[$n]}" "$dst"
	for d in $(module_deps "$dst"); do
		place "$d"
	done
	placed[$n]=1
	order+=("$n.ko")
}

for m in "${WANT[@]}"; do
	place "$m"
done

cp "$vmlinuz" "$KDIR.new/vmlinuz"
cp "$work/x/boot/config-$kver" "$KDIR.new/config" 2>/dev/null || true
printf '%s\n' "$kver" >"$KDIR.new/version"
printf '%s %s\n' "$pkg" "$debver" >"$KDIR.new/package"
printf '%s\n' "${order[@]}" >"$KDIR.new/modules.order"
printf '%s\n' "${builtins[@]}" >"$KDIR.new/builtin"

rm -rf "$KDIR"
mv "$KDIR.new" "$KDIR"
say "kernel $kver ($pkg $debver): ${order[*]%.ko}"
