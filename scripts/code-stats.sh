#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# code-stats.sh - how the module's code divides between the core, the C
# layer and the glue between them, and which functions are long.
#
# Usage: scripts/code-stats.sh [--check]
#
# Lines are code lines as cloc counts them (no blank, no comment lines).
# The module's sources fall into exactly one of three parts:
#
#   core logic  luo/core/*.cpp and include/luo/*.h except the two C
#               headers, less the extern "C" wrappers counted as glue
#   C layer     luo/kernel/*, except the glue files below
#   glue        what exists only to cross the C/C++ boundary:
#                 include/luo/core.h   the core's C API (the C layer's view)
#                 include/luo/shim.h   the kernel as the core sees it
#                 luo/kernel/shim.c    its kernel side
#                 luo/kernel/kunit_exports.c  the exports for KUnit
#                 extern "C" wrappers: functions in an extern "C" block
#                   of luo/core/*.cpp whose body has at most 3 non-blank
#                   lines (they convert a handle and forward one call);
#                   their lines, signature to closing brace, blanks not
#                   counted
#
# Function length is universal-ctags's span, from the line that names the
# function to its closing brace, for every function of luo/core,
# include/luo and luo/kernel (lambdas count in the function around them).
# --check fails when a function is over $LUO_FN_MAX lines (default 40)
# and not in scripts/long-functions.allow, or when the allowlist names a
# function that is no longer long; `make lint` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

max=${LUO_FN_MAX:-40}
allow=scripts/long-functions.allow
check=0
[ "${1:-}" = --check ] && check=1

for tool in cloc ctags; do
	command -v "$tool" > /dev/null ||
		{ echo "code-stats: $tool missing (scripts/deps.sh lint)" >&2; exit 1; }
done

core_files=$(ls luo/core/*.cpp include/luo/*.h | grep -v -e '/core\.h$' -e '/shim\.h$')
glue_files="include/luo/core.h include/luo/shim.h luo/kernel/shim.c luo/kernel/kunit_exports.c"
klayer_files=$(ls luo/kernel/* | grep -v -e '/shim\.c$' -e '/kunit_exports\.c$')

# Code lines of a list of files, as cloc counts them.
code_lines() {
	# shellcheck disable=SC2086
	cloc --quiet --csv --sum-one --force-lang=C++,cpp --force-lang=C,c \
		--force-lang='C/C++ Header',h $@ 2>/dev/null |
		awk -F, '$2 == "SUM" { print $5 }'
}

# Every function: "length file start name", lambdas left out.
functions() {
	ctags -f - --sort=no --fields=+ne --kinds-C=f --kinds-C++=f \
		--langmap=C++:+.h "$@" 2>/dev/null |
		awk -F'\t' '$1 !~ /^__anon/ {
			s = e = 0
			for (i = 4; i <= NF; i++) {
				if ($i ~ /^line:/) s = substr($i, 6)
				if ($i ~ /^end:/) e = substr($i, 5)
			}
			if (e) print e - s + 1, $2, s, $1
		}'
}

# The extern "C" wrappers of the core: "lines file start name".
wrappers() {
	local f
	for f in luo/core/*.cpp; do
		functions "$f" | while read -r _ file start name; do
			awk -v s="$start" -v n="$name" -v f="$file" '
				/^extern "C" \{/ { inc = 1 }
				/^\} \/\* extern "C" \*\// { inc = 0 }
				NR == s { ok = inc }
				NR >= s && ok && !done {
					if (/^\{/) body = 1
					else if (/^\}/) { done = 1; code++ }
					else if (body && $0 !~ /^[ \t]*$/) blines++
					if (!done && $0 !~ /^[ \t]*$/) code++
				}
				END {
					if (ok && blines <= 3)
						print code, f, s, n
				}' "$f"
		done
	done
}

core=$(code_lines $core_files)
klayer=$(code_lines $klayer_files)
wrap=$(wrappers)
wrap_lines=$(echo "$wrap" | awk '{ n += $1 } END { print n + 0 }')
wrap_count=$(echo "$wrap" | grep -c . || true)
core_logic=$((core - wrap_lines))

printf 'code lines (cloc: no blanks, no comments)\n'
printf '  %-12s %5d  luo/core/*.cpp, include/luo/*.h but core.h and shim.h,\n' \
	'core logic' "$core_logic"
printf '  %-12s %5s  less the wrappers below\n' '' ''
printf '  %-12s %5d  luo/kernel/* but shim.c and kunit_exports.c\n' \
	'C layer' "$klayer"
glue=$wrap_lines
for f in $glue_files; do
	glue=$((glue + $(code_lines "$f")))
done
printf '  %-12s %5d\n' glue "$glue"
for f in $glue_files; do
	printf '    %5d  %s\n' "$(code_lines "$f")" "$f"
done
printf '    %5d  extern "C" wrappers in luo/core/*.cpp (%d functions)\n' \
	"$wrap_lines" "$wrap_count"

long=$(functions luo/core/*.cpp include/luo/*.h luo/kernel/*.[ch] |
	awk -v m="$max" '$1 > m' | sort -rn)
printf '\nfunctions over %d lines (ctags: name line to closing brace)\n' "$max"
if [ -z "$long" ]; then
	echo "  none"
else
	echo "$long" | while read -r len file start name; do
		mark=""
		grep -qx "$file $name" <(grep -v '^#' "$allow" | awk '{ print $1, $2 }') &&
			mark="  (allowed: scripts/long-functions.allow)"
		printf '  %4d  %s:%s %s%s\n' "$len" "$file" "$start" "$name" "$mark"
	done
fi

[ "$check" = 1 ] || exit 0
bad=0
while read -r len file start name; do
	[ -n "$name" ] || continue
	if ! grep -v '^#' "$allow" | awk '{ print $1, $2 }' | grep -qx "$file $name"; then
		echo "code-stats: $file:$start $name() has $len lines (more than $max): split it, or justify it in $allow" >&2
		bad=1
	fi
done <<< "$long"
while read -r file name _; do
	[ -n "$name" ] || continue
	echo "$long" | awk '{ print $2, $4 }' | grep -qx "$file $name" || {
		echo "code-stats: $allow names $file $name(), which is not over $max lines: drop it" >&2
		bad=1
	}
done < <(grep -v -e '^#' -e '^$' "$allow")
exit "$bad"
