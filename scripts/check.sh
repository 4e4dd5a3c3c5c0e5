#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - `make check`: every test layer in order, then one summary.
#
#   lint        clang-format, checkpatch, sparse (one test)
#   host-test   C++ core under GoogleTest, ASan+UBSan and TSan; the
#               decoder under libFuzzer (host-fuzz)
#   kunit       KUnit suites in the test kernel (QEMU)
#   vm-test     userspace tests and tooling self-tests in the test kernel
#   stock-test  the VM suite on Debian's stock 6.12 and 6.1 kernels
#   dkms-test   DKMS build of what dkms-install ships, loaded in stock
#               6.12; the install targets into a DESTDIR (root)
#   deb         make deb (debhelper, dh-dkms), lintian on the packages
#   debian      Debian 12 + systemd in QEMU: the .debs installed, the
#               user's guide run, sessions across systemctl kexec
#               (scripts/debian-test.sh; the rootfs is built once)
#
# A layer that fails does not stop the others, so one run shows everything;
# the exit status is non-zero if anything failed.  The last line is
# "N passed, N failed", N counting host tests, KUnit cases and VM tests.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"

"$LUO_TOP/scripts/deps.sh" all || exit 1
rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR"

layers=(lint host-test kunit vm-test stock-test dkms-test deb debian)
status=0
declare -A took
for layer in "${layers[@]}"; do
	echo "=== $layer ==="
	t0=$(date +%s)
	args=()
	script=$layer
	[ "$layer" = deb ] && args=(--lintian)
	[ "$layer" = debian ] && script=debian-test
	"$LUO_TOP/scripts/$script.sh" "${args[@]}" || status=1
	took[$layer]=$(($(date +%s) - t0))
	# A layer that died before recording counts as one failure.
	name=$layer
	[ "$layer" = host-test ] && name=host-asan
	if ! ls "$RESULTS_DIR"/"$name"*.count > /dev/null 2>&1; then
		record "$layer" 0 1 > /dev/null
	fi
done

passed=0
failed=0
echo "=== summary ==="
for f in "$RESULTS_DIR"/*.count; do
	read -r p q < "$f"
	printf '  %-12s %4d passed, %d failed\n' "$(basename "$f" .count)" "$p" "$q"
	passed=$((passed + p))
	failed=$((failed + q))
done
for layer in "${layers[@]}"; do
	printf '  %-12s %4d s\n' "$layer" "${took[$layer]}"
done
if [ -s "$RESULTS_DIR/figures" ]; then
	echo "=== figures ==="
	sed 's/^/  /' "$RESULTS_DIR/figures"
fi
"$LUO_TOP/scripts/matrix.sh"
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
