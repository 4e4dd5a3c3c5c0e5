#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-stage.sh - `make demo` in the Debian VM (scripts/demo.sh puts it on
# the payload disk as stage.sh; tests/debian/harness.sh runs it once per
# boot, as root, under systemd).
#
#   1  install luo's .debs and set luo up as the user's guide says (DKMS
#      builds it); start two QEMU guests (luo-guest.elf) of $DEMO_MEM
#      each, one with its RAM in a luo memory file (zero copy), one in a
#      memfd (copied); let them count; save them (luo-qemu save); jump
#      (luoctl kexec: systemctl kexec)
#   2  luo restored the sessions; resume both guests (luo-qemu resume):
#      their counters go on, their RAM checks; the pause, split
#
# What the demo shows goes to $LUO_OUT, which scripts/demo.sh prints as it
# comes; the harness's usual chatter goes to the console only.
set -uo pipefail
. "${LUO_PAYLOAD:-/payload}/lib.sh"
screen=$out
out=/dev/null			# lib.sh's TAP lines: console only
show() { echo "$*"; echo "$*" > "$screen"; }
# run PREFIX CMD...: CMD's output shown line by line.  Through a file, not
# a pipe: luoctl's holders and QEMU outlive the command.
run() {
	local p=$1 rc
	shift
	"$@" > "$work/run.out" 2>&1
	rc=$?
	while IFS= read -r l; do show "$p $l"; done < "$work/run.out"
	return "$rc"
}
nok() { show "FAILED: $1"; failed=1; }
mem=${DEMO_MEM:-128M}
# The last count line of VM's serial log, from line FROM on.
last_count() { tail -n "+$((${2:-0} + 1))" "$(glog "$1")" | grep 'count=' | tail -n 1; }
first_count() { tail -n "+$((${2:-0} + 1))" "$(glog "$1")" | grep 'count=' | head -n 1; }

case "$LUO_STAGE" in
1)
	show "[kernel 1] $(uname -r), Debian 12, systemd $(systemctl --version | sed -n '1s/systemd \([0-9]*\).*/\1/p')"
	cp "$P"/debs/*.deb "$work/"
	show "[kernel 1] installing luo (dpkg -i; DKMS builds the module)..."
	run_guide demo install > /dev/null && run_guide demo range > /dev/null &&
		run_guide demo load > /dev/null || { show "$(tail -n 5 "$work/last")"; exit 1; }
	show "[kernel 1] luo loaded: $(luoctl status | grep -E '^(handover|range|pool)' | tr -s ' ' | paste -sd ';' -)"
	for kind in memfile memfd; do
		vm=vm-$kind
		args=(--memory "$mem")
		[ "$kind" = memfile ] && args+=(--memfile)
		run "[kernel 1]" luo-qemu start "$vm" "${args[@]}" -- \
			-nodefaults -display none \
			-chardev "file,id=log,path=$(glog "$vm"),append=on" \
			-serial chardev:log -kernel /usr/lib/luo/luo-guest.elf ||
			nok "$vm did not start"
	done
	for vm in vm-memfile vm-memfd; do
		wait_lines "$vm" 'count=' 2 > /dev/null ||
			{ nok "$vm's guest did not start counting"; exit 1; }
	done
	for vm in vm-memfile vm-memfd; do
		run "[kernel 1]" luo-qemu save "$vm" || nok "$vm: save failed"
		wc -l < "$(glog "$vm")" > "/var/lib/luo-test/$vm.lines"
		show "[kernel 1] $vm's guest, last words before the update: $(last_count "$vm")"
	done
	show "[kernel 1] luoctl list:"
	run "   " luoctl list
	show "[kernel 1] luoctl kexec: systemctl kexec into the next kernel..."
	echo "luoctl kexec" > /run/luo-test/next
	;;
2)
	show "[kernel 2] up: $(systemd-analyze time 2>&1 | head -n 1 | sed 's/^Startup finished in //')"
	show "[kernel 2] luo: $(restored | sed 's/^.*luo: //')"
	for vm in vm-memfile vm-memfd; do
		run "[kernel 2]" luo-qemu resume "$vm" || nok "$vm: resume failed"
	done
	for vm in vm-memfile vm-memfd; do
		from=$(cat "/var/lib/luo-test/$vm.lines")
		if wait_lines "$vm" 'count=' 2 "$from" > /dev/null &&
			wait_lines "$vm" 'sweep [0-9]+ ok' 1 "$from" > /dev/null &&
			guest_ok "$vm" > /dev/null; then
			show "[kernel 2] $vm's guest, first words after the update: $(first_count "$vm" "$from")"
			show "[kernel 2] $vm's guest checked all its RAM since: $(tail -n "+$((from + 1))" "$(glog "$vm")" | grep -E 'sweep [0-9]+ ok' | head -n 1)"
		else
			nok "$vm's guest: $(tail -n 2 "$(glog "$vm")" | tr '\n' ' ')"
		fi
		luo-qemu quit "$vm"
	done
	echo poweroff > /run/luo-test/next
	;;
esac
exit "$failed"
