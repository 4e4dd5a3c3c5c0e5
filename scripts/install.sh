#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install.sh WHAT - the install targets of the Makefile.
#
#   module KDIR  luo.ko for KDIR's kernel release (built first, as by
#                `make`) into /lib/modules/<release>/updates/, then depmod;
#                the udev rule into /lib/udev/rules.d/
#   headers      the UAPI headers as $PREFIX/include/linux/liveupdate{,_mem}.h
#   tools        libluo (static, shared, pkg-config file, luo.h) and luoctl
#                with its man page, built by scripts/build-tools.sh
#   dkms         the sources DKMS builds from, into
#                /usr/src/luo-<PACKAGE_VERSION of dkms.conf>/
#
# Environment: DESTDIR (staging root, default none), PREFIX (default
# /usr/local; for headers and tools), LIBDIR (default $PREFIX/lib, e.g.
# /usr/lib/x86_64-linux-gnu with PREFIX=/usr).
#
# depmod runs only where the kernel is installed in the target root (its
# modules.order under lib/modules/<release>) and a System.map for it is
# found (KDIR/System.map or <root>/boot/System.map-<release>); otherwise it
# is skipped with a note.  A staging DESTDIR must not ship a modules.dep
# that lists luo alone: the package's (or the kernel's) postinst runs it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:?usage: install.sh module KDIR|headers|tools|dkms}
destdir=${DESTDIR:-}
prefix=${PREFIX:-/usr/local}
libdir=${LIBDIR:-$prefix/lib}

say() { echo "  INSTALL $1"; }

install_module() {
	local kdir=$1 rel mods map=""
	"$LUO_TOP/scripts/build-module.sh" "$kdir"
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$kdir/include/generated/utsrelease.h")
	mods=$destdir/lib/modules/$rel
	install -D -m 644 "$LUO_TOP/build/$rel/luo.ko" "$mods/updates/luo.ko"
	say "$mods/updates/luo.ko"
	install -D -m 644 "$LUO_TOP/udev/60-liveupdate.rules" \
		"$destdir/lib/udev/rules.d/60-liveupdate.rules"
	say "$destdir/lib/udev/rules.d/60-liveupdate.rules"

	if [ -f "$kdir/System.map" ]; then
		map=$kdir/System.map
	elif [ -f "$destdir/boot/System.map-$rel" ]; then
		map=$destdir/boot/System.map-$rel
	fi
	if [ ! -f "$mods/modules.order" ]; then
		echo "install: kernel $rel is not installed under" \
		     "${destdir:-/}, skipping depmod (run \`depmod -a $rel\`" \
		     "where it is)"
	elif [ -z "$map" ]; then
		echo "install: no System.map for $rel, skipping depmod" \
		     "(run \`depmod -a $rel\`)"
	else
		depmod -a ${destdir:+-b "$destdir"} -F "$map" "$rel"
		echo "  DEPMOD  $rel${destdir:+ (in $destdir)}"
	fi
}

install_headers() {
	local h
	for h in liveupdate.h liveupdate_mem.h; do
		install -D -m 644 "$LUO_TOP/include/uapi/linux/$h" \
			"$destdir$prefix/include/linux/$h"
		say "$destdir$prefix/include/linux/$h"
	done
}

install_tools() {
	local out=$LUO_TOP/build/tools f
	PREFIX=$prefix "$LUO_TOP/scripts/build-tools.sh"
	for f in "$out/libluo.a" "$out/libluo.so.1" "$out/libluo.pc" \
		"$out/luoctl" "$LUO_TOP/tools/luoctl/luoctl.8"; do
		[ -f "$f" ] || die "${f#"$LUO_TOP"/} is missing" \
			"(scripts/build-tools.sh builds build/tools/*;" \
			"luoctl needs tools/luoctl/)"
	done
	install -D -m 644 "$out/libluo.a" "$destdir$libdir/libluo.a"
	install -D -m 755 "$out/libluo.so.1" "$destdir$libdir/libluo.so.1"
	ln -sfn libluo.so.1 "$destdir$libdir/libluo.so"
	install -D -m 644 "$LUO_TOP/tools/libluo/luo.h" \
		"$destdir$prefix/include/luo.h"
	# The .pc says libdir=${prefix}/lib; point it at LIBDIR if moved.
	mkdir -p "$destdir$libdir/pkgconfig"
	if [ "$libdir" = "$prefix/lib" ]; then
		install -m 644 "$out/libluo.pc" "$destdir$libdir/pkgconfig/"
	else
		sed "s|^libdir=.*|libdir=$libdir|" "$out/libluo.pc" \
			> "$destdir$libdir/pkgconfig/libluo.pc"
		chmod 644 "$destdir$libdir/pkgconfig/libluo.pc"
	fi
	install -D -m 755 "$out/luoctl" "$destdir$prefix/sbin/luoctl"
	install -D -m 644 "$LUO_TOP/tools/luoctl/luoctl.8" \
		"$destdir$prefix/share/man/man8/luoctl.8"
	# A QEMU guest's live update, and a guest to try it with.
	install -D -m 755 "$LUO_TOP/tools/luo-qemu" \
		"$destdir$prefix/sbin/luo-qemu"
	install -D -m 644 "$LUO_TOP/tools/luo-qemu.8" \
		"$destdir$prefix/share/man/man8/luo-qemu.8"
	install -D -m 644 "$out/luo-guest.elf" \
		"$destdir$prefix/lib/luo/luo-guest.elf"
	for f in "$libdir/libluo.a" "$libdir/libluo.so.1" "$libdir/libluo.so" \
		"$prefix/include/luo.h" "$libdir/pkgconfig/libluo.pc" \
		"$prefix/sbin/luoctl" "$prefix/share/man/man8/luoctl.8" \
		"$prefix/sbin/luo-qemu" "$prefix/share/man/man8/luo-qemu.8" \
		"$prefix/lib/luo/luo-guest.elf"; do
		say "$destdir$f"
	done
	if [ -z "$destdir" ] && [ "$(id -u)" -eq 0 ]; then
		ldconfig
	fi
}

install_dkms() {
	local ver dest
	ver=$(luo_version)
	dest=$destdir/usr/src/luo-$ver
	mkdir -p "$dest"
	# What Kbuild compiles for luo.ko: no kunit/, tests, tools, docs, and
	# no build products.  --delete drops files a previous version had.
	rsync -a --delete --no-owner --no-group --chmod=D755,F644 \
		--exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		--exclude '*.mod' --exclude '*.mod.c' --exclude modules.order \
		--exclude 'Module.symvers' --exclude '.clang-format' \
		--include '/Kbuild' --include '/dkms.conf' \
		--include '/luo/***' --include '/include/***' --exclude '*' \
		"$LUO_TOP/" "$dest/"
	say "$dest"
	if [ -z "$destdir" ]; then
		echo "install: now \`dkms install luo/$ver\` builds and" \
		     "installs it for the running kernel"
	fi
}

case "$what" in
module)		install_module "${2:?usage: install.sh module KDIR}" ;;
headers)	install_headers ;;
tools)		install_tools ;;
dkms)		install_dkms ;;
*)		die "unknown target '$what' (module, headers, tools, dkms)" ;;
esac
