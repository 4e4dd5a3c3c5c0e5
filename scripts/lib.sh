# SPDX-License-Identifier: GPL-2.0
# lib.sh - shared paths for luo's scripts; source it, don't run it.
#
# LUO_CACHE holds everything expensive that is not part of the checkout:
# the test kernel build (keyed by source version and config hash) and the
# unpacked stock kernel images.  Reruns on the same machine reuse it.

LUO_TOP=$(cd "$(dirname "$0")/.." && pwd)
# CI may run without HOME: fall back to the user's home from passwd.
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
LUO_CACHE=${LUO_CACHE:-${XDG_CACHE_HOME:-${home:-/tmp}/.cache}/luo}
export LUO_CACHE

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# The package version, written in one place: PACKAGE_VERSION in dkms.conf.
luo_version() {
	local v
	v=$(sed -n 's/^PACKAGE_VERSION="\([^"]*\)"$/\1/p' "$LUO_TOP/dkms.conf")
	[ -n "$v" ] || die "no PACKAGE_VERSION=\"...\" in dkms.conf"
	echo "$v"
}

# Where the test kernels of the installed linux-source-6.12 are built:
# the source, and one build per config key below it (test-kernel.sh).
luo_test_kernel_dir() {
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		return 1
	echo "$LUO_CACHE/kernel-$ver"
}

# What the build in that directory must match: a hash of what configures
# and builds it.  Changing the fragment or the build script rebuilds.
luo_test_kernel_key() {
	cat "$LUO_TOP/qemu/kernel.config" "$LUO_TOP/scripts/test-kernel.sh" |
		sha256sum | cut -c1-16
}
