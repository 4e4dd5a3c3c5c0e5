#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - `make demo`: luo in a QEMU guest, explained as it runs.
#
# Until the handover lands, the demo boots the test kernel, loads luo,
# shows the device and the module's status, and says what the live update
# demo will show.  Everything it needs is installed and built on first use.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

say() { printf '%s\n' "$*"; }

say "luo demo: the Live Update Orchestrator as a loadable module."
say "Preparing: Debian packages, the test kernel (built once, ~5 min, cached"
say "in $LUO_CACHE) and luo.ko..."
kroot=$("$LUO_TOP/scripts/test-kernel.sh")
make -s -C "$LUO_TOP" module KDIR="$kroot/build" > /dev/null

out=$(mktemp)
trap 'rm -f "$out"' EXIT
say "Booting the test kernel in QEMU (software emulation: ~20 s)..."
say
"$LUO_TOP/qemu/run" --quiet --no-kmemleak --out "$out" -- sh -c '
	exec > "$LUO_OUT" 2>&1
	echo "In the guest: $(uname -sr), luo.ko loaded:"
	echo
	echo "  \$ ls -l /dev/liveupdate"
	echo "  $(ls -l /dev/liveupdate)"
	echo
	echo "  \$ cat /sys/class/misc/liveupdate/status"
	sed "s/^/  /" /sys/class/misc/liveupdate/status
	echo
	echo "  \$ cat /sys/module/luo/parameters/device"
	echo "  $(cat /sys/module/luo/parameters/device)"
	echo
	echo "  The reserved handover range is on the kernel command line:"
	echo "  $(grep -o "memmap=[^ ]*" /proc/cmdline)"
	echo
	printf "  One open at a time: a second open of /dev/liveupdate says: "
	exec 3<>/dev/liveupdate
	( exec 4<>/dev/liveupdate ) 2>&1 | sed "s/.*: //"
	exec 3>&-
'
cat "$out"
cat <<'TEXT'

What the live update demo will show, once sessions and the handover land:
  1. a small VMM allocates 64 MiB of "guest memory" in a memfd and keeps
     writing to it;
  2. it creates a session on /dev/liveupdate and preserves the memfd in it;
  3. the guest kexecs into a new kernel: luo freezes the session at the
     reboot notifier and writes it into the reserved range;
  4. in the new kernel the VMM retrieves the session and the memfd, checks
     every byte against what it wrote before the freeze, finishes the
     session, and prints how long the freeze and the restore took.

Run the tests with: make check
TEXT
