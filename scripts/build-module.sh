#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KDIR - build luo.ko (and luo_kunit.ko) against KDIR.
#
# Sources are mirrored into build/<kernelrelease>/ and built there with
# `make -C KDIR M=...`, so objects for different kernels never mix.  The
# build fails on any compiler, objtool or modpost warning, and on a weak
# undefined symbol in a .ko (a C++ construct that silently needs a
# runtime the kernel does not have).  Prints nothing on success but
# Kbuild's own lines; the directory holding the .ko files is
# build/<kernelrelease>/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top=$LUO_TOP
kdir=${1:?usage: build-module.sh KDIR}

[ -f "$kdir/Makefile" ] || {
	echo "build-module: $kdir is not a kernel build tree" \
	     "(install linux-headers-<version> or run scripts/test-kernel.sh)" >&2
	exit 1
}
# The release the kernel reports (uname -r), which is what vermagic holds.
rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$kdir/include/generated/utsrelease.h")
[ -n "$rel" ] || { echo "build-module: no UTS_RELEASE in $kdir" >&2; exit 1; }
out="$top/build/$rel"
mkdir -p "$out"
# Two builds for the same kernel at once would mix their objects.
exec 9> "$out/.lock"
flock 9
# The package version (dkms.conf) and, in a checkout, the commit.
version=$(luo_version)
if git=$(cd "$top" && git describe --always --dirty 2>/dev/null); then
	version+="+$git"
fi
# Build products are excluded, so --delete leaves them alone.
rsync -a --delete \
	--exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' --exclude '*.mod' \
	--exclude '*.mod.c' --exclude 'modules.order' --exclude 'Module.symvers' \
	--include '/Kbuild' --include '/luo/***' --include '/include/***' \
	--include '/kunit/***' --exclude '*' \
	"$top/" "$out/"

log="$out/build.log"
set +e
make -C "$kdir" M="$out" LUO_VERSION="$version" modules 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || exit "$rc"
if grep -Eiq 'warning' "$log"; then
	echo "build-module: the build printed warnings (treated as errors):" >&2
	grep -Ei 'warning' "$log" >&2
	exit 1
fi
for ko in "$out"/*.ko; do
	weak=$(nm "$ko" | awk '$1 ~ /^[wv]$/ {print $2}')
	if [ -n "$weak" ]; then
		echo "build-module: $(basename "$ko") has weak undefined symbols" \
		     "(a C++ runtime dependency?): $weak" >&2
		exit 1
	fi
done
cp "$out"/*.ko "$top/"
