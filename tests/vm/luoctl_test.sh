#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# luoctl_test.sh - an operator's live update with luoctl, in two boots
# (qemu/run --kexec 1; busybox sh).  Prints TAP "ok"/"not ok" lines, and
# the JSON of "luoctl status --json" and "luoctl list --json" as
# "# json NAME {...}" lines that the host parses (scripts/vm-test.sh).
#
# Boot 1: a fake VMM holds 1 MiB of guest memory in a memfd; the operator
# preserves it with "luoctl preserve --session vm /proc/PID/fd/3" and
# jumps with "luoctl kexec".  Boot 2: "luoctl retrieve ... -- fake_vmm
# check" gets the memfd back and checks every byte.  The errors an
# operator can make along the way are checked too.
SIZE=1048576
SEED=4242
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
# expect RC DESCRIPTION -- CMD...: CMD exits RC; its output is in $out.
expect() {
	want=$1 what=$2
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$what"
	else
		nok "$what (exit $rc, want $want): $out"
	fi
}
# has PATTERN DESCRIPTION: the last $out matches the grep -E PATTERN.
has() {
	if echo "$out" | grep -qE "$1"; then ok "$2"; else nok "$2: $out"; fi
}
json() { echo "# json $1 $(luoctl "$2" --json)"; }

cp ./luoctl.static /sbin/luoctl
cp ./fake_vmm /sbin/fake_vmm

case "$LUO_STAGE" in
1)
	expect 0 "--version" -- luoctl --version
	expect 2 "an unknown command is a usage error" -- luoctl frobnicate
	expect 2 "preserve without --session is a usage error" -- \
		luoctl preserve /dev/null
	expect 0 "every command has --help" -- sh -c \
		'for c in status list preserve cancel retrieve finish kexec; do
			luoctl $c --help | grep -q "^usage: luoctl $c" || exit 1
		done'
	expect 3 "a device that is not there: not loaded" -- \
		luoctl -d nosuch status
	has "not loaded" "... and says so"

	expect 0 "status" -- luoctl status
	has "^handover: +no image, range 0x" "status shows the range"
	json status1 status

	expect 3 "kexec refuses when nothing is preserved" -- \
		luoctl kexec --dry-run --kernel /boot/vmlinuz
	has "nothing is preserved" "... and says why"

	pid=$(fake_vmm start $SIZE $SEED)
	[ -n "$pid" ] && ok "a fake VMM holds guest memory (pid $pid)" ||
		nok "fake VMM did not start"
	expect 0 "preserve the VMM's memfd by path" -- \
		luoctl preserve --session vm --token 7 /proc/$pid/fd/3
	has "held by pid [0-9]+" "... a holder keeps the session"
	expect 1 "the same session name again: EEXIST" -- \
		luoctl preserve --session vm /proc/$pid/fd/3
	has "EEXIST" "... named in the error"
	expect 1 "the same memfd in another session: EBUSY" -- \
		luoctl preserve --session again /proc/$pid/fd/3
	has "EBUSY" "... named in the error"
	expect 1 "/dev/null cannot be preserved: ENOENT" -- \
		luoctl preserve --session null /dev/null
	has "ENOENT" "... named in the error"
	has "memfds and unlinked tmpfs" "... with what to do"

	# An unlinked tmpfs file, given as an inherited descriptor.
	dd if=/dev/urandom of=/dev/shm/spare bs=4096 count=3 2>/dev/null
	exec 4<>/dev/shm/spare
	rm /dev/shm/spare
	expect 0 "preserve an inherited fd" -- \
		luoctl preserve --session spare --token 5 4
	exec 4<&-
	# One more, then cancelled: its file is free again.
	dd if=/dev/zero of=/dev/shm/gone bs=4096 count=1 2>/dev/null
	exec 5<>/dev/shm/gone
	rm /dev/shm/gone
	expect 0 "preserve a third session" -- \
		luoctl preserve --session gone 5
	expect 0 "cancel it" -- luoctl cancel gone
	expect 0 "its file can be preserved again" -- \
		luoctl preserve --session gone2 5
	expect 0 "and cancelled again" -- luoctl cancel gone2
	expect 1 "cancel of an unknown session fails" -- luoctl cancel nope
	exec 5<&-

	expect 0 "list" -- luoctl list
	has "^out +vm +open +1 +\(held by luoctl pid [0-9]+\)" "list shows vm"
	has "token 7 +memfd-v1 +1\.0 MiB +preserved" "list shows its memfd"
	has "^out +spare +open +1" "list shows spare"
	json list1 list
	expect 0 "status counts 2 sessions and 2 files out" -- luoctl status
	has "outgoing: +2 session\(s\), 2 file\(s\)" "... in the status"

	: > /tmp/x.cpio
	# The next kernel needs a luo module where modprobe would find it.
	expect 3 "kexec refuses a kernel without an installed luo module" -- \
		luoctl kexec --dry-run --kernel /boot/vmlinuz --initrd /tmp/x.cpio
	rel_re=$(uname -r | sed 's/[.+]/\\&/g')
	has "no luo module is installed for kernel $rel_re " \
		"... names the release (read from the image) and says why"
	mkdir -p "/lib/modules/$(uname -r)/updates"
	cp /lib/modules/luo.ko "/lib/modules/$(uname -r)/updates/luo.ko"
	expect 0 "kexec --dry-run" -- luoctl kexec --dry-run \
		--kernel /boot/vmlinuz --initrd /tmp/x.cpio --append extra=1
	has "^kexec -s -l /boot/vmlinuz --initrd=/tmp/x.cpio --command-line=.*memmap=.* extra=1$" \
		"... keeps the command line and memmap="
	expect 1 "kexec of a missing kernel fails" -- \
		luoctl kexec --kernel /nonexistent

	arg=$(/init --prepare-jump)
	luoctl kexec --kernel /boot/vmlinuz --initrd /tmp/initrd.cpio \
		--append "$arg"
	nok "luoctl kexec returned $?"
	;;
2)
	expect 0 "status after the jump" -- luoctl status
	has "^handover: +restored" "... says restored"
	has "^incoming: +2 session\(s\), 2 file\(s\)" "... two sessions in"
	json status2 status
	expect 0 "list" -- luoctl list
	has "^in +vm +pending +1" "vm came over"
	has "^in +spare +pending +1" "spare came over"
	json list2 list

	expect 3 "kexec refuses while incoming sessions are unfinished" -- \
		luoctl kexec --dry-run --kernel /boot/vmlinuz
	has "would be lost" "... and says why"
	expect 1 "retrieve of an unknown token fails before taking anything" -- \
		luoctl retrieve --session vm --token 99 -- true
	has "no token 99" "... naming the tokens"
	expect 1 "retrieve with a missing command fails before taking anything" -- \
		luoctl retrieve --session vm --token 7 -- /no/such/cmd
	expect 0 "vm is still there to retrieve" -- luoctl list
	has "^in +vm +pending" "... pending"
	expect 1 "retrieve of an unknown session: ENOENT" -- \
		luoctl retrieve --session nope --token 1 -- true
	has "ENOENT" "... named in the error"

	expect 0 "retrieve hands the memfd to the VMM, every byte intact" -- \
		luoctl retrieve --session vm --token 7 -- \
		fake_vmm check $SIZE $SEED
	has "1048576 bytes match" "... fake_vmm checked it"
	expect 0 "list" -- luoctl list
	if echo "$out" | grep -q " vm "; then
		nok "vm should be finished when its command exited: $out"
	else
		ok "vm finished when its command exited"
	fi
	expect 1 "retrieve again: EINVAL or ENOENT" -- \
		luoctl retrieve --session vm --token 7 -- true
	expect 0 "finish spare, which nobody retrieved" -- luoctl finish spare
	expect 1 "finish it again: ENOENT" -- luoctl finish spare
	has "ENOENT" "... named in the error"
	expect 0 "status" -- luoctl status
	has "^incoming: +0 session\(s\), 0 file\(s\)" "nothing left in"
	json status3 status
	;;
esac
