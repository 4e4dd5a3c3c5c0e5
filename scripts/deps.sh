#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install the Debian packages luo's build and tests need.
#
# Usage: scripts/deps.sh [base|stock|lint|dkms|deb|all]
#
# Idempotent: only packages that are missing are installed, so a warm
# machine pays one dpkg query.  Needs root (or sudo) for the install step.
set -eu

base="build-essential g++ bc bison flex libelf-dev libssl-dev cpio zstd xz-utils
kmod dwarves python3 qemu-system-x86 qemu-utils busybox-static kexec-tools
linux-source-6.12 googletest libgtest-dev cmake rsync file gcc-multilib
clang libclang-rt-14-dev"
lint="clang-format sparse perl groff-base cloc universal-ctags"
stock="linux-headers-6.12-amd64 linux-headers-amd64"
dkms="dkms"
# make deb, lintian, the Debian test VM's root file system (scripts/rootfs.sh)
deb="debhelper dh-dkms lintian debootstrap e2fsprogs fakeroot"

want=""
for set in "${@:-base}"; do
	case "$set" in
	base)	want="$want $base" ;;
	lint)	want="$want $lint" ;;
	stock)	want="$want $stock" ;;
	dkms)	want="$want $dkms" ;;
	deb)	want="$want $deb" ;;
	all)	want="$want $base $lint $stock $dkms $deb" ;;
	*)	echo "deps.sh: unknown set '$set'" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
