# SPDX-License-Identifier: GPL-2.0
#
# luo - user-facing wrapper around Kbuild and the test layers.
#
#   make             build luo.ko (and luo_kunit.ko) for KDIR
#   make check       every test layer, then "N passed, N failed"
#   make demo        the main job, in a QEMU guest
#   make help        all targets
#
# KDIR defaults to luo's test kernel (built once, cached in $(LUO_CACHE));
# `make KDIR=/lib/modules/$(uname -r)/build` builds for installed headers.
# Each kernel gets its own build directory, build/<kernelrelease>/, so that
# building for several kernels never mixes objects; luo.ko at the top is a
# copy of the last build.

TOP := $(CURDIR)
SHELL := /bin/bash

ifeq ($(origin KDIR),undefined)
KDIR = $(shell $(TOP)/scripts/test-kernel.sh)/build
endif

.PHONY: all module kdir check host-test kunit vm-test stock-test demo lint \
	clean help deps tools

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

stock-test:
	@scripts/stock-test.sh

check:
	@scripts/check.sh

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
	@echo "make stock-test  load and test in Debian's stock 6.1/6.12"
	@echo "make lint        clang-format, checkpatch, sparse"
	@echo "make tools       libluo (static, shared, pkg-config) in build/tools"
	@echo "make -s kdir     print the kernel build tree used"
