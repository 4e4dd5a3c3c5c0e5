# SPDX-License-Identifier: GPL-2.0
# vmlib.sh - helpers shared by vm-test.sh and stock-test.sh; source it.
#
# Counting: a kselftest binary contributes its own pass/fail totals (every
# stage it ran in); a VM run that failed for another reason (a kernel
# report, a timeout) adds one failure.  A runner or build self-test is one
# test.

PASSED=0
FAILED=0
VM_OUT=$LUO_TOP/build/results/vm
mkdir -p "$VM_OUT"

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $1${2:+: $2}"; }

# Per-test counts of the VM suite, for the kernel x test matrix that
# scripts/matrix.sh prints: one file per script, "NAME PASSED FAILED".
SUITE_COUNTS=$VM_OUT/$(basename "$0" .sh).suite
: > "$SUITE_COUNTS"
suite_count() { echo "$1 $2 $3" >> "$SUITE_COUNTS"; }

# Static userspace test binaries from tests/vm/, against the UAPI header
# and the kselftest harness of the test kernel's source tree.
build_vm_tests() {
	local ksrc=$1 src bin
	mkdir -p "$LUO_TOP/build/vm"
	for src in "$LUO_TOP"/tests/vm/*.c; do
		bin=$LUO_TOP/build/vm/$(basename "$src" .c)
		# Up to date only if newer than its source and every header.
		if [ -z "$(find "$src" "$LUO_TOP"/tests/vm/*.h \
			"$LUO_TOP/include/uapi" "$LUO_TOP/tools/libluo" \
			-newer "$bin" 2>/dev/null)" ] &&
			[ -f "$bin" ]; then
			continue
		fi
		# libluo's tests link the library (scripts/build-tools.sh).
		local lib=()
		case "$(basename "$src")" in
		libluo_*)
			"$LUO_TOP/scripts/build-tools.sh" || return 1
			lib=(-I"$LUO_TOP/tools/libluo" "$LUO_TOP/build/tools/libluo.a")
			;;
		esac
		gcc -static -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
			-Wno-clobbered \
			-I"$LUO_TOP/include/uapi" -I"$ksrc/tools/testing/selftests" \
			-o "$bin" "$src" "${lib[@]}" || return 1
	done
	# 32-bit programs (gcc-multilib), for the compat ioctl path.
	for src in "$LUO_TOP"/tests/vm/compat/*.c; do
		bin=$LUO_TOP/build/vm/$(basename "$src" .c)
		[ -f "$bin" ] && [ "$bin" -nt "$src" ] && continue
		gcc -m32 -static -O2 -g -Wall -Wextra -Werror \
			-Wno-unused-parameter -I"$LUO_TOP/include/uapi" \
			-o "$bin" "$src" || return 1
	done
}

# build_fixtures KDIR - the helper modules of tests/vm/fixtures/ for that
# kernel, into build/<release>/fixtures/; prints that directory.
build_fixtures() {
	local kdir=$1 rel dir
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$kdir/include/generated/utsrelease.h")
	dir=$LUO_TOP/build/$rel/fixtures
	mkdir -p "$dir"
	rsync -a "$LUO_TOP/tests/vm/fixtures/" "$dir/"
	make -s -C "$kdir" M="$dir" modules > "$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log" >&2; return 1; }
	echo "$dir"
}

# test_kernel_ready - the test kernel (built once per config), luo.ko
# for it, the VM test programs and the fixture modules; sets kroot (the
# kernel's cache directory: src/, build/) and fixtures.
test_kernel_ready() {
	kroot=$("$LUO_TOP/scripts/test-kernel.sh") || return 1
	make -s -C "$LUO_TOP" module KDIR="$kroot/build" > /dev/null ||
		return 1
	build_vm_tests "$kroot/src" || return 1
	fixtures=$(build_fixtures "$kroot/build")
}

# run_selftest NAME BINARY FIXTURES [--args "ARGS"] [qemu/run options...]
# A kselftest program contributes its "# Totals:" lines; a plain TAP
# program (ok / not ok lines) its ok and not-ok counts.
run_selftest() {
	local name=$1 bin=$2 fixtures=$3 out log rc p f ko adds=() args=""
	shift 3
	if [ "${1:-}" = --args ]; then
		args=" $2"
		shift 2
	fi
	out=$VM_OUT/$name.tap
	log=$VM_OUT/$name.log
	for ko in "$fixtures"/*.ko; do [ -e "$ko" ] && adds+=(--add "$ko"); done
	"$LUO_TOP/qemu/run" --quiet --add "$bin" "${adds[@]}" --out "$out" "$@" -- \
		sh -c "set -o pipefail; ./$(basename "$bin")$args 2>&1 | tee \$LUO_OUT" \
		> "$log" 2>&1
	rc=$?
	p=0 f=0
	if grep -q '^# Totals:' "$out"; then
		while read -r line; do
			set -- $(echo "$line" | sed -n \
				's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*/\1 \2/p')
			[ $# -eq 2 ] && { p=$((p + $1)); f=$((f + $2)); }
		done < "$out"
	else
		p=$(grep -c '^ok ' "$out")
		f=$(grep -c '^not ok ' "$out")
	fi
	grep -E '^(not )?ok ' "$out" | sed "s/^/  $name: /"
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if [ "$rc" -ne 0 ]; then
		fail "$name VM run" "$(tail -n 4 "$log" | tr '\n' ' ')"
		f=$((f + 1))
	elif [ $((p + f)) -eq 0 ]; then
		fail "$name" "ran no test"
		f=$((f + 1))
	fi
	suite_count "$name" "$p" "$f"
}

# run_luoctl_test NAME FIXTURES [qemu/run options...] - the operator's
# live update with luoctl (tests/vm/luoctl_test.sh, two boots), then the
# JSON it printed, parsed on the host as a script would.
run_luoctl_test() {
	local name=$1 fixtures=$2 tap line
	shift 2
	"$LUO_TOP/scripts/build-tools.sh" || { fail "$name: build-tools"; return; }
	run_selftest "$name" "$LUO_TOP/tests/vm/luoctl_test.sh" "$fixtures" \
		--add "$LUO_TOP/build/tools/luoctl.static" \
		--add "$LUO_TOP/build/vm/fake_vmm" --kexec 1 "$@"
	tap=$VM_OUT/$name.tap
	local p=0 f=0
	while read -r line; do
		case "$line" in
		"ok "*)
			pass "$name ${line#ok [0-9]* - }" > /dev/null
			p=$((p + 1))
			;;
		"not ok "*)
			fail "$name ${line#not ok [0-9]* - }"
			f=$((f + 1))
			;;
		esac
	done < <("$LUO_TOP/scripts/check-luoctl-json.py" "$tap")
	suite_count "$name" "$p" "$f"
}

# run_suite PREFIX FIXTURES [qemu/run options...] - the VM test suite, the
# same on every kernel (the options pick it: --kernel stock-6.12): the
# userspace tests, luoctl, the handover across real kexecs, the freeze
# under load.  Results are named PREFIX<test>.
run_suite() {
	local p=$1 fixtures=$2 out
	shift 2
	# Userspace against /dev/liveupdate: the ioctls, libluo, luoctl.
	run_selftest "${p}luo_dev_test" "$LUO_TOP/build/vm/luo_dev_test" \
		"$fixtures" "$@"
	run_selftest "${p}luo_session_test" "$LUO_TOP/build/vm/luo_session_test" \
		"$fixtures" --params test_hooks=1 "$@"
	run_selftest "${p}libluo_test" "$LUO_TOP/build/vm/libluo_test" \
		"$fixtures" --params test_hooks=1 "$@"
	run_luoctl_test "${p}luoctl_test" "$fixtures" "$@"

	# A chain of three kernels: state created in the first is verified and
	# carried forward by the second and verified again by the third.  In
	# the second, a load with a bad device= fails first: the image must
	# still be there for the load after it.
	run_selftest "${p}luo_handover_test" \
		"$LUO_TOP/build/vm/luo_handover_test" "$fixtures" --kexec 2 \
		--timeout 600 "$@" --before-load '
		if [ "$LUO_STAGE" = 2 ]; then
			. /etc/luo-run.conf
			if insmod /lib/modules/luo.ko $LUO_PARAMS device=bad.name
			then echo loaded; else echo refused; fi > /run/luo-badload
		fi'

	# Memory files (/dev/liveupdate_mem): the interface, then two of them
	# through a chain of three kernels, every page at the physical
	# address it had (no copy).
	run_selftest "${p}luo_mem_test" "$LUO_TOP/build/vm/luo_mem_test" \
		"$fixtures" --kexec 2 --timeout 600 "$@"
	# A 1 GiB memory file in a range that holds a 1 GiB boundary of
	# physical memory: mapped with one 1 GiB entry where the kernel allows
	# huge ones, in both kernels, the same memory after the kexec.
	LUO_HANDOVER_BASE=0x3f000000 LUO_HANDOVER_SIZE=1040M \
		run_selftest "${p}luo_mem_huge" "$LUO_TOP/build/vm/luo_mem_test" \
		"$fixtures" --args huge --mem 3G --kexec 1 --timeout 600 "$@"
	# A guest-sized memory file, 4.5 GiB (past 4 GiB, so that no length
	# or offset may be cut to 32 bits), every word checked in each of a
	# chain of three kernels; the images hold its extents only.
	LUO_HANDOVER_BASE=0x100000000 LUO_HANDOVER_SIZE=4736M \
		run_selftest "${p}luo_mem_big" "$LUO_TOP/build/vm/luo_mem_test" \
		"$fixtures" --args big --mem 8G --kexec 2 --timeout 900 "$@"

	# A kernel in the middle that does not load luo: the third refuses
	# the image as stale with handover_max_age=5, restores it by default.
	run_selftest "${p}luo_handover_stale" \
		"$LUO_TOP/build/vm/luo_handover_test" "$fixtures" --args stale \
		--kexec 2 --skip-load 2 "$@" --before-load '
		if [ "$LUO_STAGE" = 3 ]; then
			. /etc/luo-run.conf
			insmod /lib/modules/luo.ko $LUO_PARAMS handover_max_age=5 &&
			cat /sys/class/misc/liveupdate/status > /run/luo-stale-status
			rmmod luo
		fi'

	# A freeze that cannot drain (PRESERVE_FD stuck on the inode lock of
	# a memfd whose writer faults on a userfaultfd page): the kexec goes
	# on after freeze_timeout_ms, and the next kernel says why.
	run_selftest "${p}luo_freeze_timeout" "$LUO_TOP/build/vm/luo_stuck" \
		"$fixtures" --kexec 1 --params freeze_timeout_ms=1000 "$@"

	# An image corrupted in the range (one byte flipped through /dev/mem just
	# before the next kernel's luo loads) is rejected whole, with a reason.
	run_selftest "${p}luo_handover_rejected" \
		"$LUO_TOP/build/vm/luo_handover_test" "$fixtures" \
		--args rejected --kexec 1 "$@" --before-load '
		if [ "$LUO_STAGE" = 2 ]; then
			a=$((${LUO_HANDOVER_BASE:-0x38000000} + 0x100))
			v=$(devmem $a 8)
			devmem $a 8 $((v ^ 0xff))
		fi'

	# The freeze at a real kexec, under load.
	out=$VM_OUT/${p}kexec-busy.out
	if "$LUO_TOP/qemu/run" --no-kmemleak --kexec 1 --out "$out" "$@" \
		--add "$LUO_TOP/build/vm/luo_busy" -- sh -c '
		if [ "$LUO_STAGE" = 1 ]; then
			./luo_busy start && echo started > $LUO_OUT
			sleep 2
		else
			grep -e "^handover:" -e sessions_out \
				/sys/class/misc/liveupdate/status > $LUO_OUT
		fi' > "$VM_OUT/${p}kexec-busy.log" 2>&1 &&
		grep -qx started "$out" && grep -qx 'sessions_out: 0' "$out" &&
		grep -qx 'handover: restored' "$out" &&
		grep -q 'luo: kexec: handed over' "$VM_OUT/${p}kexec-busy.log"; then
		pass "${p}freeze: kexec while a daemon keeps issuing ioctls"
		suite_count "${p}kexec_busy" 1 0
	else
		fail "${p}freeze: kexec under load" "see ${p}kexec-busy.log"
		suite_count "${p}kexec_busy" 0 1
	fi
}

# run_faults FIXTURES STRIDE - tests/vm/luo_faults.c: every operation with
# its 1st, 2nd, ... allocation failing until it succeeds: ENOMEM and the
# state unchanged each time, no WARN, no leak.  A module load's sites
# (~550: each load gives the range struct pages and takes them back; a
# smaller range does not reduce them) are injected every STRIDE-th between
# the first and last 64; STRIDE 1 injects every one.  Then the load of a
# kernel that finds an image (luo not loaded in stage 2: the program loads
# it under each fault; a failed load keeps the image).
run_faults() {
	local fixtures=$1 stride=$2 sites=0 injected=0 ops=0 r i how
	run_selftest luo_faults "$LUO_TOP/build/vm/luo_faults" "$fixtures" \
		--args "--stride $stride" --params test_hooks=1 --timeout 1800
	run_selftest luo_faults_image "$LUO_TOP/build/vm/luo_faults" \
		"$fixtures" --args "--image --stride $stride" \
		--params "test_hooks=1 handover_max_age=0" --kexec 1 \
		--skip-load 2 --timeout 1800
	while read -r r i; do
		sites=$((sites + r)) injected=$((injected + i)) ops=$((ops + 1))
	done < <(sed -n 's/^# figures: .*: \([0-9]*\) fault site(s) reached, \([0-9]*\) injected$/\1 \2/p' \
		"$VM_OUT/luo_faults.tap" "$VM_OUT/luo_faults_image.tap")
	how="every one"
	[ "$stride" -gt 1 ] &&
		how="a module load's every ${stride}th between its first and last 64"
	figure "fault injection: $injected of $sites fault sites injected ($how) over $ops operations, each failed cleanly and then succeeded"
}

# run_soak FIXTURES SECONDS THREADS - tests/vm/luo_soak.c: THREADS workers
# for SECONDS with a round trip a second; then half as many (at least 2)
# working while the machine kexecs under them, whose preserved sessions
# must all arrive.  The figures lines go to the summary.
run_soak() {
	local fixtures=$1 secs=$2 threads=$3 line
	run_selftest luo_soak "$LUO_TOP/build/vm/luo_soak" "$fixtures" \
		--args "-t $threads -s $secs" --params test_hooks=1 \
		--timeout $((secs * 2 + 300))
	# Under TCG with KASAN, 8 threads starve the jump past any timeout
	# worth waiting for; half of them still race every step of it.
	run_selftest luo_soak_kexec "$LUO_TOP/build/vm/luo_soak" "$fixtures" \
		--args "--kexec -t $(((threads + 1) / 2 > 2 ? (threads + 1) / 2 : 2))" \
		--kexec 1 --timeout 900
	while read -r line; do
		figure "soak: ${line#soak: }"
	done < <(grep -h '^soak:' "$VM_OUT/luo_soak.tap" \
		"$VM_OUT/luo_soak_kexec.tap" 2>/dev/null)
}
