#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-stage.sh - scripts/bench-qemu-update.sh in the Debian VM: one QEMU
# guest (luo-guest.elf) per configuration of $BENCH ("memfd:256M
# memfile:256M ..."), each taken through its own live update, one kexec
# after another.
#
#   1    install luo's .debs as the user's guide says; start the first
#        configuration's guest, let it count, luo-qemu save, luoctl kexec
#   k    luo-qemu resume the previous guest, check it counts on and its
#        RAM checks, its pause split as a line "pause {json}" on $LUO_OUT;
#        quit it; then the next configuration, as in 1
#   N+1  the last one resumed; power off
set -uo pipefail
. "${LUO_PAYLOAD:-/payload}/lib.sh"
WAIT_S=1800			# a 1 GiB guest fills its RAM slowly under nested TCG
read -r -a configs <<< "${BENCH:-memfd:256M memfile:256M}"
n=${#configs[@]}
k=$LUO_STAGE

if [ "$k" = 1 ]; then
	cp "$P"/debs/*.deb "$work/"
	run_guide bench install && run_guide bench range &&
		run_guide bench load || exit 1
else
	prev=${configs[$((k - 2))]}
	vm=vm$((k - 1))
	from=$(cat "/var/lib/luo-test/$vm.lines")
	check bench: "$prev: resumed" -- luo-qemu resume "$vm"
	cat "$work/last"
	check bench: "$prev: the guest counts on" -- \
		wait_lines "$vm" 'count=' 1 "$from"
	check bench: "$prev: one boot, no BAD page, the count never went back" \
		-- guest_ok "$vm"
	say "pause $(luo-qemu pause "$vm" --json)"
	luo-qemu quit "$vm"
fi
if [ "$k" -le "$n" ]; then
	cfg=${configs[$((k - 1))]}
	vm=vm$k
	args=(--memory "${cfg#*:}")
	[ "${cfg%%:*}" = memfile ] && args+=(--memfile)
	check bench: "$cfg: started" -- luo-qemu start "$vm" "${args[@]}" -- \
		-nodefaults -display none -serial chardev:log \
		-chardev "file,id=log,path=$(glog "$vm"),append=on" \
		-kernel /usr/lib/luo/luo-guest.elf -append every=16384
	check bench: "$cfg: the guest filled its RAM" -- \
		wait_lines "$vm" 'count=' 1
	check bench: "$cfg: saved" -- luo-qemu save "$vm"
	wc -l < "$(glog "$vm")" > "/var/lib/luo-test/$vm.lines"
	echo "luoctl kexec" > /run/luo-test/next
fi
exit "$failed"
