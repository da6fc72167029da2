#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 420
# test-demo: `make demo`'s script, end to end (scripts/demo without
# install-deps: VTUNE_DEMO_SKIP_DEPS=1). Checks: it exits 0; both reports
# were printed (the side-by-side table); the HTML report was written with
# charts; at least one policy change was journaled and applied; the revert
# went through (nothing left to revert); nothing is left behind: no network
# namespace, no libvirtd / qemu / hostd / bench process of the demo, no work
# folder. Skips (77) without root, qemu, libvirtd or the built programs.
set -u
S=${VTUNE_SRC:-$(pwd)}
B=${VTUNE_BUILD:-$S/build}

skip() { echo "SKIP: test-demo: $*"; exit 77; }
fail() { echo "FAIL: test-demo: $*"; [ -f "$LOG" ] && tail -n 60 "$LOG"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root"
for c in qemu-system-x86_64 libvirtd virsh iptables nsenter python3; do
	command -v $c >/dev/null 2>&1 || skip "$c missing"
done
for f in vtune vtune-hostd; do [ -x "$B/$f" ] || skip "$B/$f not built"; done
"$S/tests/harness/guest-kernel" cloud >/dev/null 2>&1 || skip "no guest kernel"

OUT=$(mktemp -d /tmp/vt-test-demo.XXXXXX) || fail "mktemp"
LOG=$OUT/demo.log
DPID=
stop_demo() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	DPID=
}
trap 'stop_demo; rm -rf "$OUT"' EXIT
trap 'echo "test-demo: interrupted"; exit 1' INT TERM HUP

t0=$(date +%s)
VTUNE_DEMO_SKIP_DEPS=1 VTUNE_BUILD="$B" VTUNE_DEMO_OUT="$OUT/res" sh "$S/scripts/demo" >"$LOG" 2>&1 &
DPID=$!
wait "$DPID"; rc=$?
pid=$DPID DPID=
echo "demo: exit $rc after $(($(date +%s) - t0)) s"
grep -E '^(== |  +(connections/s|failed connections|listen overflows/s|bridge-nf-busy))' "$LOG" | sed 's/^/  /'
[ "$rc" = 0 ] || fail "scripts/demo exited $rc"

R=$OUT/res
# both reports, printed and saved
for w in BEFORE AFTER; do
	grep -q "^== \[ *[0-9]*s\] $w: vtune report" "$LOG" || fail "no $w report heading"
done
for f in report-before.txt report-after.txt; do
	grep -q 'GUEST VIEW.*HOST VIEW' "$R/$f" || fail "$f: no side-by-side table"
	grep -q '^guest vtune-demo-' "$R/$f" || fail "$f: no guest"
done
[ "$(grep -c 'GUEST VIEW.*HOST VIEW' "$LOG")" -ge 2 ] || fail "the reports were not printed"
grep -q 'connections .*(.*/s)' "$R/bench-before.txt" || fail "bench before: $(cat "$R/bench-before.txt")"
grep -q 'connections .*(.*/s)' "$R/bench-after.txt" || fail "bench after: $(cat "$R/bench-after.txt")"
grep -q 'connections/s .* -> ' "$LOG" || fail "no before -> after summary"
# the HTML report with charts
[ -s "$R/report.html" ] || fail "no report.html"
grep -q '<svg' "$R/report.html" && grep -q 'class="chart"' "$R/report.html" ||
	fail "report.html has no charts"
grep -q '<polyline\|<path' "$R/report.html" || fail "report.html charts have no lines"
# policy changes journaled and applied, then reverted through hostd
J=$R/journal
n=$(grep -c '"op":"set"' "$J" 2>/dev/null || true)
[ "${n:-0}" -ge 1 ] || fail "no policy change journaled"
grep -q '"op":"applied"' "$J" || fail "no change applied"
grep -q '"op":"reverted"' "$J" || fail "no reverted record"
grep -Eq '^(reverted|asked the guest to revert) ' "$R/revert.txt" || fail "revert: $(cat "$R/revert.txt")"
grep -q '^REVERT OK' "$LOG" || fail "no REVERT OK"
"$B/vtune" revert --all --dry-run --journal "$J" 2>&1 | grep -q 'nothing to revert' ||
	fail "the journal still has open changes"
echo "journal: $n changes: $(sed -n 's/^ *\([a-z-]*\) .*/\1/p' "$R/changes.txt" | sort -u | tr '\n' ' ')"

# nothing left behind
for ns in "vt-demo-$pid" "vt-demo-client-$pid"; do
	[ ! -e "/run/netns/$ns" ] || fail "netns $ns left behind"
done
ip netns list 2>/dev/null | grep -q "vt-demo-.*$pid" && fail "a namespace of the demo is left"
w=$(sed -n 's/^ *journal \(\/tmp\/vt-demo\.[A-Za-z0-9]*\)\/host-journal.*/\1/p' "$LOG" | head -n 1)
[ -n "$w" ] || fail "cannot find the demo's work folder in its output"
[ ! -e "$w" ] || fail "work folder $w left behind"
for p in /proc/[0-9]*; do
	c=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) || continue
	case $c in
	*"$w"*|*"vtune-demo-$pid"*|*"vt-demo-client-$pid"*) fail "process left: ${p#/proc/} $c" ;;
	esac
done
echo "PASS: test-demo: both reports, HTML with charts, $n changes journaled and reverted, nothing left"
exit 0
