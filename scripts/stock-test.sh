#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stock-test.sh - the module built against Debian's stock 6.12 and 6.1
# headers, loaded into the matching stock kernels (unpacked, not
# installed) in QEMU, running the userspace tests before and after a kexec.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"
. "$LUO_TOP/scripts/vmlib.sh"

kroot=$("$LUO_TOP/scripts/test-kernel.sh") || exit 1
build_vm_tests "$kroot/src" || exit 1

for series in 6.12 6.1; do
	mapfile -t k < <("$LUO_TOP/scripts/stock-kernel.sh" "$series")
	if [ ${#k[@]} -ne 2 ] ||
		! "$LUO_TOP/scripts/build-module.sh" "${k[1]}" \
			> "$VM_OUT/stock-$series-build.log" 2>&1; then
		fail "stock-$series: build" "see stock-$series-build.log"
		continue
	fi
	if ! fixtures=$(build_fixtures "${k[1]}"); then
		fail "stock-$series: fixtures build"
		continue
	fi
	run_selftest "stock-$series-luo_dev_test" \
		"$LUO_TOP/build/vm/luo_dev_test" "$fixtures" \
		--kernel "stock-$series" --kexec 1
	run_selftest "stock-$series-luo_session_test" \
		"$LUO_TOP/build/vm/luo_session_test" "$fixtures" \
		--kernel "stock-$series" --params test_hooks=1
	run_selftest "stock-$series-luo_handover_test" \
		"$LUO_TOP/build/vm/luo_handover_test" "$fixtures" \
		--kernel "stock-$series" --kexec 1
done

record stock-test "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
