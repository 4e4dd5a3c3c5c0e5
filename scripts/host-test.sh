#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# host-test.sh - the C++ core under GoogleTest, twice: ASan+UBSan, and TSan;
# then the decoder under libFuzzer (scripts/fuzz-decode.sh --check).
#
# Same sources as luo.ko, against tests/host_shim.cpp.  Counts come from
# GoogleTest's XML report; a binary that dies before writing it (a
# sanitizer abort) counts as one failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"

"$LUO_TOP/scripts/deps.sh" base || exit 1
mkdir -p "$LUO_TOP/build"
status=0
for variant in asan:address,undefined tsan:thread; do
	name=${variant%%:*}
	san=${variant#*:}
	b=$LUO_TOP/build/host-$name
	cmake -S "$LUO_TOP/tests" -B "$b" -DLUO_SANITIZE="$san" \
		-DCMAKE_BUILD_TYPE=Debug > "$b.configure.log" 2>&1 ||
		{ cat "$b.configure.log"; record "host-$name" 0 1; status=1; continue; }
	if ! cmake --build "$b" -j"$(nproc)" > "$b.build.log" 2>&1; then
		cat "$b.build.log"
		record "host-$name" 0 1
		status=1
		continue
	fi
	rm -f "$b/results.xml"
	# TSan's shadow layout clashes with the high mmap randomization of
	# recent host kernels ("unexpected memory mapping"): run it without
	# ASLR.
	if [ "$name" = tsan ]; then
		run=(setarch "$(uname -m)" -R)
	else
		run=()
	fi
	"${run[@]}" "$b/luo_host_tests" --gtest_output="xml:$b/results.xml" \
		--gtest_brief=1
	rc=$?
	if [ -f "$b/results.xml" ]; then
		read -r tests failures < <(python3 - "$b/results.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
t = int(r.get("tests")) - int(r.get("disabled", 0))
f = int(r.get("failures")) + int(r.get("errors", 0))
print(t, f)
PY
)
	else
		tests=1 failures=1
	fi
	[ "$rc" -ne 0 ] && [ "$failures" -eq 0 ] && failures=1
	record "host-$name" $((tests - failures)) "$failures"
	[ "$failures" -eq 0 ] || status=1
done
# The decoder under libFuzzer, bounded (make fuzz runs it for longer).
"$LUO_TOP/scripts/fuzz-decode.sh" --check || status=1
exit $status
