#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debian-test.sh - the `debian` layer of `make check`: a real host.
#
# Debian 12 with systemd as PID 1 (the root file system of
# scripts/rootfs.sh, built once per machine and cached), booted on
# Debian's stock 6.12 kernel by qemu/run-debian; luo installed there from
# the .debs of `make deb` and set up with exactly the commands of
# docs/user-guide.md, then three `systemctl kexec`s in one run
# (tests/debian/guide-test.sh says what each boot does): sessions kept
# through systemd's shutdown and retrieved byte for byte, the jumps
# luoctl kexec refuses, luo loaded late by hand, a jump with nothing
# preserved.
#
#   scripts/debian-test.sh               the layer
#   scripts/debian-test.sh --break NAME  the same with a fault put in, to
#                                        see the layer fail:
#                                        no-systemd-holder  the holder is
#                                        started without systemd-run and
#                                        '@' (LUOCTL_NO_SYSTEMD=1) and the
#                                        jump forced past luoctl kexec's
#                                        refusal, so systemctl kexec kills
#                                        the holder
#
# Logs in build/results/debian/: the guest's TAP output, console, kernel
# log of every boot, control channel.  Counts per group of tests go to
# the kernel x suite matrix (column "Debian 12 + systemd").
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"
. "$LUO_TOP/scripts/vmlib.sh"

brk=""
case "${1:-}" in
"") ;;
--break) brk=${2:?--break NAME} ;;
*) die "usage: scripts/debian-test.sh [--break no-systemd-holder]" ;;
esac
case "$brk" in
"" | no-systemd-holder) ;;
*) die "unknown --break '$brk'" ;;
esac

"$LUO_TOP/scripts/deps.sh" base deb || exit 1
log=$LUO_TOP/build/results/debian
rm -rf "$log"
mkdir -p "$log"
t0=$(date +%s)

# The root file system: cold, a debootstrap; warm, a look in the cache.
if ! rootfs=$("$LUO_TOP/scripts/rootfs.sh" 2> "$log/rootfs.log"); then
	cat "$log/rootfs.log" >&2
	fail "debian: rootfs" "see $log/rootfs.log"
	record debian "$PASSED" "$FAILED"
	exit 1
fi
t_rootfs=$(($(date +%s) - t0))
if ! "$LUO_TOP/scripts/deb.sh" > "$log/deb.log" 2>&1; then
	tail -n 20 "$log/deb.log"
	fail "debian: make deb" "see $log/deb.log"
	record debian "$PASSED" "$FAILED"
	exit 1
fi

if ! payload=$(debian_payload "$LUO_TOP/tests/debian/guide-test.sh" \
	"$LUO_TOP/tests/debian/vmm.c"); then
	fail "debian: payload" "the .debs of make deb missing?"
	record debian "$PASSED" "$FAILED"
	exit 1
fi
trap 'rm -rf "$payload"' EXIT
base=${LUO_HANDOVER_BASE:-0x38000000}
size=${LUO_HANDOVER_SIZE:-256M}
# The range in bytes, for the guide's handover_size=.
bytes=$(numfmt --from=iec "$size")
printf 'BASE=%s\nSIZE=%s\n' "$base" "$bytes" > "$payload/params"
if [ "$brk" = no-systemd-holder ]; then
	echo "BREAK=no-systemd-holder" >> "$payload/params"
fi

echo "debian: $(cat "$rootfs/release"), rootfs $rootfs (${t_rootfs} s)"
t1=$(date +%s)
LUO_HANDOVER_BASE=$base LUO_HANDOVER_SIZE=$size \
	"$LUO_TOP/qemu/run-debian" --payload "$payload" --stages 4 \
	--timeout "${LUO_DEBIAN_TIMEOUT:-1800}" --quiet \
	--out "$log/guest.tap" --kmsg "$log/kmsg.log" \
	--console "$log/console.log" --ctl "$log/ctl.log" \
	2> "$log/run.log"
vmrc=$?
t_vm=$(($(date +%s) - t1))
cat "$log/run.log"

# The guest's own tests, per group.
declare -A gp gf
for g in guide refuse late empty qemu; do gp[$g]=0 gf[$g]=0; done
while read -r line; do
	case "$line" in
	"# boot "*) echo "$line"; continue ;;
	"ok - "*) r=ok; rest=${line#ok - } ;;
	"not ok - "*) r=nok; rest=${line#not ok - } ;;
	*) continue ;;
	esac
	g=${rest%%:*}
	[ -n "${gp[$g]+x}" ] || g=guide
	echo "$line"
	if [ "$r" = ok ]; then
		PASSED=$((PASSED + 1)) gp[$g]=$((gp[$g] + 1))
	else
		FAILED=$((FAILED + 1)) gf[$g]=$((gf[$g] + 1))
	fi
done < <(tr -d '\r' < "$log/guest.tap")
# The run itself: every boot passed, no kernel report, powered off.
if [ "$vmrc" = 0 ]; then
	pass "debian: four boots, three systemctl kexecs, no kernel report"
	gp[guide]=$((gp[guide] + 1))
else
	fail "debian: the VM run" "$(sed 1d "$log/run.log" | tr '\n' ' ')"
	gf[guide]=$((gf[guide] + 1))
	for f in console.log kmsg.log ctl.log; do
		echo "--- $f (last lines):"
		tail -n 25 "$log/$f" | sed 's/^/  /'
	done
fi
suite_count "debian-guide (systemd)" "${gp[guide]}" "${gf[guide]}"
suite_count "debian-kexec refusals" "${gp[refuse]}" "${gf[refuse]}"
suite_count "debian-late modprobe" "${gp[late]}" "${gf[late]}"
suite_count "debian-empty kexec" "${gp[empty]}" "${gf[empty]}"
suite_count "debian-QEMU guests" "${gp[qemu]}" "${gf[qemu]}"

boots=$(grep -c '^boot [0-9]*$' "$log/ctl.log" || true)
echo "debian: rootfs ${t_rootfs} s, VM ${t_vm} s for $boots boot(s)"
figure "debian: rootfs ${t_rootfs} s (cached: $([ "$t_rootfs" -lt 30 ] &&
	echo yes || echo no)), VM ${t_vm} s: $boots boots, 3 systemctl kexecs"
record debian "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
