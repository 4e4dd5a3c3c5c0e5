# SPDX-License-Identifier: GPL-2.0
#
# luo - user-facing wrapper around Kbuild and the test layers.
#
#   make             build luo.ko (and luo_kunit.ko) for KDIR
#   make check       every test layer, then "N passed, N failed"
#   make demo        the main job, in a QEMU guest
#   make help        all targets
#
# KDIR defaults to luo's test kernel (built once, cached in $(LUO_CACHE)),
# and for `make install` to the running kernel's headers;
# `make KDIR=/lib/modules/$(uname -r)/build` builds for installed headers.
# Each kernel gets its own build directory, build/<kernelrelease>/, so that
# building for several kernels never mixes objects; luo.ko at the top is a
# copy of the last build.

TOP := $(CURDIR)
SHELL := /bin/bash

ifeq ($(origin KDIR),undefined)
ifneq ($(filter install,$(MAKECMDGOALS)),)
# Installing is for the machine's own kernel.
KDIR = /lib/modules/$(shell uname -r)/build
else
KDIR = $(shell $(TOP)/scripts/test-kernel.sh)/build
endif
endif

.PHONY: all module kdir check host-test kunit vm-test stock-test demo lint \
	clean help deps tools fuzz faults soak

.PHONY: install install-headers install-tools dkms-install dkms-test deb \
	debian-test

all: module

deps:
	@scripts/deps.sh all

module:
	@scripts/build-module.sh "$(KDIR)"

kdir:
	@echo "$(KDIR)"

tools:
	@scripts/build-tools.sh

host-test:
	@scripts/host-test.sh

kunit:
	@scripts/kunit.sh

vm-test:
	@scripts/vm-test.sh

# The ioctl fuzzer in the VM for FUZZ_TIME seconds (FUZZ_SEED=n to replay a
# seed), then the decoder under libFuzzer on the host for as long.
fuzz:
	@scripts/fuzz.sh
	@scripts/fuzz-decode.sh

# Fault injection at every allocation site (make check: a module load's
# every 8th); LUO_FAULTS_STRIDE=n for every n-th.
faults:
	@scripts/faults.sh

# The soak for SOAK_MINUTES (default 10) with SOAK_THREADS (default 8).
soak:
	@scripts/soak.sh

stock-test:
	@scripts/stock-test.sh

check:
	@scripts/check.sh

# DESTDIR (staging root) and PREFIX (default /usr/local) as usual.
install:
	@DESTDIR="$(DESTDIR)" scripts/install.sh module "$(KDIR)"

install-headers:
	@DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" scripts/install.sh headers

install-tools:
	@DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" LIBDIR="$(LIBDIR)" \
		scripts/install.sh tools

dkms-install:
	@DESTDIR="$(DESTDIR)" scripts/install.sh dkms

dkms-test:
	@scripts/dkms-test.sh

# luo-dkms, luoctl, libluo1, libluo-dev in build/deb/ (debhelper, dh-dkms).
deb:
	@scripts/deb.sh

# Debian 12 with systemd in QEMU: the .debs installed, the user's guide
# run, luo's sessions across systemctl kexec (scripts/debian-test.sh).
debian-test:
	@scripts/debian-test.sh

demo:
	@scripts/demo.sh

lint:
	@scripts/lint.sh

clean:
	rm -rf build luo.ko luo_kunit.ko
	find . \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name 'modules.order' \
		-o -name 'Module.symvers' \) -not -path './.git/*' -delete

help:
	@sed -n 's/^#   \(make.*\)/\1/p' Makefile
	@echo "make host-test   C++ core under GoogleTest (ASan+UBSan, TSan)"
	@echo "make kunit       KUnit suites in the test kernel (QEMU)"
	@echo "make vm-test     userspace tests in the test kernel (QEMU)"
	@echo "make stock-test  the VM suite in Debian's stock 6.1/6.12"
	@echo "make lint        clang-format, checkpatch, sparse, function length"
	@echo "make fuzz        the ioctl fuzzer, FUZZ_TIME s (FUZZ_SEED=n), then a kexec;"
	@echo "                 then the image decoder under libFuzzer, FUZZ_TIME s"
	@echo "make faults      fault injection at every allocation site (make check: sampled)"
	@echo "make soak        8 threads for SOAK_MINUTES (10), then a kexec under load"
	@echo "make tools       libluo (static, shared, pkg-config), luoctl in build/tools"
	@echo "make -s kdir     print the kernel build tree used"
	@echo "make install     luo.ko for the running kernel (or KDIR), udev rule, depmod"
	@echo "make install-headers  linux/liveupdate.h into PREFIX/include"
	@echo "make install-tools    libluo, luo.h, libluo.pc, luoctl(8) into PREFIX"
	@echo "make dkms-install     sources for DKMS into /usr/src/luo-<version>"
	@echo "make dkms-test   DKMS build, load in stock 6.12; install targets"
	@echo "make deb         Debian packages in build/deb (luo-dkms, luoctl, libluo1, libluo-dev)"
	@echo "make debian-test Debian 12 + systemd VM: the .debs, the user's guide, systemctl kexec"
