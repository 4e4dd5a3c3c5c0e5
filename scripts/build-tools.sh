#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-tools.sh - userspace: libluo (static, shared, pkg-config file) and
# luoctl.
#
# Output in build/tools/: libluo.a, libluo.so.1 (+ libluo.so link),
# libluo.pc (prefix from $PREFIX, default /usr/local), luoctl (libluo
# linked in), luoctl.static and the demo VMM luo-vmm for the test VMs
# (which have no libc), and luo-guest.elf, the freestanding guest whose
# live update tools/luo-qemu runs (32-bit x86, Multiboot: QEMU's -kernel
# boots it).
# The header is also compiled as C++ to prove it is usable from there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top=$LUO_TOP
out=$top/build/tools
src=$top/tools/libluo
mkdir -p "$out"
cflags=(-O2 -g -Wall -Wextra -Werror -I"$top/include/uapi" -I"$src")
version=$(luo_version)

gcc "${cflags[@]}" -c -o "$out/libluo.o" "$src/libluo.c"
rm -f "$out/libluo.a"
ar rcs "$out/libluo.a" "$out/libluo.o"
gcc "${cflags[@]}" -fPIC -shared -Wl,-soname,libluo.so.1 \
	-o "$out/libluo.so.1" "$src/libluo.c"
ln -sf libluo.so.1 "$out/libluo.so"
sed -e "s|@PREFIX@|${PREFIX:-/usr/local}|" -e "s|@VERSION@|$version|" \
	"$src/libluo.pc.in" > "$out/libluo.pc"
echo '#include <luo.h>
int f() { return luo_open(); }' |
	g++ -x c++ -std=c++17 -Wall -Werror -fsyntax-only -I"$src" -

luoctl=(-DLUOCTL_VERSION="\"$version\"" "$top"/tools/luoctl/*.c
	"$out/libluo.a")
gcc "${cflags[@]}" -o "$out/luoctl" "${luoctl[@]}"
gcc "${cflags[@]}" -static -o "$out/luoctl.static" "${luoctl[@]}"
# The demo VMM runs in the test VMs: static, like luoctl.static.
gcc "${cflags[@]}" -static -o "$out/luo-vmm" "$top/tools/luo-vmm.c" \
	"$out/libluo.a" -lpthread
# The guest: no libc, no libgcc, its own start and layout.
guest=$top/tools/luo-guest
gcc -m32 -march=i686 -ffreestanding -fno-pic -fno-stack-protector \
	-fno-asynchronous-unwind-tables -O2 -Wall -Wextra -Werror -nostdlib \
	-static -no-pie -Wl,-T,"$guest/guest.ld" -Wl,--build-id=none \
	-Wl,--no-warn-rwx-segments -o "$out/luo-guest.elf" \
	"$guest/start.S" "$guest/guest.c"
