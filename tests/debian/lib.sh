#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - what the Debian test VM's stage scripts share (guide-test.sh,
# the `debian` layer; demo-stage.sh, `make demo`; bench-stage.sh,
# scripts/bench-qemu-update.sh), sourced from the payload disk: TAP
# output on $LUO_OUT, the user's guide's blocks run as they stand, the
# test VMM as a service, and the checks of luo-guest's serial logs.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
P=${LUO_PAYLOAD:-/payload}
. "$P/params"			# BASE SIZE: the range qemu/run-debian reserved
out=${LUO_OUT:-/dev/null}
work=/root/luo-test
mkdir -p "$work"
failed=0

say() { echo "$*"; echo "$*" > "$out"; }
ok() { say "ok - $1"; }
nok() { say "not ok - $1"; failed=1; }
check() { # check GROUP: TEXT -- CMD...
	local what="$1 $2"
	shift 3
	if "$@" > "$work/last" 2>&1; then
		ok "$what"
	else
		nok "$what (exit $?): $(tail -n 5 "$work/last" | tr '\n' ' ')"
	fi
}
# expect EXIT WHAT -- CMD...: CMD exits with EXIT; its output in $last
expect() {
	local want=$1 what=$2 rc
	shift 3
	"$@" > "$work/last" 2>&1
	rc=$?
	last=$(cat "$work/last")
	sed 's/^/    /' "$work/last"
	if [ "$rc" = "$want" ]; then
		ok "$what"
	else
		nok "$what: exit $rc, want $want: $(tail -n 3 "$work/last" |
			tr '\n' ' ')"
	fi
}
has() { # has REGEX WHAT: in the last expect's output
	if grep -Eq -- "$1" <<< "$last"; then ok "$2"; else nok "$2: no /$1/"; fi
}

# The guide's block NAME, with the substitutions above.
guide() {
	awk -v name="$1" '
		$0 == "<!-- guide-test: " name " -->" { want = 1; next }
		want == 1 && /^```sh$/ { want = 2; next }
		want == 2 && /^```$/ { exit }
		want == 2 { print }
	' "$P/user-guide.md" | sed \
		-e "s/0x100000000/$BASE/g" \
		-e "s/8589934592/$(($SIZE))/g" \
		-e "s|/proc/1234/fd/17|/proc/${VMM_PID:-1234}/fd/${VMM_FD:-17}|g" \
		-e "s|^\tqemu-system-x86_64 .*|\t$work/vmm check ${VMM_CHECK:-}|"
}
# run_guide GROUP NAME: run the block as a script, fail on any error.
run_guide() {
	local text
	text=$(guide "$2")
	if [ -z "$text" ]; then
		nok "$1: the user's guide has no block '$2'"
		return 1
	fi
	echo "--- guide block '$2':"
	sed 's/^/    $ /' <<< "$text"
	(cd "$work" && bash -e -o pipefail -c "$text") > "$work/last" 2>&1
	local rc=$?
	last=$(cat "$work/last")
	sed 's/^/    /' "$work/last"
	if [ "$rc" = 0 ]; then
		ok "$1: the guide's '$2' commands"
	else
		nok "$1: the guide's '$2' commands: exit $rc: $(tail -n 3 \
			"$work/last" | tr '\n' ' ')"
	fi
	return "$rc"
}

# The VMM: a transient service holding a memfd of MIB MiB (vmm.c).
start_vmm() { # start_vmm NAME MIB SEED
	rm -f "/run/vmm-$1.pid"
	systemd-run --quiet --unit="vmm-$1" "$work/vmm" serve "$2" "$3" \
		"/run/vmm-$1.pid"
	for _ in $(seq 100); do
		[ -s "/run/vmm-$1.pid" ] && break
		sleep 0.1
	done
	read -r VMM_PID VMM_FD < "/run/vmm-$1.pid" || return 1
	echo "vmm-$1.service: pid $VMM_PID, memfd at fd $VMM_FD"
}

systemd_up() { # what every stage checks first
	local state
	check guide: "systemd is PID 1" -- grep -qx systemd /proc/1/comm
	state=$(systemctl is-system-running --wait 2>&1)
	if [ "$state" = running ]; then
		ok "guide: boot $LUO_STAGE: systemd reached 'running'"
		say "# boot $LUO_STAGE: $(systemd-analyze time 2>&1 | head -n 1)"
	else
		nok "guide: boot $LUO_STAGE: systemd is '$state': $(systemctl \
			--failed --no-legend --plain | tr '\n' ' ')"
	fi
}

# The test guests of the guide's 3.1 (luo-qemu, luo-guest.elf): vm2's RAM
# is a memory file, vm3's a memfd.  Their serial logs go on across the
# update; the line count at the save is kept on the disk.
glog() { echo "/var/log/$1.serial"; }
# wait_lines VM REGEX N [FROM]: N lines matching REGEX after line FROM of
# VM's log (a guest under nested TCG: give it $WAIT_S seconds, default
# 600).
wait_lines() {
	local log i
	log=$(glog "$1")
	for ((i = 0; i < ${WAIT_S:-600}; i++)); do
		[ "$(tail -n "+$((${4:-0} + 1))" "$log" 2> /dev/null |
			grep -cE "$2")" -ge "$3" ] && return 0
		grep -q 'luo-guest: BAD' "$log" 2> /dev/null && break
		sleep 1
	done
	tail -n 5 "$log"
	return 1
}
# guest_ok VM: one boot, no BAD line, the counter never went back.
guest_ok() {
	local log
	log=$(glog "$1")
	tail -n 4 "$log"
	[ "$(grep -c 'luo-guest: boot' "$log")" = 1 ] &&
		! grep -q 'luo-guest: BAD' "$log" &&
		sed -n 's/^luo-guest: count=\([0-9]*\) .*/\1/p' "$log" |
		awk '$1 <= last { exit 1 } { last = $1 }'
}

# Was luo's image restored (and when), per dmesg?
restored() { dmesg | grep -E 'restored generation [0-9]+' | tail -n 1; }

