#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz-decode.sh [--check] - the incoming side under libFuzzer, on the host:
# tests/fuzz/decode_fuzz.cpp decodes mutated images (their checksum made
# right) with the core's own sources under ASan+UBSan, and uses every
# image it accepts as the ioctls would.  Seeds are real images, written
# by the serializer.  The corpus stays in build/fuzz-decode/corpus.
#
#   --check      make check: 300 000 images from a fixed seed (host-fuzz)
#   (default)    `make fuzz`: FUZZ_TIME seconds (300), FUZZ_SEED (random)
#
# A crash leaves its input in build/fuzz-decode/ (crash-*): replay it with
# build/fuzz-decode/decode_fuzz FILE.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"
PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $1${2:+: $2}"; }

"$LUO_TOP/scripts/deps.sh" base || exit 1
out=$LUO_TOP/build/fuzz-decode
mkdir -p "$out/obj" "$out/corpus"
san=(-fsanitize=address,undefined -fno-sanitize-recover=all)
flags=(-std=gnu++17 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter
	-Wno-missing-field-initializers -I"$LUO_TOP/include")
objs=()
for src in "$LUO_TOP"/luo/core/*.cpp; do
	o=$out/obj/$(basename "$src" .cpp).o
	# The core's own rules (no exceptions, no RTTI), as in the module.
	clang++ "${flags[@]}" "${san[@]}" -fsanitize=fuzzer-no-link \
		-fno-exceptions -fno-rtti -fno-threadsafe-statics \
		-c "$src" -o "$o" || { record host-fuzz 0 1; exit 1; }
	objs+=("$o")
done
clang++ "${flags[@]}" "${san[@]}" -fsanitize=fuzzer \
	"$LUO_TOP/tests/fuzz/decode_fuzz.cpp" "$LUO_TOP/tests/host_shim.cpp" \
	"${objs[@]}" -o "$out/decode_fuzz" || { record host-fuzz 0 1; exit 1; }

if [ "${1:-}" = --check ]; then
	args=(-runs=300000 -seed=1)
else
	args=(-max_total_time="${FUZZ_TIME:-300}")
	[ -n "${FUZZ_SEED:-}" ] && args+=(-seed="$FUZZ_SEED")
fi
log=$out/fuzz.log
(cd "$out" && ./decode_fuzz corpus "${args[@]}" -print_final_stats=1) \
	> "$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
	pass "decode fuzz: ${runs} images decoded, no finding"
	figure "decode fuzz (host, libFuzzer, ASan+UBSan): ${runs} images, ${cov:-?} coverage points of the core, no finding"
else
	grep -E 'ERROR|SUMMARY|decode_fuzz:' "$log" | head -n 5
	fail "decode fuzz" "see $log and $out/crash-*"
fi
record host-fuzz "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
