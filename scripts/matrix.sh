#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# matrix.sh - the VM suite as a table: one row per test, one column per
# kernel, "passed/run" in each cell, from the counts vm-test, stock-test,
# dkms-test and debian-test leave in build/results/vm/*.suite (vmlib.sh
# suite_count).  The Debian layer's rows are its own: stock 6.12 under
# systemd, luo from the .debs.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
dir=$LUO_TOP/build/results/vm
# vm-test first, so the rows come in the suite's order.
files=()
for f in "$dir"/vm-test.suite "$dir"/*.suite; do
	[ -f "$f" ] && [[ " ${files[*]} " != *" $f "* ]] && files+=("$f")
done
[ ${#files[@]} -gt 0 ] || exit 0
cat "${files[@]}" | awk '
function column(name) {
	if (name ~ /^debian-/) return "Debian 12 + systemd"
	if (name ~ /^dkms-stock-6\.12-/) return "stock 6.12 (DKMS)"
	if (name ~ /^stock-6\.12-/) return "stock 6.12"
	if (name ~ /^stock-6\.1-/) return "stock 6.1"
	return "test kernel"
}
function tname(name) {
	sub(/^(dkms-)?stock-6\.1(2)?-/, "", name)
	sub(/^debian-/, "", name)
	return name
}
{
	# The name may have spaces: the counts are the last two fields.
	pa = $(NF - 1); fa = $NF
	$NF = ""; $(NF - 1) = ""; sub(/ +$/, "")
	c = column($0); t = tname($0)
	p[t, c] += pa; f[t, c] += fa
	if (!(t in seen)) { seen[t] = 1; rows[++nr] = t }
	if (!(c in cseen)) { cseen[c] = 1 }
}
END {
	if (!nr) exit
	n = split("test kernel|stock 6.12|stock 6.1|stock 6.12 (DKMS)|" \
		"Debian 12 + systemd", all, "|")
	for (i = 1; i <= n; i++) if (all[i] in cseen) cols[++nc] = all[i]
	line = sprintf("  %-22s", "VM suite")
	for (i = 1; i <= nc; i++) line = line sprintf(" %-18s", cols[i])
	sub(/ +$/, "", line)
	print line
	for (r = 1; r <= nr; r++) {
		line = sprintf("  %-22s", rows[r])
		for (i = 1; i <= nc; i++) {
			k = rows[r] SUBSEP cols[i]
			if (k in p) {
				cell = p[k] "/" p[k] + f[k]
				if (f[k]) cell = cell " FAIL"
			} else {
				cell = "-"
			}
			line = line sprintf(" %-18s", cell)
		}
		sub(/ +$/, "", line)
		print line
	}
}'
