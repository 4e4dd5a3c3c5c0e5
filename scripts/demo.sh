#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - `make demo`: a VMM-style live update in a QEMU guest.
#
# Two toy VMMs (tools/luo-vmm.c) keep 64 MiB of "guest memory" each, one
# in a luo memory file (/dev/liveupdate_mem: handed over in place), one in
# a memfd (copied at the freeze and at RETRIEVE_FD), while a vCPU thread
# writes it; each pauses, preserves its memory in a luo session and stays
# alive holding it; the guest kexecs into a new kernel; there each VMM
# retrieves its memory, checks every byte and finishes.  Everything it
# needs is installed and built on first use.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

say() { printf '%s\n' "$*"; }

say "luo demo: a live update that keeps a VM's memory across a kexec."
say
say "Preparing: Debian packages, the test kernel (built once, ~5 min, cached"
say "in $LUO_CACHE) and luo.ko..."
kroot=$("$LUO_TOP/scripts/test-kernel.sh")
make -s -C "$LUO_TOP" module KDIR="$kroot/build" > /dev/null
mkdir -p "$LUO_TOP/build/tools"
vmm=$LUO_TOP/build/tools/luo-vmm
"$LUO_TOP/scripts/build-tools.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say "Booting the test kernel in QEMU (software emulation: ~1 min in all)."
say "The handover range is 160 MiB at 0x30000000, reserved with memmap=."
say
# 64 MiB of guest memory needs a range larger than the tests' default.
export LUO_HANDOVER_BASE=0x30000000 LUO_HANDOVER_SIZE=160M
set +e
"$LUO_TOP/qemu/run" --no-kmemleak --kexec 1 --add "$vmm" \
	--add "$LUO_TOP/build/tools/luoctl.static" \
	--out "$tmp/out" -- sh -c '
	exec >> "$LUO_OUT" 2>&1
	if [ "$LUO_STAGE" = 1 ]; then
		echo "Kernel 1 ($(uname -r)), luo loaded: $(grep ^handover: /sys/class/misc/liveupdate/status)"
		./luo-vmm start && ./luo-vmm --memfd start
		echo "Kernel 1: what luoctl list shows before the jump:"
		./luoctl.static list | sed "s/^/  /"
		echo "Kernel 1: kexec into the new kernel..."
	else
		echo "Kernel 2, luo loaded: $(grep -e ^handover: -e ^generation: /sys/class/misc/liveupdate/status | tr "\n" " ")"
		echo "Kernel 2: luoctl list, before the VMM takes its memory back:"
		./luoctl.static list | sed "s/^/  /"
		./luo-vmm resume && ./luo-vmm --memfd resume
	fi' > "$tmp/console" 2>&1
rc=$?
set -e
cat "$tmp/out"
freeze=$(grep -o 'kexec: handed over.*' "$tmp/console" | head -n1 || true)
restore=$(grep -o 'restored generation.*' "$tmp/console" | head -n1 || true)
say
say "What luo did (from the kernel logs):"
say "  freeze in kernel 1:  ${freeze:-not seen}"
say "  restore in kernel 2: ${restore:-not seen}"
say
if [ "$rc" -eq 0 ]; then
	say "The VM's memory survived the kernel switch.  Run the tests with: make check"
else
	say "The demo FAILED; the guest console is below."
	cat "$tmp/console"
	exit 1
fi
