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

test_kernel_ready || exit 1
kdir=$kroot/build

# --- the suite: userspace, luoctl, handover across kexecs, freeze under load
run_suite "" "$fixtures"

# --- fault injection (the test kernel has it; the stock kernels do not) -----
# Bounded: a module load's ~550 sites every LUO_FAULTS_STRIDE-th (default
# 8) between the first and last 64; `make faults` injects every one.
run_faults "$fixtures" "${LUO_FAULTS_STRIDE:-8}"
# --- crafted images through the range, before luo loads -------------------
# A few lies of the host matrix (tests/image_test.cpp), each refused whole
# by the module load in a real kernel; then the true image restores.
run_selftest luo_crafted "$LUO_TOP/build/vm/luo_crafted" "$fixtures" \
	--params "handover_max_age=0" --kexec 1 --skip-load 2
n=$(sed -n 's/^# figures: crafted images: \([0-9]*\) .*/\1/p' \
	"$VM_OUT/luo_crafted.tap" 2>/dev/null)
[ -n "$n" ] && figure "crafted images: $n rejected whole by the module load in the VM (the host matrix: tests/image_test.cpp)"

# --- the ioctl fuzzer (KCOV): 200 000 ioctls, then a real kexec ------------
# Its figures (ioctls, luo edges, luo lines covered) go to the summary; its
# logs are in build/results/fuzz/.
if "$LUO_TOP/scripts/fuzz.sh" --check > "$VM_OUT/fuzz.log" 2>&1 &&
	grep -qx 'fuzz: PASS' "$VM_OUT/fuzz.log"; then
	pass "fuzz: $(sed -n 's/^fuzz: ioctls run: //p' "$VM_OUT/fuzz.log") ioctls, no errno outside the SPEC table, no kernel report, the kexec restored"
else
	fail "fuzz" "$(grep -E 'FAIL|FINDING' "$VM_OUT/fuzz.log" | head -n 3 | tr '\n' ' ')"
fi
while read -r line; do
	figure "$line"
done < <(grep -E '^fuzz: (seed|ioctls run|luo edges|luo lines|findings)' \
	"$VM_OUT/fuzz.log")

# --- soak: 8 threads for a minute (`make soak` for longer) --------------------
run_soak "$fixtures" "${SOAK_SECONDS:-60}" "${SOAK_THREADS:-8}"

# --- the toy VMM (tools/luo-vmm.c, on libluo): a vCPU thread writing its
# memory, a memory file and a memfd of 16 MiB each, across a kexec; the
# new VMMs check every byte.  (It was `make demo` before the demo ran QEMU.)
"$LUO_TOP/scripts/build-tools.sh" > "$VM_OUT/luo-vmm-build.log" 2>&1
out=$VM_OUT/luo-vmm.out
if "$LUO_TOP/qemu/run" --quiet --no-kmemleak --kexec 1 \
	--add "$LUO_TOP/build/tools/luo-vmm" --out "$out" -- sh -c '
	export LUO_VMM_MIB=16
	exec >> "$LUO_OUT" 2>&1
	if [ "$LUO_STAGE" = 1 ]; then
		./luo-vmm start && ./luo-vmm --memfd start
	else
		./luo-vmm resume && ./luo-vmm --memfd resume
	fi' > "$VM_OUT/luo-vmm.log" 2>&1 &&
	[ "$(grep -c 'checked all 16773120 bytes of guest memory: identical' \
		"$out")" = 2 ]; then
	pass "luo-vmm: a memory file and a memfd of 16 MiB, written by a vCPU thread, identical after a kexec"
else
	fail "luo-vmm: the toy VMM across a kexec" "see $out and luo-vmm.log"
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
	grep -qx tick <(sed -n '/stage 1 exits/,/before-load 2/p' "$out"); then
	pass "runner: 3 stages over 2 kexecs, before-load, daemon survives to the jump"
else
	fail "runner: kexec stages" "see $out"
fi

if "$run" --quiet --no-kmemleak --kexec 1 -- sh -c '[ "$LUO_STAGE" = 1 ]' \
	> "$VM_OUT/runner-stage2-fails.log" 2>&1; then
	fail "runner: a failing stage 2 must fail the run"
elif grep -q 'stage 2: command exited 1$' "$VM_OUT/runner-stage2-fails.log"; then
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
echo 'luo-y += luo/core/global_ctor.o' >> "$tmp/Kbuild"
if ! "$tmp/scripts/build-module.sh" "$kdir" > "$VM_OUT/build-ctor.log" 2>&1 &&
	grep -q 'global_ctor.cpp: has a global constructor' "$VM_OUT/build-ctor.log"; then
	pass "build: a C++ global constructor fails the build, by name"
else
	fail "build: global constructor guard" "see build-ctor.log"
fi
rm -rf "$tmp"

record vm-test "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
