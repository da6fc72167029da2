#!/bin/sh
# timeout: 90
# test-bench-smoke: `make bench` with tiny sizes (BENCH_QUICK=1, about 40 s),
# so the bench scripts keep working: every part gives its row with a number
# (or says why it skipped), and the table file has the machine and kernel.
set -u
B=${VTUNE_BUILD:-$PWD/build}
S=${VTUNE_SRC:-$PWD}
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
fail() { echo "FAIL: test-bench-smoke: $*" >&2; tail -n 40 "$TMP/log" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "SKIP: test-bench-smoke needs root (namespaces)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: test-bench-smoke needs python3"; exit 77; }
for p in "$B/bench/sample_cost" "$B/bench/guestsim" "$B/vtune-hostd" "$B/vtune-agent" "$B/vtune"; do
	[ -x "$p" ] || fail "no $p: build first (make all bench-tools)"
done

BENCH_QUICK=1 VTUNE_BUILD=$B VTUNE_SRC=$S "$S/bench/run-all" "$TMP/results.md" > "$TMP/log" 2>&1 ||
	fail "bench/run-all exited $?"
R=$TMP/results.md
[ -s "$R" ] || fail "no results file"
grep -q '^- kernel: ' "$R" || fail "no kernel line"
grep -q '^- machine: ' "$R" || fail "no machine line"
grep -Eq '^\| agent: CPU per full sample .*\| [0-9.]+ µs \|' "$R" || fail "no agent CPU figure"
grep -Eq '^\| agent: peak RSS of `vtune-agent run` \| [0-9]+ KiB \|' "$R" || fail "no agent RSS figure"
grep -Eq '^\| hostd: CPU per report, 10 guests \| [0-9.]+ µs \|' "$R" || fail "no hostd per-report figure"
grep -Eq '^\| hostd: memory per guest, 10 guests \| -?[0-9.]+ KiB \|' "$R" || fail "no hostd memory figure"
grep -Eq '^\| hostd: report write .*10 guests \| p50 ' "$R" || fail "no hostd latency figure"
grep -Eq '^\| reaction: .*\| max [0-9.]+, median' "$R" || fail "no reaction figure"
grep -Eq '^\| bench crr: .*conn/s|^\| bench crr vs wrk \| skipped' "$R" || fail "no crr-vs-wrk row"
grep -q "| error:" "$R" && fail "a part failed: $(grep "| error:" "$R")"
grep -q 'guestsim: guests=10 up=10 .* errors=0' "$R" || fail "guestsim did not run cleanly"
echo "ok: bench smoke ($(grep -c '^| ' "$R") table lines)"
