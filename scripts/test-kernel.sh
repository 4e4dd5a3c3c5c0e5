#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# test-kernel.sh - build (once) and print the luo test kernel's directory.
#
# The kernel is Debian's linux-source-6.12, configured as
# `make ARCH=x86_64 tinyconfig` + qemu/kernel.config, built out of tree.
# The source is unpacked once per version, $LUO_CACHE/kernel-<version>/src;
# each config has its own build, kernel-<version>/<key>/build, <key> being
# the hash of the config and this script (luo_test_kernel_key).  So two
# checkouts with different configs (a branch, a clean CI clone) never
# rebuild one tree under each other: a module built for one config does
# not load into the other's kernel (KCOV's callbacks differ).  The three
# newest builds are kept.  Every option the fragment asks for is checked
# in the final .config; a missing one fails the build by name.  Prints the
# build's directory on stdout; logs go to stderr.
#
#   <dir>/build                 KDIR for `make M=...` (has Module.symvers)
#   <dir>/build/arch/x86/boot/bzImage
#   <dir>/src/tools/testing/kunit/kunit.py   (src: the shared source)
set -eu
. "$(dirname "$0")/lib.sh"

"$LUO_TOP/scripts/deps.sh" base
top=$(luo_test_kernel_dir) || die "linux-source-6.12 is not installed"
key=$(luo_test_kernel_key)
dir=$top/$key
if [ "$(cat "$dir/.done" 2>/dev/null)" = "$key" ]; then
	echo "$dir"
	exit 0
fi
# One build at a time per machine: a second caller (another checkout's
# `make check`, a lint run) waits for the first, then finds it done.
mkdir -p "$LUO_CACHE"
exec 9> "$LUO_CACHE/test-kernel.lock"
if ! flock -n 9; then
	echo "test-kernel: waiting for another build of it" >&2
	flock 9
fi
if [ "$(cat "$dir/.done" 2>/dev/null)" = "$key" ]; then
	echo "$dir"
	exit 0
fi

start=$(date +%s)
echo "test-kernel: building $dir (a few minutes, once per machine)" >&2
# The source once per version (an out-of-tree build writes nothing there).
if [ ! -f "$top/src/Makefile" ]; then
	rm -rf "$top"
	mkdir -p "$top/src"
	tar -xf /usr/src/linux-source-6.12.tar.xz -C "$top/src" \
		--strip-components=1
fi
rm -rf "$dir" "$top/build" "$top/.done" # and the one-tree layout before
mkdir -p "$dir/build"
ln -s ../src "$dir/src"
# Older configs' builds, beyond the three newest (this one included).
ls -1dt "$top"/*/build 2>/dev/null | tail -n +4 | while read -r old; do
	rm -rf "${old%/build}"
done

frag="$LUO_TOP/qemu/kernel.config"
mk() { make -C "$dir/src" O="$dir/build" ARCH=x86_64 "$@"; }
rm -f "$dir/build/.config"
mk -s tinyconfig >&2
"$dir/src/scripts/kconfig/merge_config.sh" -m -O "$dir/build" \
	"$dir/build/.config" "$frag" >/dev/null
mk -s olddefconfig >&2

missing=""
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx "$line" "$dir/build/.config" ||
			missing="$missing ${line%%=*}" ;;
	"# CONFIG_"*" is not set")
		opt=${line#"# "}; opt=${opt%" is not set"}
		grep -q "^$opt=" "$dir/build/.config" && missing="$missing !$opt" ;;
	esac
done < "$frag"
[ -z "$missing" ] ||
	die "options requested by qemu/kernel.config but not in .config:$missing"

mk -s -j"$(nproc)" bzImage modules >&2
echo "$key" > "$dir/.done"
echo "test-kernel: built in $(($(date +%s) - start)) s" >&2
echo "$dir"
