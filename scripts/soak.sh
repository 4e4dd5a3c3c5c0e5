#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# soak.sh - `make soak`: tests/vm/luo_soak.c for longer than make check's
# minute, in the test kernel: SOAK_THREADS workers (default 8) for
# SOAK_MINUTES (default 10) creating, preserving, retrieving through the
# round trip, finishing and closing, a round trip a second.  Logs:
# build/results/vm/luo_soak*.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"
. "$LUO_TOP/scripts/vmlib.sh"

test_kernel_ready || exit 1
run_soak "$fixtures" $((${SOAK_MINUTES:-10} * 60)) "${SOAK_THREADS:-8}"
record soak "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
