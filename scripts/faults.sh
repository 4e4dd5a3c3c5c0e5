#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# faults.sh - `make faults`: fault injection at every allocation site of
# every operation, the module loads' ~550 included (make check injects a
# module load's sites every 8th between the first and last 64), in the
# test kernel.  LUO_FAULTS_STRIDE=n keeps every n-th.  Logs:
# build/results/vm/luo_faults*.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LUO_TOP/scripts/results.sh"
. "$LUO_TOP/scripts/vmlib.sh"

test_kernel_ready || exit 1
run_faults "$fixtures" "${LUO_FAULTS_STRIDE:-1}"
record faults "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
