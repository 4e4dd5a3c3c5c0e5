#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh - style and static checks; `make lint`, and one test of `make check`.
#
#   clang-format  C with the kernel's own .clang-format (from the test
#                 kernel's source), C++ with luo/core/.clang-format
#   checkpatch    --no-tree -f on the C layer, KUnit suites, C headers
#   sparse        `make C=2` of the module against the test kernel
#   groff         the man page renders without warnings
#   bash -n       every shell script parses
#   length        no function of the module over 40 lines but those
#                 scripts/long-functions.allow names (scripts/code-stats.sh)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"
cd "$LUO_TOP" || exit 1

"$LUO_TOP/scripts/deps.sh" base lint || exit 1
kroot=$("$LUO_TOP/scripts/test-kernel.sh") || exit 1
ksrc=$kroot/src
problems=0
note() { echo "lint: $*"; problems=$((problems + 1)); }

c_files=$(git ls-files 'luo/kernel/*.[ch]' 'kunit/*.[ch]' 'include/uapi/*.h' \
	'include/luo/shim.h' 'include/luo/core.h' 'tests/vm/*.[ch]' \
	'tests/fuzz/*.[ch]' 'tests/debian/*.[ch]' 'tools/*.[ch]')
cxx_files=$(git ls-files 'luo/core/*.cpp' 'luo/core/*.h' 'include/luo/*.h' 'tests/fuzz/*.cpp' \
	'tests/*.cpp' 'tests/*.h' | grep -v -e shim.h -e core.h -e '^tests/vm/')

for f in $c_files; do
	clang-format --style="file:$ksrc/.clang-format" --dry-run --Werror \
		"$f" > /dev/null 2>&1 || note "$f: not in kernel clang-format style" \
		"(clang-format --style=file:$ksrc/.clang-format -i $f)"
done
for f in $cxx_files; do
	clang-format --style=file:luo/core/.clang-format --dry-run --Werror \
		"$f" > /dev/null 2>&1 || note "$f: not in luo/core/.clang-format style"
done

cp_files=$(git ls-files 'luo/kernel/*.[ch]' 'kunit/*.[ch]' 'include/uapi/*.h' \
	'include/luo/shim.h' 'include/luo/core.h')
for f in $cp_files; do
	ignore=FILE_PATH_CHANGES
	# Exports of functions defined in C++ cannot follow their definitions.
	[ "$f" = luo/kernel/kunit_exports.c ] && ignore+=,EXPORT_SYMBOL
	if ! out=$("$ksrc/scripts/checkpatch.pl" --no-tree --quiet \
		--show-types --ignore "$ignore" -f "$f" 2>&1); then
		echo "$out"
		note "$f: checkpatch found problems"
	fi
done

# Function length (universal-ctags): over 40 lines only with a reason.
scripts/code-stats.sh --check > /dev/null ||
	note "functions over 40 lines (scripts/code-stats.sh lists them)"

# docs/abi.rst is generated from the UAPI header's kernel-doc.
abi=$(mktemp)
if ! KERNEL_DOC=$ksrc/scripts/kernel-doc scripts/gen-abi-doc.sh "$abi"; then
	note "include/uapi/linux/liveupdate.h: kernel-doc problems"
elif ! cmp -s "$abi" docs/abi.rst; then
	note "docs/abi.rst: stale (run scripts/gen-abi-doc.sh)"
fi
rm -f "$abi"

# Shell: every script parses (busybox sh runs the guest ones; bash -n is
# the closest check the host has).
for f in $(git ls-files 'scripts/*.sh' qemu/run qemu/run-debian qemu/init \
	.ci/run 'tests/vm/*.sh' 'tests/debian/*.sh' tools/luo-qemu); do
	bash -n "$f" 2>&1 || note "$f: does not parse"
done

# The man page: no groff warnings.
for f in $(git ls-files '*.[1-8]'); do
	out=$(LC_ALL=C.UTF-8 groff -man -ww -z "$f" 2>&1)
	[ -z "$out" ] || { echo "$out"; note "$f: groff warnings"; }
done

# sparse: a C=2 build checks every C file whether or not it is rebuilt.
mkdir -p build/sparse
rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
	--include '/Kbuild' --include '/luo/***' --include '/include/***' \
	--include '/kunit/***' --exclude '*' ./ build/sparse/
out=$(make -C "$kroot/build" M="$LUO_TOP/build/sparse" C=2 \
	CHECK="sparse" modules 2>&1 | grep -E ': (warning|error):' || true)
if [ -n "$out" ]; then
	echo "$out"
	note "sparse found problems"
fi

if [ "$problems" -eq 0 ]; then
	record lint 1 0
else
	record lint 0 1
	exit 1
fi
