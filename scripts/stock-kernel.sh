#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stock-kernel.sh 6.12|6.1 - fetch Debian's stock kernel of that series.
#
# The headers are installed as packages (linux-headers-6.12-amd64 and
# linux-headers-amd64, Debian 12's 6.1); the image is downloaded and only
# unpacked (dpkg -x) into $LUO_CACHE/stock/<release>/, never installed.
# Prints two lines: the path of the vmlinuz, and the headers' KDIR.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: stock-kernel.sh 6.12|6.1}
case "$series" in
6.12)	meta=linux-headers-6.12-amd64 ;;
6.1)	meta=linux-headers-amd64 ;;
*)	die "unknown series '$series' (want 6.12 or 6.1)" ;;
esac

"$LUO_TOP/scripts/deps.sh" stock
hdr=$(apt-cache depends --important "$meta" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-headers-.*-amd64\)$/\1/p' | head -n1)
[ -n "$hdr" ] || die "cannot resolve $meta to a headers package"
rel=${hdr#linux-headers-}
kdir=/usr/src/linux-headers-$rel
if [ ! -f "$kdir/Makefile" ]; then
	"$LUO_TOP/scripts/deps.sh" stock
	apt-get install -y -qq --no-install-recommends "$hdr" >&2
fi

dir=$LUO_CACHE/stock/$rel
vmlinuz=$dir/boot/vmlinuz-$rel
if [ ! -f "$vmlinuz" ]; then
	echo "stock-kernel: fetching linux-image-$rel-unsigned" >&2
	tmp=$(mktemp -d)
	chmod 755 "$tmp"	# apt downloads as _apt
	(cd "$tmp" && apt-get download "linux-image-$rel-unsigned" >&2)
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg -x "$tmp"/linux-image-*.deb "$dir"
	rm -rf "$tmp"
fi
[ -f "$vmlinuz" ] || die "no $vmlinuz in the image package"
echo "$vmlinuz"
echo "$kdir"
