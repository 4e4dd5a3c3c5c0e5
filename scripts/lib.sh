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

# debian_payload STAGE [FILE...] - a new directory for qemu/run-debian
# --payload: luo's .debs (built by deb.sh), STAGE as stage.sh, the stage
# helpers (tests/debian/lib.sh), the user's guide and each FILE.  Prints
# its path; the caller removes it (and writes its params file).
debian_payload() {
	local stage=$1 dir p ver
	shift
	ver=$(luo_version) || return 1
	dir=$(mktemp -d "${TMPDIR:-/tmp}/luo-payload.XXXXXX") || return 1
	if ! mkdir "$dir/debs"; then
		rm -rf "$dir"
		return 1
	fi
	for p in luo-dkms luoctl libluo1 libluo-dev; do
		if ! cp "$LUO_TOP"/build/deb/"${p}_${ver}"_*.deb "$dir/debs/"; then
			rm -rf "$dir"
			return 1
		fi
	done
	if ! cp "$stage" "$dir/stage.sh" ||
		! cp "$LUO_TOP/tests/debian/lib.sh" \
			"$LUO_TOP/docs/user-guide.md" "$@" "$dir/"; then
		rm -rf "$dir"
		return 1
	fi
	echo "$dir"
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
