#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 30
# test-licence: the tree says its licence everywhere it should: COPYING is the
# GPL version 2, debian/copyright (DEP-5) grants GPL-2.0-or-later, and every
# C source and header, shell and Python script and makefile carries the SPDX
# line near its top (files under tests/fixtures are captures, not code).
set -u
SRC=${VTUNE_SRC:-$PWD}
cd "$SRC" || exit 1
fail=0
bad() { echo "FAIL: test-licence: $*"; fail=1; }

grep -q "GNU GENERAL PUBLIC LICENSE" COPYING 2>/dev/null && grep -q "Version 2, June 1991" COPYING ||
	bad "COPYING is not the GPL version 2"
grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' debian/copyright ||
	bad "debian/copyright is not DEP-5"
grep -q '^License: GPL-2.0-or-later$' debian/copyright || bad "debian/copyright grants no GPL-2.0-or-later"
grep -q 'TBD' debian/copyright && bad "debian/copyright still says TBD"

n=0
for f in $(find . -path ./build -prune -o -path ./.git -prune -o -path ./tests/fixtures -prune \
		-o -path ./tests/fuzz/corpus -prune -o -path './build-*' -prune -o -type f \
		\( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' -o -name '*.mk' \
		-o -name Makefile \) -print); do
	n=$((n + 1))
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-or-later' || bad "$f: no SPDX line"
done
[ "$n" -gt 100 ] || bad "only $n source files found"
[ $fail = 0 ] && echo "ok: test-licence: $n files"
exit $fail
