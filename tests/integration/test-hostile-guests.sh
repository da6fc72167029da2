#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 240
# test-hostile-guests: vtune-hostd (sim backend) serving 10 well-behaved fake
# guests (1 report/s each, a guest rule that fires for them) while hostile
# guests attack one at a time: a flood (10k lines/s), a 10 MB line,
# slowloris, invalid JSON / UTF-8, NaN/Inf/huge/negative metrics, unknown
# fields, a reconnect storm, and reports that would trigger host actions if
# believed. For each: the good guests' reports stay at most 2 s old, hostd's
# RSS stays bounded, the attacker is counted/throttled/disconnected with
# rate-limited logs, no host change is made, hostd stays up; and the lines
# that cost hostd the most memory per byte (empty objects) stay bounded.
# Prints a table.
# The fake guests are tests/integration/hostile_guests.py.
set -u
B=${VTUNE_BUILD:-$PWD/build}
H=$B/vtune-hostd
V=$B/vtune
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d) || exit 1
PIDS=
HPID=

fail() {
	echo "FAIL: test-hostile-guests: $*" >&2
	echo "--- hostd log (tail)" >&2; tail -n 30 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $HPID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $HPID $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$H" ] || fail "no $H: build first (make)"
command -v python3 >/dev/null || { echo "SKIP: test-hostile-guests needs python3"; exit 77; }

mkdir -p "$TMP/guests" "$TMP/root/proc/sys/net/core"
# The host's sysctls as hostd sees them (--root): a trap rule would write here.
echo 128 > "$TMP/root/proc/sys/net/core/somaxconn"
echo 1000 > "$TMP/root/proc/sys/net/core/netdev_max_backlog"
# The trap guest's host view says: nothing dropped, bridge-nf off.
printf 'host.tap.tx_drops 0\nhost.bridge_nf 0\n' > "$TMP/guests/evil-trap.host"

cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  # fires for every good guest (they report 50 overflows/s): a guest apply
  - name: accept-overflow
    when: guest.tcp.listen_overflows > 10/s
    for: 1s
    cooldown: 1h
    guest:
      - sysctl: net.core.somaxconn
        set: 4096
  # would fire only on a value outside guest.tcp.listen_overflows' range
  - name: trap-out-of-range
    when: guest.tcp.listen_overflows > 100000G/s
    host:
      - sysctl: net.core.somaxconn
        set: 1234
  # would fire only if a guest could name host metrics
  - name: trap-host-names
    when: host.tap.tx_drops > 100/s or host.bridge_nf == 1 or host.dom0.busy > 90%
    host:
      - sysctl: net.core.netdev_max_backlog
        set: 5555
YAML

"$H" -n --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" | grep -qx 'configuration OK' \
	|| fail "policy refused"

python3 "$HERE/hostile_guests.py" good "$TMP/guests" 10 --prefix good --overflows 50 --period 1 &
PIDS="$PIDS $!"
for i in $(seq 100); do [ -S "$TMP/guests/good9.sock" ] && break; sleep 0.1; done
[ -S "$TMP/guests/good9.sock" ] || fail "the good guests did not start"

"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 1 \
	--journal "$TMP/journal" --control "$TMP/ctl.sock" --root "$TMP/root" \
	>"$TMP/hostd.log" 2>&1 & HPID=$!
for i in $(seq 100); do [ -S "$TMP/ctl.sock" ] && break; sleep 0.1; done
[ -S "$TMP/ctl.sock" ] || fail "hostd did not start"
touch "$TMP/journal"

echo "hostd RSS at start: $(grep VmRSS /proc/$HPID/status | tr -s ' \t' ' ')"
python3 "$HERE/hostile_guests.py" drive --hostd-pid "$HPID" --vtune "$V" \
	--control "$TMP/ctl.sock" --dir "$TMP/guests" --log "$TMP/hostd.log" \
	--journal "$TMP/journal" --root "$TMP/root" --good 10 \
	${VTUNE_HOSTILE_ONLY:+--only "$VTUNE_HOSTILE_ONLY"} >"$TMP/drive.out" 2>&1
rc=$?
cat "$TMP/drive.out"
[ "$rc" = 0 ] || fail "see the table above"
kill -0 "$HPID" 2>/dev/null || fail "hostd died"

# The good guests got their apply (the rule fired for them), acked and
# journaled; nothing was changed on the host.
"$V" status --json --control "$TMP/ctl.sock" | python3 -c '
import json, sys
d = json.load(sys.stdin)
g = {x["name"]: x for x in d["guests"]}
for k in range(10):
    x = g["good%d" % k]
    assert x["acks"] >= 1 and x["connected"] and x["agent"], x
    assert x["bad_reports"] == 0 and x["invalid"] == 0 and x["dropped"] == 0, x
' || fail "good guests: no apply acked, or their reports were refused"
[ "$(grep -c '"op":"applied"' "$TMP/journal")" -ge 10 ] || fail "fewer than 10 applies journaled"
grep '"op":"set"' "$TMP/journal" | grep -q '"side":"host"' && fail "a host change was journaled"
grep '"op":"set"' "$TMP/journal" | grep -q '"domain":"evil' && fail "a change was sent to a hostile guest"
[ "$(cat "$TMP/root/proc/sys/net/core/somaxconn")" = 128 ] || fail "host somaxconn changed"
[ "$(cat "$TMP/root/proc/sys/net/core/netdev_max_backlog")" = 1000 ] || fail "host netdev_max_backlog changed"

kill -TERM "$HPID"
wait "$HPID"; rc=$?
HPID=
[ "$rc" = 0 ] || fail "hostd exited $rc on SIGTERM"
grep -q 'AddressSanitizer\|runtime error' "$TMP/hostd.log" && fail "sanitizer errors in the log"
echo "PASS: test-hostile-guests"
exit 0
