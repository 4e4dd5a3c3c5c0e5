#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb.sh - `make deb`: luo's Debian packages, with debhelper and dh-dkms
# as Debian packages its own DKMS modules (v4l2loopback-dkms):
#
#   luo-dkms     (all) the module's sources for DKMS, dkms.conf, the udev
#                rule, example modprobe.d and modules-load.d files
#   luoctl       luoctl and luoctl(8); luo-qemu, luo-qemu(8) and the test
#                guest luo-guest.elf
#   libluo1      libluo.so.1
#   libluo-dev   luo.h, libluo.a, libluo.so, libluo.pc
#
# The version is dkms.conf's PACKAGE_VERSION (a native package: no Debian
# revision): debian/changelog is written from it into a copy of the tree
# (build/deb/luo-VERSION/, the files git knows plus new ones not
# ignored), where dpkg-buildpackage runs, so the checkout stays clean.
# The .debs and .changes land in build/deb/.
#
#   scripts/deb.sh            build
#   scripts/deb.sh --lintian  build, then run lintian on the .changes: the
#                             `deb` layer of `make check` (lintian's
#                             output in build/results/deb-lintian.log;
#                             any E: line fails)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"

"$LUO_TOP/scripts/deps.sh" base deb

ver=$(luo_version)
out=$LUO_TOP/build/deb
src=$out/luo-$ver
rm -rf "$out"
mkdir -p "$src"
(cd "$LUO_TOP" && git ls-files -co --exclude-standard -z |
	xargs -0 -I{} sh -c '[ -e "{}" ] && echo "{}"' |
	rsync -a --files-from=- . "$src/")
rm -rf "$src/build"
# Debian wants a date and a maintainer: the last commit's, so a rebuild
# of the same tree gives the same packages.
date=$(git -C "$LUO_TOP" log -1 --format=%aD 2> /dev/null || date -R)
maint=$(sed -n 's/^Maintainer: //p' "$src/debian/control")
cat > "$src/debian/changelog" <<CL
luo ($ver) unstable; urgency=medium

  * Release $ver (version from dkms.conf's PACKAGE_VERSION).

 -- $maint  $date
CL
(cd "$src" && dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	die "dpkg-buildpackage failed; see $out/build.log"
}
ls "$out"/*.deb

if [ "${1:-}" = --lintian ]; then
	log=$RESULTS_DIR/deb-lintian.log
	mkdir -p "$RESULTS_DIR"
	changes=$(ls "$out"/luo_"$ver"_*.changes)
	lintian -I "$changes" > "$log" 2>&1 || true
	p=0 f=0
	for deb in luo-dkms luoctl libluo1 libluo-dev; do
		if ! ls "$out/${deb}_${ver}_"*.deb > /dev/null 2>&1; then
			echo "not ok - $deb: no package"
			f=$((f + 1))
		elif grep -q "^E: $deb" "$log"; then
			echo "not ok - lintian: $deb: $(grep "^E: $deb" "$log" |
				head -n 3 | tr '\n' ' ')"
			f=$((f + 1))
		else
			echo "ok - lintian: $deb ($(grep -c "^[WI]: $deb" "$log") warning(s)/info(s))"
			p=$((p + 1))
		fi
	done
	if grep -q '^E: ' "$log" && [ "$f" = 0 ]; then
		echo "not ok - lintian: $(grep '^E: ' "$log" | head -n 1)"
		f=$((f + 1))
	fi
	sed 's/^/  lintian: /' "$log"
	record deb "$p" "$f"
	[ "$f" -eq 0 ]
fi
