#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stock-test.sh - the module built against Debian's stock 6.12 and 6.1
# headers, loaded into the matching stock kernels (unpacked, not
# installed) in QEMU, running the whole VM suite there (run_suite in
# vmlib.sh: the same tests as vm-test.sh, real kexec handovers included).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"
. "$LUO_TOP/scripts/vmlib.sh"

kroot=$("$LUO_TOP/scripts/test-kernel.sh") || exit 1
build_vm_tests "$kroot/src" || exit 1
"$LUO_TOP/scripts/build-tools.sh" || exit 1

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
	run_suite "stock-$series-" "$fixtures" --kernel "stock-$series"
	# A 32-bit process (the stock kernels have IA32 emulation; the test
	# kernel does not): every ioctl through compat_ptr_ioctl.
	run_selftest "stock-$series-luo_compat32" \
		"$LUO_TOP/build/vm/luo_compat32" "$fixtures" \
		--params test_hooks=1 --kernel "stock-$series"
	[ "$series" = 6.12 ] || continue
	# A guest-sized memfd: 3 GiB, past the ~2 GiB one kernel_write() can
	# move, with a per-page pattern, every byte checked across a real
	# kexec.  On stock 6.12 only, where KASAN does not slow it down.
	LUO_HANDOVER_BASE=0x140000000 LUO_HANDOVER_SIZE=3104M \
		run_selftest "stock-$series-luo_handover_big" \
		"$LUO_TOP/build/vm/luo_handover_test" "$fixtures" --args big \
		--kernel "stock-$series" --mem 8G --kexec 1 --timeout 900
done

record stock-test "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
