# SPDX-License-Identifier: GPL-2.0
# results.sh - how test layers report counts to `make check`; source it.
#
# Each layer writes build/results/<name>.count holding "PASSED FAILED" and
# prints its own "<name>: N passed, N failed" line.  scripts/check.sh adds
# them up.

RESULTS_DIR=${LUO_TOP:?}/build/results

# record NAME PASSED FAILED
record() {
	mkdir -p "$RESULTS_DIR"
	echo "$2 $3" > "$RESULTS_DIR/$1.count"
	echo "$1: $2 passed, $3 failed"
}

# figure TEXT - one line of what a layer measured (sites injected, ioctls
# fuzzed, operations soaked...); scripts/check.sh prints them all in its
# summary.
figure() {
	mkdir -p "$RESULTS_DIR"
	echo "$1" >> "$RESULTS_DIR/figures"
	echo "figure: $1"
}
