#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-policy-hostile: policy files an attacker (or a mistake) makes are
# refused fast and small, and a reload never freezes vtune-hostd:
#  - `vtune policy check` on files under the 1 MiB cap built to cost the
#    most (100k-deep flow lists and mappings, 400k values, 180k aliases,
#    45k keys in one rule): each refused with file:line:col, each in at
#    most 2 s and 100 MB (was: 100k deep 25-31 s);
#  - a FIFO as the policy: refused at once by policy check and hostd -n;
#  - hostd (sim backend) reloads the 100k-deep file and then a FIFO on
#    SIGHUP while `vtune status` keeps answering, keeps its old policy and
#    loads a good one after.
set -u
B=${VTUNE_BUILD:-$PWD/build}
H=$B/vtune-hostd
V=$B/vtune
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$H" ] || { echo "FAIL: test-policy-hostile: build first (make)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
TMP=$(mktemp -d) || exit 1
PIDS=
fail() {
	echo "FAIL: test-policy-hostile: $*" >&2
	tail -n 20 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

python3 - "$V" "$TMP" <<'PY' || fail "hostile files"
import os, sys, time
V, T = sys.argv[1], sys.argv[2]
cases = {
    "deep-list": ("version: 1\nrules: " + "[" * 100000 + "]" * 100000 + "\n",
                  "h.yaml:2:71: nested deeper than 64"),
    "deep-map": ("version: 1\nrules: " + "{a: " * 100000 + "1" + "}" * 100000 + "\n",
                 "h.yaml:2:260: nested deeper than 64"),
    "wide": ("version: 1\nrules: [" + ",".join(["a"] * 400000) + "]\n",
             "h.yaml:2:199999: more than 100000 values"),
    "aliases": ("version: 1\na: &a [x, x, x, x, x, x, x, x]\nrules: [" + ",".join(["*a"] * 180000) + "]\n",
                "more than 100000 values"),
    "many-keys": ("version: 1\nrules:\n  - {" + ", ".join("k%d: 1" % i for i in range(45000)) + "}\n",
                  "h.yaml:3:6: unknown key 'k0' in a rule"),
}
bad = 0
for name, (text, want) in cases.items():
    data = text.encode()[: 1 << 20]
    path = os.path.join(T, "h.yaml")
    open(path, "wb").write(data)
    t = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.path.join(T, "out"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1); os.dup2(fd, 2)
        os.chdir(T)
        os.execv(V, [V, "policy", "check", "h.yaml"])
    _, status, ru = os.wait4(pid, 0)
    dt = time.monotonic() - t
    out = open(os.path.join(T, "out")).read()
    ok = os.waitstatus_to_exitcode(status) == 1 and want in out and dt <= 2 and ru.ru_maxrss <= 100 * 1024
    print("%-10s %8d bytes: %.3f s, %6d KiB peak: %s%s" % (name, len(data), dt, ru.ru_maxrss,
          out.splitlines()[0][:90] if out else "?", "" if ok else "  <-- FAIL"))
    bad += not ok
sys.exit(1 if bad else 0)
PY

mkfifo "$TMP/fifo.yaml"
timeout 5 "$V" policy check "$TMP/fifo.yaml" > "$TMP/out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q 'not a regular file: refused' "$TMP/out" || fail "FIFO: rc $rc: $(cat "$TMP/out")"
timeout 5 "$H" -n --backend sim --uri "$TMP" --policy "$TMP/fifo.yaml" > "$TMP/out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q 'not a regular file' "$TMP/out" || fail "hostd -n FIFO: rc $rc: $(cat "$TMP/out")"
echo "FIFO: refused at once by policy check and hostd -n"

# hostd reloads hostile files on SIGHUP and keeps answering
mkdir "$TMP/guests"
cp "$HERE/../../policies/default.yaml" "$TMP/policy.yaml"
python3 "$HERE/hostile_guests.py" good "$TMP/guests" 2 --prefix good --overflows 1 --period 0.5 &
PIDS="$PIDS $!"
"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.5 \
	--journal "$TMP/state/journal" --control "$TMP/ctl.sock" --metrics off --no-privsep \
	> "$TMP/hostd.log" 2>&1 & HPID=$!
PIDS="$PIDS $HPID"
for i in $(seq 50); do [ -S "$TMP/ctl.sock" ] && break; sleep 0.1; done
rules=$(grep -c '^  - name:' "$TMP/policy.yaml")
python3 -c 'print("version: 1\nrules: " + "[" * 100000 + "]" * 100000)' > "$TMP/policy.yaml"
kill -HUP "$HPID"
worst=0
for i in $(seq 10); do
	t0=$(date +%s%N)
	"$V" status --control "$TMP/ctl.sock" > /dev/null || fail "status failed during the reload"
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 )); [ "$ms" -gt "$worst" ] && worst=$ms
	sleep 0.1
done
for i in $(seq 30); do grep -q 'refused: keeping the old one' "$TMP/hostd.log" && break; sleep 0.1; done
grep -q 'policy.yaml:2:71: nested deeper than 64' "$TMP/hostd.log" || fail "deep policy not refused where it is"
grep -q "refused: keeping the old one ($rules rules)" "$TMP/hostd.log" || fail "old policy not kept"
rm "$TMP/policy.yaml"; mkfifo "$TMP/policy.yaml"
kill -HUP "$HPID"
for i in $(seq 30); do [ "$(grep -c 'refused: keeping the old one' "$TMP/hostd.log")" -ge 2 ] && break; sleep 0.1; done
grep -q 'policy.yaml: not a regular file: refused' "$TMP/hostd.log" || fail "FIFO policy not refused"
timeout 3 "$V" status --control "$TMP/ctl.sock" > /dev/null || fail "hostd hangs after a FIFO reload"
rm "$TMP/policy.yaml"; cp "$HERE/../../policies/default.yaml" "$TMP/policy.yaml"
kill -HUP "$HPID"
for i in $(seq 30); do grep -q "reloaded: $rules rules" "$TMP/hostd.log" && break; sleep 0.1; done
grep -q "reloaded: $rules rules" "$TMP/hostd.log" || fail "good policy not reloaded"
echo "reloads: the slowest status answer during them took $worst ms"
[ "$worst" -lt 1000 ] || fail "status took $worst ms during a reload"
echo "PASS: test-policy-hostile"
exit 0
