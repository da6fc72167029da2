#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-manpages: every man page renders without a warning, has a NAME line
# whatis can read, and names every --long option that the matching
# program's --help prints (each command's help too), so --help and the
# manual cannot drift apart.
# timeout: 60
set -u
B=${VTUNE_BUILD:-build}
SRC=${VTUNE_SRC:-.}
cd "$SRC" || exit 1
command -v man >/dev/null 2>&1 || { echo "skip: man (man-db) not installed"; exit 77; }
command -v groff >/dev/null 2>&1 || { echo "skip: groff not installed"; exit 77; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 1. Rendering: man-db's and groff's warnings, both at full strength.
for page in man/*.[1-8]; do
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$out" ] || bad "$page: man --warnings: $out"
	out=$(groff -ww -z -man "$page" 2>&1)
	[ -z "$out" ] || bad "$page: groff -ww: $out"
	if command -v lexgrog >/dev/null 2>&1; then
		lexgrog "$page" >/dev/null 2>&1 || bad "$page: lexgrog cannot read the NAME section"
	fi
	# mandoc's lint: errors, warnings and style (man-db and groff miss some)
	if command -v mandoc >/dev/null 2>&1; then
		out=$(mandoc -Tlint "$page" 2>&1)
		[ -z "$out" ] || bad "$page: mandoc -Tlint: $out"
	else
		echo "note: mandoc not installed (scripts/install-deps installs it): no lint"
	fi
	# an option glued to the word after it (.BR with a quote inside a word
	# rendered "--interval 2" as "--interval2"): no option name ends in a digit
	out=$(MANWIDTH=200 man -l "$page" 2>/dev/null | grep -E -- '--[a-z][a-z-]*[0-9]')
	[ -z "$out" ] || bad "$page: an option glued to what follows: $out"
	for s in NAME SYNOPSIS DESCRIPTION FILES "SEE ALSO"; do
		grep -q "^\.SH \"*$s\"*\$" "$page" || bad "$page: no $s section"
	done
	case $page in
	*.8) for s in "EXIT STATUS" EXAMPLES; do
		grep -q "^\.SH \"*$s\"*\$" "$page" || bad "$page: no $s section"
	     done ;;
	esac
done

# 2. Options: every --long token of each --help is in the page (roff source
#    with "\-" read as "-").
# check PROG PAGE [ARGS...]: the help of "PROG ARGS --help" against PAGE.
check() {
	prog=$1 page=$2; shift 2
	help=$("$B/$prog" "$@" --help 2>&1) || { bad "$prog $* --help failed"; return; }
	text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page")
	n=0
	for opt in $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		n=$((n + 1))
		printf '%s\n' "$text" | grep -q -e "$opt\\([^a-z0-9-]\\|\$\\)" ||
			bad "$page does not document $opt (from: $prog $* --help)"
	done
	echo "ok: $prog $* --help: $n options in $page"
}

# The commands a program's --help lists under "commands:" (two-word ones too).
commands() {
	"$B/$1" --help 2>&1 | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\( [a-z][a-z-]*\)\?\)  .*/\1/p'
}

for prog in vtune vtune-agent vtune-hostd; do
	page=man/$prog.8
	[ -x "$B/$prog" ] || { bad "$B/$prog not built"; continue; }
	[ -f "$page" ] || { bad "$page missing"; continue; }
	check "$prog" "$page"
	commands "$prog" > "${TMPDIR:-/tmp}/vtune-mancmds.$$"
	while read -r cmd; do
		# shellcheck disable=SC2086
		check "$prog" "$page" $cmd
		grep -q -- "$(echo "$cmd" | sed 's/-/\\\\-/g')" "$page" ||
			bad "$page does not mention the command '$cmd'"
	done < "${TMPDIR:-/tmp}/vtune-mancmds.$$"
	rm -f "${TMPDIR:-/tmp}/vtune-mancmds.$$"
done
check vtune-agent man/vtune-agent.8 run --standalone

# 3. The pages the programs point at exist.
for ref in $(cat man/*.[1-8] | grep -o 'vtune[a-z\\-]*\s*([58])' | sed 's/\\//g; s/ //g' | sort -u); do
	name=${ref%(*}; sec=${ref#*(}; sec=${sec%)}
	[ -f "man/$name.$sec" ] || bad "reference to $ref, but man/$name.$sec does not exist"
done

[ $fail = 0 ] && echo "man pages: all good"
exit $fail
