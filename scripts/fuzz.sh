#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh - the coverage-guided ioctl fuzzer (tests/fuzz/luo_fuzz.c) in the
# test kernel, then a real kexec whose image must restore cleanly.
#
#   scripts/fuzz.sh            `make fuzz`: FUZZ_TIME seconds (default 300)
#   scripts/fuzz.sh --check    the bounded form of `make check`: FUZZ_IOCTLS
#                              ioctls (default 200000)
#
# FUZZ_SEED=n picks the seed (default: from the clock; printed either way),
# FUZZ_REPLAY=HEX replays one input (as printed with a finding),
# FUZZ_KERNEL=stock-6.12 runs on a stock kernel (no KCOV: random mode).
# Passes if the VM run passed (no kernel report, no hang: qemu/run), the
# fuzzer found no errno outside the SPEC table and the kexec restored every
# session and file the fuzzer left for it.  Prints, one line each: ioctls
# run, distinct luo edges, and luo's lines covered: KCOV's PCs (offsets in
# .text) are mapped to source lines with addr2line on a copy of luo.ko
# built with -g (the shared kernel has no debug info; -g does not change
# the code, which is checked: the call sites of __sanitizer_cov_trace_pc
# must be the same in both), out of every line that has such a call site.
# Logs: build/results/fuzz/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

mode=time
[ "${1:-}" = --check ] && mode=check
kernel=${FUZZ_KERNEL:-test}
seed=${FUZZ_SEED:-$(($(date +%s) % 1000000))}
out=$LUO_TOP/build/results/fuzz
mkdir -p "$out" "$LUO_TOP/build/fuzz"

if [ "$kernel" = test ]; then
	kroot=$("$LUO_TOP/scripts/test-kernel.sh") || exit 1
	kdir=$kroot/build
	ksrc=$kroot/src
else
	mapfile -t lines < <("$LUO_TOP/scripts/stock-kernel.sh" "${kernel#stock-}")
	kdir=${lines[1]}
	ksrc=
fi
rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$kdir/include/generated/utsrelease.h")
"$LUO_TOP/scripts/build-module.sh" "$kdir" > /dev/null || exit 1
ko=$LUO_TOP/build/$rel/luo.ko
bin=$LUO_TOP/build/fuzz/luo_fuzz
gcc -static -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-I"$LUO_TOP/include/uapi" -I"$LUO_TOP/tests/vm" \
	-o "$bin" "$LUO_TOP/tests/fuzz/luo_fuzz.c" -lpthread || exit 1

# The call sites of __sanitizer_cov_trace_pc in .text, as the return
# addresses KCOV records (offset of the call's relocation + 4).
callsites() {
	local a
	objdump -dr -j .text "$1" |
		awk '/R_X86_64_PLT32[ \t]+__sanitizer_cov_trace_pc/ {
			sub(":", "", $1); print $1 }' |
		while read -r a; do printf '%x\n' $((0x$a + 4)); done | sort -u
}
text_size=$((0x$(objdump -h "$ko" | awk '$2 == ".text" { print $3 }')))
callsites "$ko" > "$out/callsites"
nsites=$(wc -l < "$out/callsites")
if [ "$nsites" -eq 0 ]; then
	echo "fuzz: luo.ko has no __sanitizer_cov_trace_pc call in .text" \
	     "(no KCOV in $kernel): random mode, no line coverage"
fi

# FUZZ_ARGS: more fuzzer options (e.g. --forbid 22, the self-test).
case $mode in
check) args="--ioctls ${FUZZ_IOCTLS:-200000}"; timeout=1500 ;;
time) args="--time ${FUZZ_TIME:-300}"; timeout=$((${FUZZ_TIME:-300} + 900)) ;;
esac
[ -n "${FUZZ_REPLAY:-}" ] && args="--replay $FUZZ_REPLAY"
args+=" ${FUZZ_ARGS:-}"
log=$out/fuzz.log
res=$out/fuzz.out
start=$(date +%s)
"$LUO_TOP/qemu/run" --quiet --kernel "$kernel" --module "$ko" \
	--params test_hooks=1 --kexec 1 --timeout "$timeout" \
	--add "$bin" --out "$res" -- \
	sh -c "set -o pipefail; ./luo_fuzz --seed $seed $args --kexec --pcs \
		--text-size $text_size 2>&1 | tee \$LUO_OUT" > "$log" 2>&1
rc=$?
took=$(($(date +%s) - start))
grep -a 'FINDING' "$res" | sed 's/^/  /'

# Line coverage: the PCs reached, against every line with a call site.
lines() { # KO < return addresses -> file:line, one per call site
	sed 's/^/0x/' | while read -r a; do printf '%x\n' $((a - 5)); done |
		addr2line -j .text -e "$1" | sed 's/ (discriminator [0-9]*)//' |
		grep -v '^??'
}
cover=""
if [ "$nsites" -gt 0 ]; then
	dbg=$(mktemp -d)
	rsync -a --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		--exclude '*.mod' --exclude '*.mod.c' --exclude modules.order \
		--exclude Module.symvers --exclude build.log --exclude .lock \
		"$LUO_TOP/build/$rel/" "$dbg/"
	sed -i 's/ -g0 / -g /' "$dbg/Kbuild"
	if make -s -C "$kdir" M="$dbg" KCFLAGS=-g \
		LUO_VERSION="$(modinfo -F version "$ko")" modules \
		> "$out/debug-build.log" 2>&1 &&
		cmp -s <(callsites "$dbg/luo.ko") "$out/callsites"; then
		lines "$dbg/luo.ko" < "$out/callsites" | sort -u > "$out/lines.all"
		sed -n 's/^fuzz: pc //p' "$res" | sort -u |
			comm -12 - "$out/callsites" > "$out/pcs.hit"
		lines "$dbg/luo.ko" < "$out/pcs.hit" | sort -u > "$out/lines.hit"
		hit=$(wc -l < "$out/lines.hit")
		all=$(wc -l < "$out/lines.all")
		cover="$hit of $all ($((100 * hit / (all ? all : 1)))%)"
		# Per file, for the curious.
		for f in $(sed 's/:.*//' "$out/lines.all" | sort -u); do
			printf '%s %s/%s\n' "$(basename "$f")" \
				"$(grep -c "^$f:" "$out/lines.hit")" \
				"$(grep -c "^$f:" "$out/lines.all")"
		done > "$out/lines.per-file"
	else
		cover="unknown (the -g build differs from luo.ko: see $out/debug-build.log)"
	fi
	rm -rf "$dbg"
fi

ioctls=$(sed -n 's/^fuzz: ioctls //p' "$res" | head -1)
edges=$(sed -n 's/^fuzz: edges //p' "$res" | head -1)
findings=$(sed -n 's/^fuzz: findings //p' "$res" | head -1)
kx=$(grep -a '^fuzz: kexec: .* restored' "$res" | head -1)
echo "fuzz: seed $seed, $kernel, ${took} s (TCG, with the kexec)"
echo "fuzz: ioctls run: ${ioctls:-?}"
echo "fuzz: luo edges reached: ${edges:-?}"
echo "fuzz: luo lines covered: ${cover:-none (no KCOV)}"
echo "fuzz: ${kx#fuzz: }"
echo "fuzz: findings: ${findings:-?}"
if [ "$rc" -ne 0 ]; then
	echo "fuzz: FAIL: the VM run failed: $(tail -n 3 "$log" | tr '\n' ' ')"
	exit 1
fi
if [ "${findings:-1}" != 0 ] || ! grep -aq '^fuzz: kexec: .* 0 wrong' "$res"; then
	echo "fuzz: FAIL (see $res; replay: FUZZ_SEED=$seed FUZZ_REPLAY=<input>)"
	exit 1
fi
echo "fuzz: PASS"
