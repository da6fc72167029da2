#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 180
# test-hostd-restart: vtune-hostd (sim backend) restarted under running fake
# guests (tests/integration/hostile_guests.py): after SIGTERM + start, and
# after SIGKILL + start (stale control socket, journal lock), every guest
# reconnects by itself, none is asked again for a change it already has;
# a guest whose socket goes away and comes back (removed and recreated, or
# replaced while stale, or gone while hostd is down) is reconnected at once,
# not after the backoff. Prints the reconnect times. (libvirtd restarts and
# guest reboots: the KVM end-to-end test.)
set -u
B=${VTUNE_BUILD:-$PWD/build}
H=$B/vtune-hostd
V=$B/vtune
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d) || exit 1
PIDS=
HPID=
PHX=
N=6 # guests: vm0..vm4 in one process, phoenix0 alone

fail() {
	echo "FAIL: test-hostd-restart: $*" >&2
	echo "--- hostd log (tail)" >&2; tail -n 30 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $HPID $PHX $PIDS; do kill "$p" 2>/dev/null; done
	for p in $HPID $PHX $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$H" ] || fail "no $H: build first (make)"
command -v python3 >/dev/null || { echo "SKIP: test-hostd-restart needs python3"; exit 77; }

mkdir "$TMP/guests"
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: accept-overflow
    when: guest.tcp.listen_overflows > 10/s
    for: 1s
    cooldown: 1h
    guest:
      - sysctl: net.core.somaxconn
        set: 4096
YAML

start_hostd() {
	"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.5 \
		--journal "$TMP/journal" --control "$TMP/ctl.sock" --root "$TMP/root" \
		>>"$TMP/hostd.log" 2>&1 & HPID=$!
}
start_phoenix() {
	python3 "$HERE/hostile_guests.py" good "$TMP/guests" 1 --prefix phoenix --period 0.5 & PHX=$!
	for i in $(seq 100); do [ -S "$TMP/guests/phoenix0.sock" ] && break; sleep 0.05; done
}
now_ms() { date +%s%3N; }

# wait_guests WANT [SINCE_REPORTS_FILE]: until WANT guests are connected
# with an agent and a report at most 1 s old (and, given a file of report
# counts from before, more reports than then). Prints the seconds waited.
wait_guests() {
	t0=$(now_ms)
	for i in $(seq 150); do
		if "$V" status --json --control "$TMP/ctl.sock" >"$TMP/st.json" 2>/dev/null &&
		   python3 - "$TMP/st.json" "$1" "${2:-}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
before = json.load(open(sys.argv[3])) if sys.argv[3] else {}
ok = [g for g in d["guests"] if g["connected"] and g["agent"]
      and g["report_age_s"] is not None and g["report_age_s"] <= 1.0
      and g["reports"] > before.get(g["name"], -1)]
sys.exit(0 if len(ok) >= int(sys.argv[2]) else 1)
PY
		then
			echo "$(( $(now_ms) - t0 ))" | awk '{ printf "%.2f", $1 / 1000 }'
			return 0
		fi
		sleep 0.1
	done
	return 1
}
report_counts() {
	"$V" status --json --control "$TMP/ctl.sock" | python3 -c '
import json, sys
print(json.dumps({g["name"]: g["reports"] for g in json.load(sys.stdin)["guests"]}))' > "$1"
}
sets() { grep -c '"op":"set"' "$TMP/journal" 2>/dev/null || echo 0; }

python3 "$HERE/hostile_guests.py" good "$TMP/guests" 5 --prefix vm --period 0.5 & PIDS="$PIDS $!"
start_phoenix
for i in $(seq 100); do [ -S "$TMP/guests/vm4.sock" ] && break; sleep 0.1; done

start_hostd
t=$(wait_guests $N) || fail "the guests did not all connect at the first start"
echo "first start: $N/$N guests reporting after $t s"
for i in $(seq 60); do [ "$(grep -c '"op":"applied"' "$TMP/journal" 2>/dev/null)" -ge $N ] && break; sleep 0.1; done
[ "$(grep -c '"op":"applied"' "$TMP/journal")" = $N ] || fail "expected $N applies journaled: $(cat "$TMP/journal")"
SETS=$(sets)

# 1. SIGTERM and start again, three times.
for round in 1 2 3; do
	kill -TERM "$HPID"; wait "$HPID"; rc=$?; HPID=
	[ "$rc" = 0 ] || fail "hostd exited $rc on SIGTERM"
	[ -e "$TMP/ctl.sock" ] && fail "control socket left after SIGTERM"
	start_hostd
	t=$(wait_guests $N) || fail "restart $round: not every guest reconnected"
	echo "SIGTERM restart $round: $N/$N guests reconnected and reporting after $t s"
done

# 2. SIGKILL and start again: stale control socket, journal lock.
kill -KILL "$HPID"; wait "$HPID" 2>/dev/null; HPID=
[ -S "$TMP/ctl.sock" ] || fail "no stale control socket after SIGKILL?"
start_hostd
t=$(wait_guests $N) || fail "after SIGKILL: not every guest reconnected"
echo "SIGKILL restart: $N/$N guests reconnected and reporting after $t s"

# Nothing asked again: every guest reports the value it was given.
sleep 1.5
[ "$(sets)" = "$SETS" ] || fail "restarts re-sent changes: $SETS -> $(sets) set records"

# 3. A guest that goes away (socket removed) and comes back.
kill "$PHX"; wait "$PHX" 2>/dev/null; PHX=
rm -f "$TMP/guests/phoenix0.sock"
for i in $(seq 50); do grep -q 'guest phoenix0: gone' "$TMP/hostd.log" && break; sleep 0.1; done
grep -q 'guest phoenix0: gone' "$TMP/hostd.log" || fail "hostd did not see phoenix0 go"
report_counts "$TMP/before.json"
t0=$(now_ms)
start_phoenix
t=$(wait_guests $N "$TMP/before.json") || fail "phoenix0 did not reconnect after coming back"
echo "guest socket removed and recreated: reconnected after $t s"

# 4. A guest that dies leaving its socket (connects refused, backoff grows
# for 6 s), then a new one replaces the socket: reconnected at once.
kill -KILL "$PHX"; wait "$PHX" 2>/dev/null; PHX=
sleep 6
"$V" status --json --control "$TMP/ctl.sock" | python3 -c '
import json, sys
g = {x["name"]: x for x in json.load(sys.stdin)["guests"]}
assert not g["phoenix0"]["connected"], g["phoenix0"]
' || fail "phoenix0 still connected after it died"
report_counts "$TMP/before.json"
start_phoenix
t=$(wait_guests $N "$TMP/before.json") || fail "phoenix0 not reconnected after its socket was replaced"
echo "stale guest socket replaced after 6 s of refused connects: reconnected after $t s"
awk -v t="$t" 'BEGIN { exit !(t <= 3) }' || fail "reconnect took $t s: the backoff was not reset"

# 5. A guest that goes away while hostd is down and comes back later.
kill -TERM "$HPID"; wait "$HPID"; HPID=
kill "$PHX"; wait "$PHX" 2>/dev/null; PHX=
rm -f "$TMP/guests/phoenix0.sock"
start_hostd
t=$(wait_guests $((N - 1))) || fail "restart without phoenix0: the others did not reconnect"
echo "restart with a guest gone: $((N - 1))/$((N - 1)) reconnected after $t s"
report_counts "$TMP/before.json"
start_phoenix
t=$(wait_guests $N "$TMP/before.json") || fail "phoenix0 not found when it came back"
echo "guest back while hostd runs: reconnected after $t s"

kill -TERM "$HPID"; wait "$HPID"; rc=$?; HPID=
[ "$rc" = 0 ] || fail "hostd exited $rc on SIGTERM"
grep -q 'AddressSanitizer\|runtime error' "$TMP/hostd.log" && fail "sanitizer errors in the log"
echo "PASS: test-hostd-restart"
exit 0
