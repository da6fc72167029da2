#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-bench-crr: `vtune bench crr` server and client in a network namespace
# made here: load with no errors, ECONNREFUSED counted, JSON, bad arguments.
set -u
B=${VTUNE_BUILD:-$PWD/build}
V=$B/vtune
NS=vtb-$$
PORT=8080
SRV=
HANG=
TMP=$(mktemp -d) || exit 1

fail() { echo "FAIL: test-bench-crr: $*" >&2; exit 1; }
# shellcheck disable=SC2317  # run from the trap
cleanup() {
	if [ -n "$SRV" ]; then
		kill "$SRV" 2>/dev/null
		wait "$SRV" 2>/dev/null
	fi
	if [ -n "$HANG" ]; then
		kill "$HANG" 2>/dev/null
		wait "$HANG" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
	echo "SKIP: test-bench-crr needs root and ip(8)"; exit 77
fi
[ -x "$V" ] || fail "no $V: build first (make)"
command -v python3 >/dev/null || fail "python3 is needed to check --json"
in_ns() { ip netns exec "$NS" "$@"; }

# Arguments first: no namespace needed.
"$V" bench crr --help | grep -q 'usage: vtune bench crr' || fail "--help prints no usage"
for bad in "" "-t 0 127.0.0.1:1" "-d x 127.0.0.1:1" "--size -1 127.0.0.1:1" \
	   "127.0.0.1" "127.0.0.1:99999" "-t 4 -c 2 127.0.0.1:1" "--bogus 127.0.0.1:1"; do
	# shellcheck disable=SC2086
	"$V" bench crr $bad >/dev/null 2>"$TMP/err"; rc=$?
	[ $rc = 2 ] || fail "'vtune bench crr $bad' exited $rc, want 2"
	grep -q 'vtune: bench crr:' "$TMP/err" || fail "'$bad' gave no clear error"
done

ip netns add "$NS" || fail "cannot create namespace $NS"
ip -n "$NS" link set lo up || fail "cannot bring lo up in $NS"

# not through in_ns: $! must be the server itself, not a subshell
ip netns exec "$NS" "$V" bench crr --serve 127.0.0.1:$PORT -t 2 \
	>"$TMP/srv.out" 2>"$TMP/srv.err" &
SRV=$!
i=0
until grep -q "serving on 127.0.0.1:$PORT" "$TMP/srv.out"; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "server did not start: $(cat "$TMP/srv.err")"
	kill -0 "$SRV" 2>/dev/null || fail "server exited: $(cat "$TMP/srv.err")"
	sleep 0.1
done

# 1. Two seconds of load: connections complete, no errors.
in_ns "$V" bench crr 127.0.0.1:$PORT -t 2 -c 4 -d 2 >"$TMP/run.txt" 2>&1 ||
	fail "client failed: $(cat "$TMP/run.txt")"
cat "$TMP/run.txt"
rate=$(sed -n 's/^ *connections *[0-9]* *(\([0-9.]*\)\/s)$/\1/p' "$TMP/run.txt")
errs=$(sed -n 's/^ *errors *\([0-9]*\)$/\1/p' "$TMP/run.txt")
[ -n "$rate" ] || fail "no connections/s line in the report"
awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || fail "conn/s is $rate, want > 0"
[ "$errs" = 0 ] || fail "$errs errors under load, want 0"
grep -q '^ *connect ' "$TMP/run.txt" || fail "no connect latency line"
grep -q 'client CPU [0-9]*% of 2 threads' "$TMP/run.txt" || fail "no client CPU line"

# 2. --json parses, has the same figures; --size asks for a bigger body.
in_ns "$V" bench crr 127.0.0.1:$PORT -t 1 -c 2 -d 1 --size 5000 --json >"$TMP/run.json" ||
	fail "client --json failed"
python3 -m json.tool "$TMP/run.json" >/dev/null || fail "--json output does not parse: $(cat "$TMP/run.json")"
python3 - "$TMP/run.json" <<'PY' || fail "--json figures wrong: $(cat "$TMP/run.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["conn_per_s"] > 0 and j["connections"] > 0, "no connections"
assert j["errors"] == 0 and j["errors_by_errno"] == {}, "errors"
for p in ("connect", "reqresp", "close"):
    l = j["latency_us"][p]
    assert 0 < l["p50"] <= l["p99"] <= l["p99_9"] <= l["max"], p
assert j["threads"] == 1 and j["conns"] == 2
assert isinstance(j["client_bottleneck"], bool)
PY

# 3. A closed port: ECONNREFUSED counted, exit status 1 (nothing completed).
in_ns "$V" bench crr 127.0.0.1:$((PORT + 1)) -t 1 -d 1 --json >"$TMP/refused.json"; rc=$?
[ $rc = 1 ] || fail "client against a closed port exited $rc, want 1"
python3 - "$TMP/refused.json" <<'PY' || fail "ECONNREFUSED not counted: $(cat "$TMP/refused.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["connections"] == 0
assert j["errors_by_errno"].get("ECONNREFUSED", 0) > 0
PY

# 4. A listener that never answers: the per-connection timeout gives
#    ETIMEDOUT, and the client ends on time instead of hanging.
ip netns exec "$NS" python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 8082))
s.listen(4)
print("listening", flush=True)
time.sleep(60)' >"$TMP/hang.out" &
HANG=$!
i=0
until grep -q listening "$TMP/hang.out"; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "silent listener did not start"
	sleep 0.1
done
start=$(date +%s)
in_ns "$V" bench crr 127.0.0.1:8082 -t 1 -c 2 -d 1 --timeout 0.3 --json >"$TMP/hang.json"
took=$(( $(date +%s) - start ))
[ $took -le 5 ] || fail "client against a silent server took $took s for -d 1"
python3 - "$TMP/hang.json" <<'PY' || fail "ETIMEDOUT not counted: $(cat "$TMP/hang.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["connections"] == 0
assert j["errors_by_errno"].get("ETIMEDOUT", 0) > 0
PY
kill "$HANG"; wait "$HANG" 2>/dev/null; HANG=

# 5. The server stops cleanly on SIGTERM and says what it served.
kill -TERM "$SRV"
i=0
while kill -0 "$SRV" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "server still running 5 s after SIGTERM"
	sleep 0.1
done
wait "$SRV"; rc=$?
SRV=
[ $rc = 0 ] || fail "server exited $rc after SIGTERM, want 0: $(cat "$TMP/srv.err")"
grep -q 'served [1-9][0-9]* connections' "$TMP/srv.err" || fail "server did not report: $(cat "$TMP/srv.err")"
echo "PASS: test-bench-crr ($rate conn/s)"
