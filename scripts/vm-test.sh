#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-test.sh - userspace tests in the test kernel, and self-tests of the
# tooling the other layers trust (qemu/run, the C++ build guards).
#
# Every case boots the test kernel (lockdep, KASAN, kmemleak, UBSAN,
# panic_on_warn) through qemu/run.  Logs: build/results/vm/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"
. "$LUO_TOP/scripts/vmlib.sh"

kroot=$("$LUO_TOP/scripts/test-kernel.sh") || exit 1
kdir=$kroot/build
make -s -C "$LUO_TOP" module KDIR="$kdir" > /dev/null || exit 1
build_vm_tests "$kroot/src" || exit 1

fixtures=$(build_fixtures "$kdir") || exit 1

# --- userspace tests against /dev/liveupdate ------------------------------
run_selftest luo_dev_test "$LUO_TOP/build/vm/luo_dev_test" "$fixtures"
run_selftest luo_session_test "$LUO_TOP/build/vm/luo_session_test" "$fixtures" \
	--params test_hooks=1
run_selftest libluo_test "$LUO_TOP/build/vm/libluo_test" "$fixtures" \
	--params test_hooks=1
run_luoctl_test luoctl_test "$fixtures"

# --- handover across real kexecs -------------------------------------------
# A chain of three kernels: state created in the first is verified and
# carried forward by the second and verified again by the third.
run_selftest luo_handover_test "$LUO_TOP/build/vm/luo_handover_test" \
	"$fixtures" --kexec 2 --timeout 600

# An image corrupted in the range (one byte flipped through /dev/mem just
# before the next kernel's luo loads) is rejected whole, with a reason.
run_selftest luo_handover_rejected "$LUO_TOP/build/vm/luo_handover_test" \
	"$fixtures" --args rejected --kexec 1 --before-load '
	if [ "$LUO_STAGE" = 2 ]; then
		a=$((${LUO_HANDOVER_BASE:-0x38000000} + 0x100))
		v=$(devmem $a 8)
		devmem $a 8 $((v ^ 0xff))
	fi'

# --- the freeze at a real kexec, under load ---------------------------------
out=$VM_OUT/kexec-busy.out
if "$LUO_TOP/qemu/run" --no-kmemleak --kexec 1 --out "$out" \
	--add "$LUO_TOP/build/vm/luo_busy" -- sh -c '
	if [ "$LUO_STAGE" = 1 ]; then
		./luo_busy start && echo started > $LUO_OUT
		sleep 2
	else
		grep -e "^handover:" -e sessions_out \
			/sys/class/misc/liveupdate/status > $LUO_OUT
	fi' > "$VM_OUT/kexec-busy.log" 2>&1 &&
	grep -qx started "$out" && grep -qx 'sessions_out: 0' "$out" &&
	grep -qx 'handover: restored' "$out" &&
	grep -q 'luo: kexec: handed over' "$VM_OUT/kexec-busy.log"; then
	pass "freeze: kexec while a daemon keeps issuing ioctls"
else
	fail "freeze: kexec under load" "see kexec-busy.log"
fi

# --- qemu/run self-tests -----------------------------------------------------
run=$LUO_TOP/qemu/run
out=$VM_OUT/runner-kexec.out
# Stages, before-load, and a process left running by stage 1 that is still
# writing while the machine jumps.
if "$run" --quiet --no-kmemleak --kexec 2 --out "$out" \
	--before-load 'test -e /dev/liveupdate && exit 1; echo "before-load $LUO_STAGE" > $LUO_OUT' \
	-- sh -c '
	echo "stage $LUO_STAGE module $(test -e /dev/liveupdate && echo yes)" > $LUO_OUT
	if [ "$LUO_STAGE" = 1 ]; then
		(while :; do echo tick > $LUO_OUT; sleep 1; done) &
		echo "stage 1 exits" > $LUO_OUT
	fi' > "$VM_OUT/runner-kexec.log" 2>&1 &&
	grep -qx 'before-load 1' "$out" && grep -qx 'before-load 3' "$out" &&
	grep -qx 'stage 1 module yes' "$out" &&
	grep -qx 'stage 2 module yes' "$out" &&
	grep -qx 'stage 3 module yes' "$out" &&
	sed -n '/stage 1 exits/,/before-load 2/p' "$out" | grep -qx tick; then
	pass "runner: 3 stages over 2 kexecs, before-load, daemon survives to the jump"
else
	fail "runner: kexec stages" "see $out"
fi

if "$run" --quiet --no-kmemleak --kexec 1 -- sh -c '[ "$LUO_STAGE" = 1 ]' \
	> "$VM_OUT/runner-stage2-fails.log" 2>&1; then
	fail "runner: a failing stage 2 must fail the run"
elif grep -q 'stage 2: command exited 1' "$VM_OUT/runner-stage2-fails.log"; then
	pass "runner: a failing stage 2 fails the run"
else
	fail "runner: stage 2 failure" "wrong reason, see runner-stage2-fails.log"
fi

if ! "$run" --quiet --no-kmemleak --add "$fixtures/luo_warn.ko" -- \
		insmod /extra/luo_warn.ko > "$VM_OUT/runner-warn.log" 2>&1 &&
	grep -q 'kernel reported:.*WARNING:' "$VM_OUT/runner-warn.log"; then
	pass "runner: a WARN in the guest fails the run"
else
	fail "runner: WARN detection" "see runner-warn.log"
fi

if ! "$run" --quiet --no-kmemleak --timeout 30 -- sleep 1000 \
	> "$VM_OUT/runner-timeout.log" 2>&1 &&
	grep -q 'timed out' "$VM_OUT/runner-timeout.log"; then
	pass "runner: a hung guest times out and fails"
else
	fail "runner: timeout" "see runner-timeout.log"
fi

# --- build guards -----------------------------------------------------------
tmp=$(mktemp -d)
git -C "$LUO_TOP" ls-files -z | (cd "$LUO_TOP" && xargs -0 cp --parents -t "$tmp")
cat > "$tmp/luo/core/global_ctor.cpp" <<'CPP'
struct Counter {
	Counter() : n(1) {}
	int n;
};
Counter global_counter;
CPP
sed -i 's|luo/core/capi.o|luo/core/capi.o luo/core/global_ctor.o|' "$tmp/Kbuild"
if ! "$tmp/scripts/build-module.sh" "$kdir" > "$VM_OUT/build-ctor.log" 2>&1 &&
	grep -q 'global_ctor.cpp: has a global constructor' "$VM_OUT/build-ctor.log"; then
	pass "build: a C++ global constructor fails the build, by name"
else
	fail "build: global constructor guard" "see build-ctor.log"
fi
rm -rf "$tmp"

record vm-test "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
