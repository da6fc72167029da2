#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-trust-guests: a guest's word never drives a host action alone, acks
# answer their requests only, and a guest's revert counts only when the
# guest confirms it. In a network namespace of its own (its somaxconn is
# the "host" knob), vtune-hostd on the sim backend with fake guests:
#  - liar claims 50 overflows/s with no traffic on its tap, absurd claims
#    999999999999999.9/s: the host rule is held (no host record, the knob
#    untouched), each is named in the log, `vtune status` and `vtune
#    report`, while the guest-side rule still asks them;
#  - forger acks with results for keys it was not asked and ids never sent:
#    refused and counted;
#  - honest claims the same with 2000 packets/s to it on its tap: the host
#    rule fires and its record names the guest;
#  - `vtune revert --all --wait 2`: the host knob comes back; liar answers
#    its revert with an error, honest not at all, forger with a value not
#    asked: all three stay pending, said on stderr, exit 1; honest
#    reconnects and hostd asks again: confirmed, marked reverted.
set -u
B=${VTUNE_BUILD:-$PWD/build}
H=$B/vtune-hostd
V=$B/vtune
HERE=$(cd "$(dirname "$0")" && pwd)

[ -x "$H" ] || { echo "FAIL: test-trust-guests: no $H: build first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: test-trust-guests needs root"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: test-trust-guests needs unshare"; exit 77; }
if [ -z "${VTUNE_TRUST_NETNS:-}" ]; then
	VTUNE_TRUST_NETNS=1 exec unshare -n "$0" "$@"
fi

TMP=$(mktemp -d) || exit 1
PIDS=
HPID=
fail() {
	echo "FAIL: test-trust-guests: $*" >&2
	echo "--- hostd log" >&2; tail -n 30 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $HPID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $HPID $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir "$TMP/guests"
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
# (fake figures that never move: improve: none, the guards alone judge)
rules:
  - name: overflow-host
    when: guest.tcp.listen_overflows > 5/s
    for: 1s
    cooldown: 1h
    improve: none
    host:
      - sysctl: net.core.somaxconn
        set: 1024
  - name: overflow-guest
    when: guest.tcp.listen_overflows > 5/s
    for: 1s
    cooldown: 1h
    improve: none
    guest:
      - sysctl: net.core.somaxconn
        set: 4096
YAML
echo 128 > /proc/sys/net/core/somaxconn || fail "cannot set somaxconn in the namespace"
som() { cat /proc/sys/net/core/somaxconn; }

guest() { # NAME ARGS...: a fake guest in the background
	n=$1; shift
	python3 "$HERE/fakeguest.py" --socket "$TMP/guests/$n.sock" --log "$TMP/$n.log" \
		--period 0.3 --sysctl net.core.somaxconn=128 \
		--metric guest.sysctl.somaxconn=@net.core.somaxconn "$@" & PIDS="$PIDS $!"
	eval "PID_$n=$!"
}
guest liar --metric guest.tcp.listen_overflows=50.0 --ack-first 1 --later error
guest absurd --metric guest.tcp.listen_overflows=999999999999999.9 \
	--host-metric host.tap.tx_packets=100
guest forger --metric guest.tcp.passive_opens=3.0 --forge-acks --ack-first 1 --later wrong-value \
	--metric guest.tcp.listen_overflows=9.0 --host-metric host.tap.tx_packets=0
for n in liar absurd forger; do
	for i in $(seq 50); do [ -S "$TMP/guests/$n.sock" ] && break; sleep 0.1; done
done

"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.3 \
	--journal "$TMP/state/journal" --control "$TMP/ctl.sock" --metrics off --no-privsep \
	> "$TMP/hostd.log" 2>&1 & HPID=$!

wait_until() { # SECONDS WHAT CMD...
	t=$1 what=$2; shift 2
	for i in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done
	fail "$what"
}
said() { grep -q "$1" "$TMP/hostd.log"; }
wait_until 10 "liar not named as implausible" said 'guest liar: implausible report.*host.tap.tx_packets unknown'
wait_until 10 "absurd not named as implausible" said 'guest absurd: implausible report.*exceeds'
wait_until 10 "forger not named as implausible" said 'guest forger: implausible report'
# the guest rule runs on the same reports: liar and forger were asked
wait_until 10 "guest rule did not ask liar" grep -q '"type": "apply"' "$TMP/liar.log"
wait_until 10 "guest rule did not ask forger" grep -q '"type": "apply"' "$TMP/forger.log"
sleep 1.5 # several more steps
[ "$(som)" = 128 ] || fail "a lying guest changed the host: somaxconn $(som)"
grep '"op":"set"' "$TMP/state/journal" | grep -q '"side":"host"' && fail "host record from a lie"
"$V" status --control "$TMP/ctl.sock" > "$TMP/status" || fail status
# (status wraps at 100 columns: read as one line)
tr '\n' ' ' < "$TMP/status" | tr -s ' ' |
	grep -q 'implausible reports: [0-9]* (host rules held, now): guest.tcp.listen_overflows=50.0/s: no host evidence' ||
	fail "status: $(cat "$TMP/status")"
"$V" status --json --control "$TMP/ctl.sock" > "$TMP/status.json" || fail "status --json"
python3 - "$TMP/status.json" <<'PY' || fail "forged acks: $(cat "$TMP/status.json" | head -c 2000)"
import json, sys
g = {x["name"]: x for x in json.load(open(sys.argv[1]))["guests"]}
f = g["forger"]
assert f["refused_results"] >= 1 and f["unknown_acks"] >= 1, f
assert g["absurd"]["implausible"] >= 1 and g["liar"]["implausible"] >= 1
PY
"$V" report --control "$TMP/ctl.sock" > "$TMP/report" || fail report
grep -q 'implausible (not corroborated by the host)' "$TMP/report" || fail "report: $(cat "$TMP/report")"

# the honest guest: the same claim, with the traffic the host saw
guest honest --metric guest.tcp.listen_overflows=50.0 --host-metric host.tap.tx_packets=2000 \
	--ack-first 1 --later silent
wait_until 10 "the honest guest's host rule did not fire" sh -c '[ "$(cat /proc/sys/net/core/somaxconn)" = 1024 ]'
grep '"op":"set"' "$TMP/state/journal" | grep '"side":"host"' | grep -q '"guest":"honest"' ||
	fail "host record does not name the guest: $(grep '"side":"host"' "$TMP/state/journal")"
said 'guest honest: implausible' && fail "honest guest held"
wait_until 10 "honest not asked by the guest rule" grep -q '"type": "apply"' "$TMP/honest.log"
sleep 1

# reverts: the host knob comes back; the guests' stay pending
"$V" revert --all --wait 2 --control "$TMP/ctl.sock" > "$TMP/rv.out" 2> "$TMP/rv.err"; rc=$?
[ "$rc" = 1 ] || fail "revert exited $rc with guests unconfirmed: $(cat "$TMP/rv.out" "$TMP/rv.err")"
[ "$(som)" = 128 ] || fail "host knob not restored: $(som)"
for n in liar honest forger; do
	grep -q "pending: guest $n sysctl net.core.somaxconn" "$TMP/rv.err" ||
		fail "$n not said pending: $(cat "$TMP/rv.err")"
done
grep -q 'pending: guest liar.*Permission denied' "$TMP/rv.err" || fail "liar's error not said"
grep -q 'pending: guest forger.*did not restore the original value' "$TMP/rv.err" ||
	fail "forger's value not said: $(cat "$TMP/rv.err")"
grep -q '"op":"reverted".*"domain":"honest"' "$TMP/state/journal" && fail "honest marked reverted unconfirmed"

# honest comes back behaving: asked again at its hello, confirmed
kill "$PID_honest"; wait "$PID_honest" 2>/dev/null
guest honest --metric guest.tcp.listen_overflows=0.0 --host-metric host.tap.tx_packets=2000
wait_until 20 "honest's revert not retried at its hello and confirmed" \
	grep -q '"op":"reverted".*"domain":"honest".*confirmed by the guest' "$TMP/state/journal"
said 'guest honest: 1 revert(s) it had not confirmed asked again' || fail "retry not said"
grep -q '"op":"reverted".*"domain":"liar"' "$TMP/state/journal" && fail "liar marked reverted"
grep -q 'AddressSanitizer\|runtime error' "$TMP/hostd.log" && fail "sanitizer report"
echo "PASS: test-trust-guests"
exit 0
