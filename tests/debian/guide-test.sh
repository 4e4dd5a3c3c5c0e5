#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guide-test.sh - the Debian test VM's stages (scripts/debian-test.sh puts
# it on the payload disk as stage.sh; tests/debian/harness.sh runs it once
# per boot, as root, from luo-test.service, with LUO_STAGE=1, 2, ...).
#
# What an operator of a Debian 12 host does, from docs/user-guide.md:
# every block of the guide marked "<!-- guide-test: NAME -->" is run as it
# stands, with three substitutions a real host would make too: the
# guide's example range (8 GiB at 0x100000000) is this VM's
# ($LUO_HANDOVER_BASE/SIZE, on the command line as memmap= by
# qemu/run-debian, which plays the boot loader), the VMM's pid and fd
# (1234, 17) are the test VMM's, and the QEMU command line given to
# `luoctl retrieve` is the test VMM's check.
#
#   1  install the .debs (DKMS builds luo in the VM), range, modprobe.d,
#      modules-load.d, udev; build a VMM against libluo-dev; the VMM runs
#      as a service holding a memfd; luoctl preserve; the failure modes
#      luoctl kexec refuses (no luo for the next kernel, no range on the
#      next command line); two QEMU guests (luo-guest.elf, guide 3.1),
#      one on a memory file and one on a memfd, saved with luo-qemu; then
#      the guide's `luoctl kexec`, which is `systemctl kexec` here
#   2  systemd up, luo loaded by modules-load.d and restored, luoctl
#      retrieve checks every byte; the QEMU guests resumed, counting on
#      from where they stopped; then a second session, and luo left
#      out of modules-load.d for the next boot; luoctl kexec --load-only
#      and plain systemctl kexec
#   3  luo loaded late, by hand: restores (within handover_max_age);
#      then a kexec with nothing preserved: luoctl kexec refuses, plain
#      `systemctl kexec` after `luoctl kexec --load-only --force`
#   4  systemd up again, luo loaded, nothing came over
#
# Output: TAP lines "ok - GROUP: what" on $LUO_OUT, GROUP one of guide,
# refuse, late, empty, qemu (a row each in the kernel x suite matrix); the
# stage fails if any line of it is "not ok".
set -uo pipefail
. "${LUO_PAYLOAD:-/payload}/lib.sh"

rel=$(uname -r)
case "$LUO_STAGE" in
1)
	systemd_up
	# The packages, as make deb built them, in the current directory.
	cp "$P"/debs/*.deb "$work/"
	run_guide guide install
	check guide: "dkms built and installed luo for $rel" -- \
		grep -q "^luo/.*, $rel, x86_64: installed" <<< "$last"
	check guide: "luo.ko is in /lib/modules/$rel/updates/dkms" -- \
		sh -c "ls /lib/modules/$rel/updates/dkms/luo.ko*"
	other=$(ls /boot/vmlinuz-* | grep -v "$rel" | head -n 1)
	orel=${other#/boot/vmlinuz-}
	check guide: "no luo for $orel, which has no headers" -- \
		sh -c "! ls /lib/modules/$orel/updates/dkms/luo.ko* 2> /dev/null"
	check guide: "luoctl, its manual and the library are installed" -- \
		sh -c 'command -v luoctl && ls /usr/share/man/man8/luoctl.8* &&
			ls /usr/lib/x86_64-linux-gnu/libluo.so.1'
	run_guide guide range
	run_guide guide load
	has "^handover: +no image, range $BASE" \
		"guide: luoctl status: no image, the VM's range"
	udevadm settle
	check guide: "udev: /dev/liveupdate is root:kvm 0660" -- \
		sh -c '[ "$(stat -c "%U:%G %a %F" /dev/liveupdate)" = \
			"root:kvm 660 character special file" ]'
	if [ -e /dev/liveupdate_mem ]; then
		check guide: "udev: /dev/liveupdate_mem is root:kvm 0660" -- \
			sh -c '[ "$(stat -c "%U:%G %a" /dev/liveupdate_mem)" = \
				"root:kvm 660" ]'
	fi
	# Two QEMU guests (guide 3.1), saved right before the jump.
	run_guide qemu qemu-start
	has "vm2: running, pid [0-9]+, 64M of RAM in a memfile" \
		"qemu: vm2 runs on a memory file"
	has "vm3: running, pid [0-9]+, 64M of RAM in a memfd" \
		"qemu: vm3 runs on a memfd"
	# A VMM built against libluo-dev, with the guide's command line.
	cp "$P/vmm.c" "$work/"
	run_guide guide vmm-build
	check guide: "the VMM is linked with libluo.so.1" -- \
		sh -c "ldd $work/vmm | grep 'libluo\.so\.1 => /'"
	check guide: "the VMM service holds 32 MiB of guest memory" -- \
		start_vmm vm1 32 7
	read -r VMM_PID VMM_FD < /run/vmm-vm1.pid

	expect 3 "refuse: luoctl kexec with nothing preserved" -- \
		luoctl kexec --dry-run
	has "nothing is preserved" "refuse: ... says nothing is preserved"
	run_guide guide preserve
	has "^session 'vm1': 1 file\(s\) preserved \(tokens 1\.\.1\), held by pid [0-9]+" \
		"guide: preserve says who holds vm1"
	holder=$(sed -n 's/.*held by pid \([0-9]*\).*/\1/p' <<< "$last")
	check guide: "the holder runs in luoctl-hold-vm1.scope" -- \
		systemctl is-active luoctl-hold-vm1.scope
	check guide: "the holder's argv[0] is @luoctl-hold" -- \
		sh -c "tr '\\0' '\\n' < /proc/$holder/cmdline |
			head -n 1 | grep -qx @luoctl-hold"
	check guide: "... and its cgroup is the scope's" -- \
		grep -q "luoctl-hold-vm1.scope" "/proc/$holder/cgroup"
	systemctl status --no-pager luoctl-hold-vm1.scope || true
	run_guide guide look
	has "^out +vm1 +open +1 +\(held by luoctl pid $holder\)" \
		"guide: luoctl list shows vm1 and its holder"

	# luoctl cancel stops a holder in its scope; the scope goes away.
	start_vmm tmp 1 3 > /dev/null
	expect 0 "guide: preserve a session to cancel" -- \
		luoctl preserve --session tmp "/proc/$VMM_PID/fd/$VMM_FD"
	expect 0 "guide: luoctl cancel stops its holder" -- luoctl cancel tmp
	check guide: "... and its scope is gone" -- \
		sh -c 'for i in $(seq 50); do
			systemctl is-active -q luoctl-hold-tmp.scope || exit 0
			sleep 0.1; done; exit 1'
	# A holder started without systemd would die in systemctl kexec.
	expect 0 "refuse: preserve it again, LUOCTL_NO_SYSTEMD=1" -- \
		env LUOCTL_NO_SYSTEMD=1 luoctl preserve --session tmp \
		"/proc/$VMM_PID/fd/$VMM_FD"
	expect 3 "refuse: luoctl kexec: a holder systemctl kexec would kill" -- \
		luoctl kexec --dry-run
	has "holder of session 'tmp' .* was not started through systemd" \
		"refuse: ... names the session and says why"
	expect 0 "refuse: cancel it" -- luoctl cancel tmp
	systemctl stop vmm-tmp.service
	read -r VMM_PID VMM_FD < /run/vmm-vm1.pid

	# What an operator gets wrong, refused before anything is loaded.
	expect 3 "refuse: a next kernel without luo ($orel)" -- \
		luoctl kexec --kernel "$other" --initrd "/boot/initrd.img-$orel"
	has "no luo module is installed for kernel $orel" \
		"refuse: ... names the kernel and says why"
	nomem=$(sed 's/\(^\| \)memmap=[^ ]*//g' /proc/cmdline)
	expect 3 "refuse: the range missing from the next command line" -- \
		luoctl kexec --command-line "$nomem"
	has "no memmap= on the next kernel's command line" \
		"refuse: ... and says why"
	check refuse: "nothing was loaded by the refused jumps" -- \
		grep -qx 0 /sys/kernel/kexec_loaded
	expect 0 "guide: luoctl kexec --dry-run goes through systemctl kexec" -- \
		luoctl kexec --dry-run
	has "^systemctl kexec$" "guide: ... says so"
	for vm in vm2 vm3; do
		check qemu: "$vm's guest filled its RAM and counts" -- \
			wait_lines "$vm" 'count=' 2
	done
	run_guide qemu qemu-save
	has "vm3: saved \(device state [0-9]+ bytes" "qemu: vm3 saved"
	for vm in vm2 vm3; do
		wc -l < "$(glog "$vm")" > "/var/lib/luo-test/$vm.lines"
		check qemu: "$vm: QEMU has quit" -- \
			sh -c "! kill -0 \$(cat /run/luo-qemu/$vm/pid 2> /dev/null)"
	done
	expect 0 "qemu: luoctl list" -- luoctl list
	has "^out +vm2 +open +2 " "qemu: vm2 holds RAM and device state"
	has "token 1 +luomem-v1 +64\.0 MiB" "qemu: ... its RAM a 64 MiB memory file"
	has "^out +vm3 +open +2 " "qemu: vm3 too, in a memfd"
	# The VMM keeps running: systemd stops it during the shutdown.
	guide jump > /run/luo-test/next
	[ -s /run/luo-test/next ] || nok "guide: no 'jump' block in the guide"
	# scripts/debian-test.sh --break no-systemd-holder: vm1 held again
	# without systemd, the jump forced past luoctl kexec's refusal into
	# the shutdown that kills the holder (stage 2 must fail).
	if [ "${BREAK:-}" = no-systemd-holder ]; then
		luoctl cancel vm1
		LUOCTL_NO_SYSTEMD=1 luoctl preserve --session vm1 --token 1 \
			"/proc/$VMM_PID/fd/$VMM_FD"
		echo "luoctl kexec --force" > /run/luo-test/next
	fi
	;;
2)
	systemd_up
	# systemd-modules-load ran and luo is loaded; nothing else loads it
	# (stage 3: without modules-load.d, luo is not there).
	check guide: "luo was loaded at boot (modules-load.d)" -- \
		sh -c "grep -q '^luo ' /proc/modules &&
			systemctl is-active systemd-modules-load.service"
	check guide: "luo restored generation 1: vm1, vm2 and vm3, 5 files" -- \
		sh -c "dmesg | grep -q 'restored generation 1 .*: 3 session(s), 5 file(s)'"
	restored
	if journalctl --list-boots --no-pager 2> /dev/null | grep -q '^ *-1 '; then
		# systemd-shutdown logs this when it spares a root-fs process.
		journalctl -b -1 -o cat --no-pager | grep -iE 'luoctl|kexec' |
			tail -n 20
	fi
	run_guide guide after
	has "^handover: +restored" "guide: luoctl status says restored"
	has "^in +vm1 +pending +1" "guide: luoctl list: vm1 pending"
	VMM_CHECK="32 7" run_guide guide retrieve
	has "all 33554432 bytes match" \
		"guide: the new VMM got every byte of vm1's memory"
	# The QEMU guests, on the same memory (guide 3.1).
	run_guide qemu qemu-resume
	has "vm2 \(64M in a memfile\): paused" "qemu: vm2 resumed"
	has "vm3 \(64M in a memfd\): paused" "qemu: vm3 resumed"
	grep -A7 ': paused' <<< "$last" | grep -v '^--$' |
		while read -r l; do say "# $l"; done
	for vm in vm2 vm3; do
		from=$(cat "/var/lib/luo-test/$vm.lines")
		check qemu: "$vm: the guest counts on after the update" -- \
			wait_lines "$vm" 'count=' 2 "$from"
		check qemu: "$vm: ... and a whole sweep of its RAM checks" -- \
			wait_lines "$vm" 'sweep [0-9]+ ok' 1 "$from"
		check qemu: "$vm: one boot, no BAD page, the count never went back" -- \
			guest_ok "$vm"
		expect 0 "qemu: luo-qemu quit $vm" -- luo-qemu quit "$vm"
	done
	expect 0 "guide: status after the retrieve" -- luoctl status
	has "^incoming: +0 session" "guide: nothing left incoming"

	# For the next boot: a second session, and luo not loaded at boot.
	check late: "a second VMM service, 16 MiB" -- start_vmm vm2 16 9
	read -r VMM_PID VMM_FD < /run/vmm-vm2.pid
	expect 0 "late: preserve vm2" -- luoctl preserve --session vm2 \
		--token 1 "/proc/$VMM_PID/fd/$VMM_FD"
	mv /etc/modules-load.d/luo.conf "$work/modules-load-luo.conf"
	# This time plain systemctl kexec, after luoctl has loaded the kernel.
	echo "luoctl kexec --load-only && systemctl kexec" > /run/luo-test/next
	;;
3)
	systemd_up
	check late: "luo was not loaded at boot (not in modules-load.d)" -- \
		sh -c "! grep -q '^luo ' /proc/modules"
	sleep 5
	check late: "modprobe luo, by hand, $(cut -d. -f1 /proc/uptime) s after boot" \
		-- modprobe luo
	check late: "luo restored generation 2: vm2 and its memfd" -- \
		sh -c "dmesg | grep -q 'restored generation 2 .*: 1 session(s), 1 file(s)'"
	restored
	expect 0 "late: status" -- luoctl status
	has "^handover: +restored" "late: luoctl status says restored"
	expect 0 "late: the new VMM gets every byte of vm2" -- \
		luoctl retrieve --session vm2 --token 1 -- "$work/vmm" check 16 9
	has "all 16777216 bytes match" "late: ... all 16 MiB"
	mv "$work/modules-load-luo.conf" /etc/modules-load.d/luo.conf

	# The next jump carries nothing.
	expect 3 "empty: luoctl kexec refuses with nothing preserved" -- \
		luoctl kexec
	has "nothing is preserved" "empty: ... and says why"
	expect 0 "empty: luoctl kexec --load-only --force loads the kernel" -- \
		luoctl kexec --load-only --force
	check empty: "a kernel is loaded for systemctl kexec" -- \
		grep -qx 1 /sys/kernel/kexec_loaded
	echo "systemctl kexec" > /run/luo-test/next
	;;
4)
	systemd_up
	check empty: "luo was loaded at boot" -- grep -q '^luo ' /proc/modules
	expect 0 "empty: status" -- luoctl status
	has "^incoming: +0 session\(s\), 0 file\(s\)" \
		"empty: nothing came over the empty jump"
	check empty: "boot 4 of one run (three systemctl kexecs)" -- \
		grep -qx 4 /var/lib/luo-test/stage
	echo poweroff > /run/luo-test/next
	;;
*)
	nok "guide: unexpected stage $LUO_STAGE"
	;;
esac
exit "$failed"
