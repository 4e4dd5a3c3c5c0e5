#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - `make demo`: a real QEMU guest survives its host's kernel
# switch.
#
# A Debian 12 host with systemd (the VM of the `debian` layer: rootfs
# built once and cached, Debian's stock 6.12 kernel) installs luo from its
# .debs, as the user's guide says, and runs two guests under Debian's own
# QEMU: luo-guest.elf, which fills its RAM with a pattern and then checks
# and rewrites it page by page, printing a counter.  One guest's RAM is a
# luo memory file (handed over in place), the other's a memfd (copied).
# luo-qemu saves both (QMP stop, device state, luoctl preserve), the host
# kexecs through systemd, and luo-qemu resumes them in the new kernel: the
# counters go on from where they stopped, every page checks, and the
# pause is shown split into its parts (tests/debian/demo-stage.sh).
#
# DEMO_MEM (default 128M) is each guest's RAM.  QEMU runs under TCG inside
# a VM that runs under TCG, so everything is slow: a few minutes in all.
# The toy VMM that the demo used to be is tested in the VM suite
# (tests/vm/luo_handover_test.c, tools/luo-vmm.c).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

say() { printf '%s\n' "$*"; }
mem=${DEMO_MEM:-128M}

say "luo demo: a QEMU guest that lives through a live update of its host."
say
say "Preparing: Debian packages, the Debian 12 host image (built once,"
say "~5 min, cached in $LUO_CACHE) and luo's .debs..."
"$LUO_TOP/scripts/deps.sh" base deb > /dev/null
"$LUO_TOP/scripts/rootfs.sh" > /dev/null
"$LUO_TOP/scripts/deb.sh" > /dev/null

payload=$(debian_payload "$LUO_TOP/tests/debian/demo-stage.sh") || exit 1
trap 'rm -rf "$payload"' EXIT
base=0x38000000
size=384M
printf 'BASE=%s\nSIZE=%s\nDEMO_MEM=%s\n' "$base" \
	"$(numfmt --from=iec "$size")" "$mem" > "$payload/params"

rel=$(cat "$("$LUO_TOP/scripts/rootfs.sh")/release")
say "Booting the host in QEMU: Debian 12, systemd, stock $rel,"
say "a handover range of $size at $base (memmap=).  It installs luo from"
say "the .debs (DKMS builds it there), then runs two guests of $mem each,"
say "one on a luo memory file, one on a memfd.  Several minutes under TCG."
say
set +e
LUO_HANDOVER_BASE=$base LUO_HANDOVER_SIZE=$size \
	"$LUO_TOP/qemu/run-debian" --payload "$payload" --stages 2 \
	--timeout 1800 --quiet --follow-out --console "$payload/console"
rc=$?
set -e
say
if [ "$rc" -eq 0 ]; then
	say "Both guests went on counting, on the same memory, in the new kernel."
	say "Run the tests with: make check"
else
	say "The demo FAILED; the host's console ends with:"
	tail -n 40 "$payload/console"
	exit 1
fi
