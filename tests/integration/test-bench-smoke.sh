#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 150
# test-bench-smoke: `make bench` with tiny sizes (BENCH_QUICK=1, about 70 s),
# so the bench scripts keep working: every part gives its row with a median
# and its spread over rounds (or says why it skipped), every verdict is one
# the rounds can carry, the agent's counts at scale match the kernel's, and
# the table file has the machine and kernel.
set -u
B=${VTUNE_BUILD:-$PWD/build}
S=${VTUNE_SRC:-$PWD}
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
fail() { echo "FAIL: test-bench-smoke: $*" >&2; tail -n 40 "$TMP/log" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "SKIP: test-bench-smoke needs root (namespaces)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: test-bench-smoke needs python3"; exit 77; }
for p in "$B/bench/sample_cost" "$B/bench/read_floor" "$B/bench/guestsim" "$B/bench/connhold" "$B/bench/journal_cost" \
	"$B/vtune-hostd" "$B/vtune-agent" "$B/vtune"; do
	[ -x "$p" ] || fail "no $p: build first (make all bench-tools)"
done

BENCH_QUICK=1 VTUNE_BUILD=$B VTUNE_SRC=$S "$S/bench/run-all" "$TMP/results.md" > "$TMP/log" 2>&1 ||
	fail "bench/run-all exited $?"
R=$TMP/results.md
[ -s "$R" ] || fail "no results file"
grep -q '^- kernel: ' "$R" || fail "no kernel line"
grep -q '^- machine: ' "$R" || fail "no machine line"
R1='[0-9.]+ [^|]*\([0-9.]+–[0-9.]+, [0-9]+ rounds\)' # median (min–max, N rounds)
grep -Eq "^\| agent: CPU per full sample .*\| $R1 \|" "$R" || fail "no agent CPU figure with its spread"
grep -Eq "^\| agent: peak RSS of \`vtune-agent run\` \| $R1 \|" "$R" || fail "no agent RSS figure"
grep -Eq "^\| agent: CPU per sample vs the floor .*\| $R1 \| floor: $R1 \|" "$R" ||
	fail "no agent CPU figure against the floor (bench/read_floor) in the same run"
grep -Eq "^\| agent at scale: CPU per sample .*\| $R1 \| the same namespace idle .*: $R1 \|" "$R" ||
	fail "no agent-at-scale CPU figure against the idle namespace"
grep -Eq "^\| agent at scale: peak RSS .*\| $R1 \|" "$R" || fail "no agent-at-scale RSS figure"
grep -Eq "^\| agent with many interfaces: CPU per sample, .*\| $R1 \|" "$R" || fail "no many-interfaces figure"
grep -Eq "^\| agent at scale: the loaded namespace's counts .*\| equal \| met \|$" "$R" ||
	fail "the agent's counts at scale differ from the kernel's (ss)"
grep -Eq "^\| hostd: CPU per report, 10 guests \| $R1 \|" "$R" || fail "no hostd per-report figure"
grep -Eq '^\| hostd: memory per guest, 10 guests \| -?[0-9.]+ KiB \|' "$R" || fail "no hostd memory figure"
grep -Eq '^\| hostd: report write .*10 guests \| p50 ' "$R" || fail "no hostd latency figure"
grep -Eq "^\| reaction: .*\| $R1 \|" "$R" || fail "no reaction figure"
grep -Eq "^\| journal: peak RSS opening [0-9]+ records .*\| $R1 \|" "$R" || fail "no journal RSS figure"
grep -Eq "^\| journal: every start after .*\| $R1 \|" "$R" || fail "no journal start-up figure"
grep -Eq '^\| bench crr: .*conn/s|^\| bench crr vs wrk \| skipped' "$R" || fail "no crr-vs-wrk row"
# every verdict is one the rounds can carry
bad=$(grep '^| ' "$R" | tail -n +3 | grep -Ev '\| (met|MISSED|n/a|spread too wide: [0-9]+ of [0-9]+ rounds meet) \|$')
[ -z "$bad" ] || fail "a row without a verdict of met, MISSED, n/a or spread too wide: $bad"
grep -q "| error:" "$R" && fail "a part failed: $(grep "| error:" "$R")"
grep -q 'guestsim: guests=10 up=10 .* errors=0' "$R" || fail "guestsim did not run cleanly"
echo "ok: bench smoke ($(grep -c '^| ' "$R") table lines)"
