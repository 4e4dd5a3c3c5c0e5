#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# harness.sh - the Debian test VM's side of qemu/run-debian, run by the
# image's luo-test.service once the machine has booted (as root).
#
# One boot is one stage: the stage number is kept on the root disk
# (/var/lib/luo-test/stage), which survives kexecs within a run.  Runs
# /payload/stage.sh with LUO_STAGE and LUO_OUT (/dev/ttyS3), reports
# "stage N rc R" and the kernel log on the side channels, then does what
# the stage asked for in /run/luo-test/next: "poweroff" (the default;
# "done"), or a command that jumps (e.g. luoctl kexec, which asks systemd
# for the kexec).  A jump command that fails is reported as
# "jump N rc R", and the machine powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ctl=/dev/ttyS1
state=/var/lib/luo-test
mkdir -p "$state" /run/luo-test
stage=$(($(cat "$state/stage" 2> /dev/null || echo 0) + 1))
echo "$stage" > "$state/stage"
sync
echo "boot $stage" > "$ctl"

export LUO_STAGE=$stage LUO_OUT=/dev/ttyS3 LUO_PAYLOAD=/payload
rm -f /run/luo-test/next
echo "luo-test: stage $stage"
/payload/stage.sh
rc=$?
echo "luo-test: stage $stage rc $rc"
echo "stage $stage rc $rc" > "$ctl"
{
	echo "==== luo-test stage $stage kernel log ===="
	dmesg
} > /dev/ttyS2

next=$(cat /run/luo-test/next 2> /dev/null || echo poweroff)
if [ "$rc" = 0 ] && [ "$next" != poweroff ]; then
	echo "luo-test: jumping: $next"
	sh -c "$next"
	r=$?
	# systemctl kexec returns once the shutdown is queued.
	[ "$r" = 0 ] && exit 0
	echo "jump $stage rc $r" > "$ctl"
fi
echo done > "$ctl"
systemctl poweroff
