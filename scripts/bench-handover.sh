#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-handover.sh [test|stock-6.12|stock-6.1] [memfd|memfile|sessions]...
# - freeze and restore times of a live update, in one run, on that kernel
# (default: test); the rows of the groups named (default: all three).
#
# Runs tools/luo-vmm across a kexec for 1, 64 and 256 MiB of guest memory
# in a memfd (copied at the freeze and at RETRIEVE_FD) and for 64, 256 and
# 1024 MiB in a memory file (handed over in place), and
# tests/vm/luo_handover_test for 2000 sessions,
# and prints what luo's kernel log says the freeze and the restore took,
# next to a memcpy of the same size in the same guest (glibc's) and the
# kernel's own copy of it (a pread of the whole file).  The test kernel
# has KASAN, a stock kernel does not; both run under TCG: compare the
# columns with each other (the ratios), not with a real machine.  Not part
# of `make check`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=${1:-test}
groups=${*:2}
groups=${groups:-memfd memfile sessions}
want() { [[ " $groups " == *" $1 "* ]]; }
kroot=$("$LUO_TOP/scripts/test-kernel.sh")
make -s -C "$LUO_TOP" module KDIR="$kroot/build" > /dev/null
mkdir -p "$LUO_TOP/build/tools" "$LUO_TOP/build/vm"
vmm=$LUO_TOP/build/tools/luo-vmm
"$LUO_TOP/scripts/build-tools.sh"
gcc -static -O2 -Wall -Wextra -Werror -I"$LUO_TOP/include/uapi" \
	-o "$LUO_TOP/build/vm/luo_handover_test" \
	"$LUO_TOP/tests/vm/luo_handover_test.c"
export LUO_HANDOVER_BASE=0x40000000 LUO_HANDOVER_SIZE=1088M
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

us() { sed -n "s/.*$1 \([0-9]*\) us.*/\1/p" "$2" | head -n1; }

printf '%-22s %10s %10s %12s %14s %10s %10s %12s\n' "what" "freeze ms" \
	"restore ms" "retrieve ms" "RETRIEVE_FD ms" "memcpy ms" "pread ms" \
	"new memfd ms"
# kind MiB: one live update of luo-vmm with that much guest memory, in a
# memfd (copied) or in a memory file (handed over in place).
run_vmm() {
	local kind=$1 mib=$2 opt="" log=$tmp/$1-$2.log f r rt fd mc kc wc
	[ "$kind" = memfd ] && opt=--memfd
	"$LUO_TOP/qemu/run" --kernel "$kernel" --no-kmemleak --prealloc --mem 3G --kexec 1 --add "$vmm" \
		--timeout 900 -- sh -c "export LUO_VMM_MIB=$mib
		if [ \$LUO_STAGE = 1 ]; then ./luo-vmm $opt start; else ./luo-vmm $opt resume; fi" \
		> "$log" 2>&1 || { echo "run for $kind $mib MiB failed"; tail "$log"; exit 1; }
	f=$(us 'frozen in' "$log")
	r=$(sed -n 's/.*restored generation.* in \([0-9]*\) us.*/\1/p' "$log")
	rt=$(sed -n 's/.*retrieved the session and its .* in \([0-9.]*\) ms$/\1/p' "$log")
	fd=$(sed -n 's/.*of which RETRIEVE_FD: \([0-9.]*\) ms$/\1/p' "$log")
	mc=$(sed -n 's/.*memcpy of [0-9]* MiB in this guest: \([0-9.]*\) ms.*/\1/p' "$log")
	kc=$(sed -n "s/.*the kernel's copy (pread of the .*) of [0-9]* MiB: \([0-9.]*\) ms.*/\1/p" "$log")
	wc=$(sed -n "s/.*a write of [0-9]* MiB into a new memfd: \([0-9.]*\) ms.*/\1/p" "$log")
	printf '%-22s %10.1f %10.1f %12s %14s %10s %10s %12s\n' "$kind $mib MiB" \
		"$(echo "$f / 1000" | bc -l)" "$(echo "$r / 1000" | bc -l)" "$rt" \
		"$fd" "$mc" "$kc" "$wc"
}
if want memfd; then
	for mib in 1 64 256; do
		run_vmm memfd "$mib"
	done
fi
if want memfile; then
	for mib in 64 256 1024; do
		run_vmm "memory file" "$mib"
	done
fi
want sessions || exit 0
# Metadata: the handover test's sessions, 2000 and then 20 000 of them
# (plus its 5 others and 505 memfds): linear in the number of records?
for n in 2000 20000; do
	"$LUO_TOP/qemu/run" --kernel "$kernel" --no-kmemleak --prealloc --mem 3G --kexec 1 \
		--add "$LUO_TOP/build/vm/luo_handover_test" --timeout 1800 -- \
		sh -c "LUO_MANY_SESSIONS=$n ./luo_handover_test" \
		> "$tmp/sessions-$n.log" 2>&1 ||
		{ echo "$n-session run failed"; exit 1; }
	f=$(us 'frozen in' "$tmp/sessions-$n.log")
	r=$(sed -n 's/.*restored generation.* in \([0-9]*\) us.*/\1/p' "$tmp/sessions-$n.log")
	printf '%-22s %10.1f %10.1f %12s %14s %10s %10s %12s\n' \
		"$((n + 5)) sessions, 505 fds" "$(echo "$f / 1000" | bc -l)" \
		"$(echo "$r / 1000" | bc -l)" - - - - -
done
