#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# `make deb`: builds OUTDIR/vnoffload-trace_VERSION_ARCH.deb with dpkg's own
# tools. The files are what `make install DESTDIR=… PREFIX=/usr` installs
# (the unit then runs /usr/sbin/vnoffload-trace), but the binary is built
# again, in OUTDIR/deb-build (kept: the next run only relinks what changed),
# with Debian's hardening flags (dpkg-buildflags, hardening=+all: fortified
# functions, stack protector, full RELRO and BIND_NOW), which the Makefile's
# own link line does not take. Then, as debhelper would: the binary
# stripped, man pages and changelog compressed, copyright, /etc/default as a
# conffile, the maintainer scripts of packaging/deb/, Depends from
# dpkg-shlibdeps over the binary, md5sums.
#
#   packaging/deb/build-deb.sh OUTDIR VERSION
set -euo pipefail

out=$(realpath -m "$1") version=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pkg=vnoffload-trace
arch=$(dpkg --print-architecture)
work=$out/deb
root=$work/root
deb=$out/${pkg}_${version}_$arch.deb

for t in dpkg-deb dpkg-shlibdeps dpkg-gencontrol; do
	command -v "$t" >/dev/null || { echo "$t is missing (make deps: dpkg-dev)" >&2; exit 1; }
done
# Files dpkg-shlibdeps and dpkg-gencontrol read from the package's "source".
rm -rf "$work"
mkdir -p "$work/debian" "$root/DEBIAN"
umask 022
# debian/control and debian/copyright without the header comment of our copies.
grep -v '^#' "$here/control" >"$work/debian/control"

"${MAKE:-make}" -s -C "$top" install DESTDIR="$root" PREFIX=/usr >"$work/install.log" ||
	{ cat "$work/install.log" >&2; exit 1; }
# The Makefile appends its own flags to CFLAGS from the environment; its
# compile and link lines read no CPPFLAGS or LDFLAGS, so they go in CFLAGS.
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
CFLAGS="$CFLAGS $CPPFLAGS $LDFLAGS" "${MAKE:-make}" -s -C "$top" OUTPUT="$out/deb-build" msg= \
	"$out/deb-build/$pkg" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
if [[ -s $work/build.log ]]; then
	cat "$work/build.log" >&2
fi
install -m 0755 "$out/deb-build/$pkg" "$root/usr/sbin/$pkg"

# What dh_strip, dh_installman, dh_installchangelogs and dh_installdocs do.
strip --remove-section=.comment --remove-section=.note "$root/usr/sbin/$pkg"
gzip -9n "$root"/usr/share/man/man8/*.8
doc=$root/usr/share/doc/$pkg
install -d "$doc"
grep -v '^#' "$here/copyright" >"$doc/copyright"
chmod 0644 "$doc/copyright"
# The changelog of a native package: one entry for this version, dated by
# the last commit (the same tree gives the same package).
when=$(git -C "$top" log -1 --format=%cD 2>/dev/null || date -R)
{
	printf '%s (%s) unstable; urgency=medium\n\n' "$pkg" "$version"
	printf '  * vnoffload-trace %s.\n\n' "$version"
	printf ' -- %s  %s\n' "$(sed -n 's/^Maintainer: //p' "$work/debian/control")" "$when"
} >"$work/debian/changelog"
gzip -9n <"$work/debian/changelog" >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Every file under /etc is the admin's: dpkg keeps their changes.
(cd "$root" && find etc -type f -printf '/%p\n' | sort) >"$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$root/DEBIAN/$s"
done
# Overrides, with the comment that justifies each, when there are any.
if grep -qv '^#' "$here/lintian-overrides"; then
	install -d "$root/usr/share/lintian/overrides"
	grep -v '^# SPDX' "$here/lintian-overrides" >"$root/usr/share/lintian/overrides/$pkg"
	chmod 0644 "$root/usr/share/lintian/overrides/$pkg"
fi

(
	cd "$work"
	dpkg-shlibdeps -Tdebian/substvars "$root/usr/sbin/$pkg"
	# What the binary opens with dlopen (user/dynlib.c) is no NEEDED entry
	# dpkg-shlibdeps could see: the package of each, at the version built
	# against.
	dl=
	for so in $("${MAKE:-make}" -s -C "$top" print-dlopen); do
		# Neither awk nor the owner lookup stops reading early: under
		# pipefail a writer cut off by a closed pipe fails the build
		# (SIGPIPE, status 141), and whether it is cut off depends on timing.
		path=$(ldconfig -p | awk -v l="$so" '$1 == l && p == "" { p = $NF } END { print p }')
		owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | awk -F: 'NR == 1 { print $1 }')
		[[ -n $owner ]] || { echo "no package holds $so ($path)" >&2; exit 1; }
		ver=$(dpkg-query -W -f='${Version}' "$owner")
		dl+="${dl:+, }$owner (>= ${ver%%-*})"
	done
	echo "dlopen:Depends=$dl" >>debian/substvars
	dpkg-gencontrol -p"$pkg" -v"$version" -ldebian/changelog -cdebian/control \
		-Tdebian/substvars -P"$root" -fdebian/files
)
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/conffiles" "$root/DEBIAN/control"

dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
