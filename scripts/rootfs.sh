#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rootfs.sh - a Debian 12 root file system for the "real host" VM
# (scripts/debian-test.sh, qemu/run-debian), built once per machine.
#
# debootstrap (minbase) from Debian's archive, then, in a chroot, Debian's
# stock 6.12 kernel -- the very release scripts/stock-kernel.sh 6.12
# resolves, as its -unsigned image package, so /boot/vmlinuz is the same
# file -- with its headers, and what an operator's host has: systemd as
# PID 1, udev, kmod, kexec-tools, DKMS and the compilers it needs.  The
# kernel's postinst runs the rootfs's own update-initramfs (initramfs-
# tools, MODULES=most): that initrd brings virtio-blk and ext4, which the
# stock kernel has as modules, so the disk can be the root file system.
#
# The tree is written to a disk image with `mkfs.ext4 -d` (no loop
# mount); the kernel and initrd are copied next to it for QEMU's -kernel
# and -initrd.  Everything lands in $LUO_CACHE/rootfs-debian12-KEY/, KEY
# a hash of this script and of tests/debian/guest/ (what the image
# contains), so changing the package list rebuilds and nothing else
# does.  A run prints the directory; --key prints only the key.
#
# The image is never booted read-write: qemu/run-debian boots a qcow2
# overlay of it per run.  Network: debootstrap and apt inside the chroot
# fetch from $LUO_DEBIAN_MIRROR (default the machine's deb.debian.org)
# and its -security suite, where Debian 12's 6.12 kernel lives.  Root is
# needed (debootstrap, chroot); the chroot's /proc, /sys and /dev are
# mounted while it runs and always unmounted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mirror=${LUO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${LUO_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
suite=bookworm

# What a host that runs luo has; the tests need nothing else.  openssl:
# DKMS signs the modules it builds with its own key.  g++: luo's core is
# C++ (luo-dkms depends on it; the VM has no network to fetch it).
# pkgconf: a VMM build against libluo-dev.  sudo, jq: the user's guide
# uses them.  qemu-system-x86, socat: the VMM of a real host, and what
# tools/luo-qemu talks to its QMP socket with (the live update of a real
# guest, scripts/qemu-update.sh).  linux-image-amd64 is Debian 12's 6.1 kernel, installed
# without its headers: a kernel DKMS cannot build luo for, the next
# kernel `luoctl kexec` must refuse.
packages="systemd systemd-sysv udev kmod kexec-tools dkms gcc g++ make
libc6-dev openssl initramfs-tools e2fsprogs procps util-linux pkgconf sudo
jq qemu-system-x86 socat"
# Installed in the chroot, from -security and -updates too.
kernel_packages="linux-image-amd64"

key() {
	{
		cat "$LUO_TOP/scripts/rootfs.sh"
		find "$LUO_TOP/tests/debian/guest" -type f | sort |
			xargs cat
	} | sha256sum | cut -c1-16
}
if [ "${1:-}" = --key ]; then
	key
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot)"
"$LUO_TOP/scripts/deps.sh" deb >&2
mapfile -t k < <("$LUO_TOP/scripts/stock-kernel.sh" 6.12)
stock_vmlinuz=${k[0]:?stock-kernel.sh 6.12 failed}
rel=${stock_vmlinuz##*/vmlinuz-}

dir=$LUO_CACHE/rootfs-debian12-$(key)
if [ -f "$dir/ok" ]; then
	echo "$dir"
	exit 0
fi

echo "rootfs: building Debian 12 with $rel in $dir" >&2
t0=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
tree=$dir/tree
log=$dir/build.log
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[$i]}" 2> /dev/null || true
	done
	mounted=()
}
trap cleanup EXIT
trap 'echo "rootfs: failed; see $log" >&2' ERR

debootstrap --variant=minbase --include="$(echo $packages | tr ' ' ,)" \
	"$suite" "$tree" "$mirror" >> "$log" 2>&1

for m in proc sys dev dev/pts; do
	case "$m" in
	proc)	mount -t proc proc "$tree/proc" ;;
	sys)	mount -t sysfs sysfs "$tree/sys" ;;
	dev)	mount --bind /dev "$tree/dev" ;;
	dev/pts) mount -t devpts devpts "$tree/dev/pts" ;;
	esac
	mounted+=("$tree/$m")
done

cat > "$tree/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
in_root() {
	chroot "$tree" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}
# kexec-tools would load its own kernel at every reboot
# (kexec-load.service, LOAD_KEXEC): luoctl loads the kernel itself.
echo 'kexec-tools kexec-tools/load_kexec boolean false' |
	in_root debconf-set-selections
in_root apt-get update -qq >> "$log" 2>&1
in_root apt-get install -y -qq --no-install-recommends \
	"linux-image-$rel-unsigned" "linux-headers-$rel" $kernel_packages \
	>> "$log" 2>&1
sed -i 's/^LOAD_KEXEC=.*/LOAD_KEXEC=false/' "$tree/etc/default/kexec"
in_root apt-get clean
cleanup

# The machine: root on the first virtio disk, a name, no password needed
# (nobody logs in; serial-getty is masked so the console stays the log).
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" > "$tree/etc/fstab"
echo luo-debian > "$tree/etc/hostname"
ln -sf /dev/null "$tree/etc/systemd/system/serial-getty@.service"
ln -sf /dev/null "$tree/etc/systemd/system/getty@.service"
ln -sf /dev/null "$tree/etc/systemd/system/getty-static.service"
# What runs the tests: a unit that mounts the run's payload disk and
# hands over to its harness (tests/debian/guest/).
cp "$LUO_TOP"/tests/debian/guest/luo-test-boot "$tree/usr/local/sbin/"
chmod 755 "$tree/usr/local/sbin/luo-test-boot"
cp "$LUO_TOP"/tests/debian/guest/luo-test.service \
	"$tree/etc/systemd/system/"
ln -sf ../luo-test.service \
	"$tree/etc/systemd/system/multi-user.target.wants/luo-test.service"

cmp -s "$tree/boot/vmlinuz-$rel" "$stock_vmlinuz" ||
	die "the rootfs's vmlinuz-$rel is not scripts/stock-kernel.sh's"
[ -f "$tree/boot/initrd.img-$rel" ] || die "no initrd.img-$rel was made"
cp "$tree/boot/vmlinuz-$rel" "$dir/vmlinuz"
cp "$tree/boot/initrd.img-$rel" "$dir/initrd.img"
echo "$rel" > "$dir/release"

# The image: the tree plus room for the packages, DKMS builds and logs.
size=$(($(du -sm "$tree" | cut -f1) + 1024))
mkfs.ext4 -q -F -L luo-root -d "$tree" "$dir/root.img" "${size}M" \
	>> "$log" 2>&1
rm -rf "$tree"
echo "$packages $kernel_packages" > "$dir/packages"
echo "$(($(date +%s) - t0))" > "$dir/build-seconds"
touch "$dir/ok"
echo "rootfs: built in $(cat "$dir/build-seconds") s" >&2
echo "$dir"
