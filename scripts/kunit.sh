#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh - run luo's KUnit suites (kunit/) inside the test kernel.
#
# luo_kunit.ko is loaded in a QEMU guest through qemu/run, after luo.ko.
# Its KTAP output is cut out of the kernel log (everything after a marker
# written just before the load, so the kernel's empty boot-time KTAP
# document is not in it) and parsed by the kernel's own
# tools/testing/kunit/kunit.py from the same source tree.  qemu/run fails
# the run on any WARN, lockdep, KASAN, UBSAN or kmemleak report, which
# KUnit alone would not count as a failure; such a run fails every case.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"

kroot=$("$LUO_TOP/scripts/test-kernel.sh") || exit 1
make -s -C "$LUO_TOP" module KDIR="$kroot/build" > /dev/null || exit 1
rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$kroot/build/include/generated/utsrelease.h")
ko=$LUO_TOP/build/$rel/luo_kunit.ko
[ -f "$ko" ] || { echo "kunit: no $ko (kernel without KUnit?)" >&2; exit 1; }

out=$LUO_TOP/build/results/kunit
mkdir -p "$out"
rm -f "$out/ktap.txt" "$out/kmsg.txt"
"$LUO_TOP/qemu/run" --quiet --timeout "${LUO_KUNIT_TIMEOUT:-600}" \
	--add "$ko" --out "$out/ktap.txt" --kmsg "$out/kmsg.txt" -- sh -c '
	echo luo-kunit-start > /dev/kmsg
	insmod /extra/luo_kunit.ko || exit 1
	dmesg | sed -n "/luo-kunit-start/,\$p" > "$LUO_OUT"
	rmmod luo_kunit'
vm=$?

python3 "$kroot/src/tools/testing/kunit/kunit.py" parse \
	--json="$out/results.json" "$out/ktap.txt" | tee "$out/parse.txt"
read -r passed failed < <(python3 - "$out/results.json" <<'PY'
import json, sys
def walk(t):
    p = f = 0
    for c in t.get("test_cases", []):
        if c.get("sub_groups") or c.get("test_cases"):
            cp, cf = walk(c)
            p += cp; f += cf
        elif c.get("status") == "PASS":
            p += 1
        elif c.get("status") != "SKIP":
            f += 1
    for g in t.get("sub_groups", []):
        gp, gf = walk(g)
        p += gp; f += gf
    return p, f
try:
    print(*walk(json.load(open(sys.argv[1]))))
except Exception:
    print(0, 1)
PY
)
if [ "$vm" -ne 0 ]; then
	echo "kunit: the VM run failed (see above): counting every case as failed"
	failed=$((passed + failed))
	passed=0
	[ "$failed" -gt 0 ] || failed=1
fi
record kunit "$passed" "$failed"
[ "$failed" -eq 0 ]
