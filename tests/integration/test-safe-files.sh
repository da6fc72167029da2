#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-safe-files: what vtune writes as root (report --html / --save) goes
# through lib/safefile: a symlink, a device node, a FIFO or a directory at the
# target is refused and left as it was (the victim behind a symlink too); a
# symlink planted at the old FILE.tmp name redirects nothing; output lost to
# /dev/full (stdout or a write error) gives a message and a non-zero exit on
# each program.
# timeout: 60
set -u
B=${VTUNE_BUILD:-$(pwd)/build}
SRC=${VTUNE_SRC:-$(pwd)}
V=$B/vtune
CAP=$SRC/tests/fixtures/report/guest-backlog.json
TMP=$(mktemp -d /tmp/vtune-safe.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
fail=0
ok()  { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

[ -x "$V" ] || { echo "FAIL: build first ($V)"; exit 1; }
echo precious > "$TMP/victim"

# 1. a regular file: written, replaced (new inode), no temporary file left
"$V" report --from "$CAP" --html "$TMP/r.html" > /dev/null 2>&1 || bad "--html to a new file"
i1=$(stat -c %i "$TMP/r.html")
"$V" report --from "$CAP" --html "$TMP/r.html" > /dev/null 2>&1 || bad "--html over a regular file"
[ "$(stat -c %i "$TMP/r.html")" != "$i1" ] && grep -q '<html' "$TMP/r.html" && ok "regular file replaced" ||
	bad "regular file not replaced"
"$V" report --from "$CAP" --save "$TMP/cap.json" > /dev/null 2>&1 && "$V" report --from "$TMP/cap.json" --json |
	python3 -c 'import json,sys; json.load(sys.stdin)' && ok "--save then --from" || bad "--save / --from"

# 2. refused targets, each left as it was
refuse() { # WHAT PATH CHECK...
	what=$1; p=$2; shift 2
	for opt in --html --save; do
		err=$(timeout 10 "$V" report --from "$CAP" $opt "$p" 2>&1 >/dev/null); rc=$?
		[ $rc = 1 ] || { bad "$opt to $what: exit $rc, want 1"; continue; }
		echo "$err" | grep -q "refusing to replace" || bad "$opt to $what: message '$err'"
	done
	"$@" && ok "$what refused, untouched" || bad "$what changed"
}
ln -s "$TMP/victim" "$TMP/link"
refuse "a symlink" "$TMP/link" sh -c "[ -L '$TMP/link' ] && [ \"\$(cat '$TMP/victim')\" = precious ]"
mkfifo "$TMP/fifo"
refuse "a FIFO" "$TMP/fifo" test -p "$TMP/fifo"
mkdir "$TMP/dir"
refuse "a directory" "$TMP/dir" test -d "$TMP/dir"
if mknod "$TMP/null" c 1 3 2>/dev/null; then
	refuse "a device node" "$TMP/null" sh -c "[ -c '$TMP/null' ] && [ \"\$(stat -c %t:%T '$TMP/null')\" = 1:3 ]"
else
	echo "note: mknod not permitted here; /dev/null itself instead"
fi
refuse "/dev/null" /dev/null test -c /dev/null

# 3. a symlink at the old temporary name (FILE.tmp) redirects nothing
ln -s "$TMP/victim" "$TMP/out.html.tmp"
"$V" report --from "$CAP" --html "$TMP/out.html" > /dev/null 2>&1 || bad "--html with a planted FILE.tmp"
[ "$(cat "$TMP/victim")" = precious ] && [ -L "$TMP/out.html.tmp" ] && grep -q '<html' "$TMP/out.html" &&
	ok "planted FILE.tmp symlink: victim untouched" || bad "planted FILE.tmp redirected the write"
n=$(find "$TMP" -name '.*.??????' | wc -l)
[ "$n" = 0 ] || bad "$n temporary files left"

# 4. lost output: /dev/full on stdout is an error with a message, every program
full() { # CMD...: exit non-zero with "write error" on stderr
	err=$("$@" 2>&1 >/dev/full); rc=$?
	[ $rc != 0 ] && echo "$err" | grep -q "write error" && ok "$* > /dev/full: exit $rc" ||
		bad "$* > /dev/full: exit $rc, stderr '$err'"
}
full "$V" --help
full "$V" report --from "$CAP"
full "$V" report --from "$CAP" --json
full "$V" policy check "$SRC/policies/default.yaml"
full "$V" kvm channel-xml --domain g1
full "$B/vtune-agent" --help
full "$B/vtune-agent" sample --root "$SRC/tests/fixtures/debian-6.1" --no-netlink --interval 0.1
full "$B/vtune-hostd" --help
full "$B/vtune-hostd" -n --backend sim --policy "$SRC/policies/default.yaml"

[ $fail = 0 ] && echo "test-safe-files: all good"
exit $fail
