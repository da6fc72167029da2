#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 90
# Scenario nofile-near-limit on the real kernel, in a network namespace made
# here: holdsrv listens with RLIMIT_NOFILE 64 (the hard limit untouched) and
# 100 clients connect and stay; it accepts until accept() fails with EMFILE
# and the rest wait in its accept queue. The agent (run --standalone, the
# default rule with a short `for`) finds the listener's process through
# sock_diag and /proc/PID/fd, sees it at its limit (guest.proc.at_nofile)
# and raises its soft limit with prlimit (journaled by pid and start time);
# holdsrv then accepts every waiting connection. The agent's log says how to
# keep it (limits.d or LimitNOFILE=). `vtune revert --all` puts the limit
# back on the running process.
SCN="emfile"
. "$(dirname "$0")/scenario-lib.sh"
NS=vtemf$$
PORT=9361
HOLD=$B/tests/tools/holdsrv
cleanup() {
	scn_kill
	ip netns del "$NS" 2>/dev/null
	scn_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
scn_need ss
[ -x "$HOLD" ] || make -s -C "$S" B="$B" "$HOLD" >/dev/null 2>&1 || fail "cannot build $HOLD"
scn_policy nofile-near-limit
ip netns add "$NS" || fail "cannot add namespace $NS"
ip -n "$NS" link set lo up
IN="ip netns exec $NS"

$IN "$HOLD" --port $PORT --nofile 64 --for 80 > "$W/hold.log" 2>&1 &
scn_bg $!
scn_wait_port "$IN" 127.0.0.1 $PORT
hpid=$(sed -n 's/^holdsrv: listening [0-9]* pid \([0-9]*\)$/\1/p' "$W/hold.log")
[ -n "$hpid" ] || fail "holdsrv did not say its pid"
soft() { awk '/^Max open files/ { print $4 }' "/proc/$hpid/limits"; }
[ "$(soft)" = 64 ] || fail "holdsrv's limit is $(soft), not 64"

# 100 connections that stay open
$IN python3 -c '
import socket, sys, time
c = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(100)]
time.sleep(80)' $PORT &
scn_bg $!
held() { sed -n 's/^holdsrv: held \([0-9]*\) emfile \([0-9]*\).*/\1 \2/p' "$W/hold.log" | tail -n 1; }
i=0
until set -- $(held) && [ "${2:-0}" -gt 0 ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "holdsrv never hit EMFILE: $(tail -n 2 "$W/hold.log")"; sleep 0.2
done
before=$1
[ "$before" -lt 100 ] || fail "holdsrv held all 100 under its limit of 64"
# what the agent sees: the process at its limit
$IN "$A" sample --interval 0.3 --json > "$W/sample.json" || fail "vtune-agent sample failed"
python3 - "$W/sample.json" "$hpid" <<'PY' || fail "sample: holdsrv not seen at its limit"
import json, sys
d = json.load(open(sys.argv[1])); m = d["metrics"]; pid = int(sys.argv[2])
p = [x for x in d["processes"] if x["pid"] == pid]
assert p and p[0]["comm"] == "holdsrv" and p[0]["nofile_soft"] == 64, d["processes"]
assert p[0]["fds"] >= 64 and not p[0]["fds_is_bound"], p
assert m["guest.proc.at_nofile"] >= 1 and m["guest.proc.nofile_fill_max"] == 100, m
assert any(l["port"] == 9361 and l.get("pid") == pid for l in d["listeners"])
PY

$IN "$A" run --standalone --policy "$POL" --interval 0.5 --journal "$W/journal" --duration 8 \
	> "$W/agent.log" 2>&1 &
apid=$!
scn_bg $apid
i=0
until [ "$(soft)" != 64 ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "holdsrv's limit was not raised"; sleep 0.2
done
raised=$(soft)
i=0
until set -- $(held) && [ "${1:-0}" -ge 100 ]; do
	i=$((i + 1)); [ $i -lt 30 ] || fail "holdsrv held only ${1:-?} after the raise"; sleep 0.2
done
wait $apid
grep -q "nofile: holdsrv (pid $hpid) runs with $raised open files now; to keep it after a restart" "$W/agent.log" ||
	fail "the agent did not say how to keep the limit"
grep -q "soft nofile $raised" "$W/agent.log" || grep -q "LimitNOFILE=$raised" "$W/agent.log" ||
	fail "no limits.d or LimitNOFILE= line with $raised"
rec=$(scn_journal_kind "$W/journal" nofile nofile-near-limit) || exit 1
case $rec in "$hpid@"*" 64 "*" -> $raised "*) ;; *) fail "journal record: $rec" ;; esac

"$V" revert --all --journal "$W/journal" > "$W/revert.log" 2>&1 || { cat "$W/revert.log"; fail "revert failed"; }
[ "$(soft)" = 64 ] || fail "revert left holdsrv's limit at $(soft)"
scn_result "scenario $SCN: holdsrv at RLIMIT_NOFILE 64 held $before of 100 (EMFILE), vtune raised it to $raised: held 100; revert: 64"
