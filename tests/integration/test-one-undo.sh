#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-one-undo: one undo, on both sides, with vtune-hostd up and down. In a
# network namespace of its own (its somaxconn is the host knob), hostd on
# the sim backend with a fake guest (fakeguest.py) that keeps overflowing:
# one rule raises the host's somaxconn, one asks the guest for its own.
# With hostd up:
#  - `vtune verify` finds both as vtune set them (the guest's from its
#    report), exit 0;
#  - `vtune revert --all --dry-run` (no --control: the journal is in use)
#    goes through hostd, and its lines are the real run's, "would" aside;
#  - `vtune off` reverts both, `vtune status` (and `vtune apply
#    --dry-run`) says tuning is off, no rule fires for 10 intervals with
#    the symptom there, nor after a restart of hostd; `vtune on`: the rules
#    fire again;
#  - a knob changed by hand: `vtune verify` names it, exit 1.
# With hostd down:
#  - `vtune revert` reverts the host knob itself and queues the guest's
#    (dry run and real run say the same), exit 1; the journal marks it
#    asked, `vtune status` lists it pending, `vtune verify` too;
#  - `vtune off` with hostd down writes the state; hostd started again and
#    the guest's agent reconnecting: the guest is asked and confirms, no
#    rule fires.
# The guest side (a guest tree, `vtune-agent once` then `vtune-agent run
# --standalone` holding its journal): `vtune-agent verify` ok, then a knob
# changed by hand named, exit 1; hostd refuses a revert of a journal it
# does not hold; `vtune revert` and `vtune-agent revert` ask the running
# agent, dry run and real run the same.
set -u
B=${VTUNE_BUILD:-$PWD/build}
SRC=${VTUNE_SRC:-$PWD}
H=$B/vtune-hostd
V=$B/vtune
A=$B/vtune-agent
HERE=$(cd "$(dirname "$0")" && pwd)

[ -x "$H" ] && [ -x "$V" ] && [ -x "$A" ] || { echo "FAIL: test-one-undo: build first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: test-one-undo needs root"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: test-one-undo needs unshare"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: test-one-undo needs python3"; exit 77; }
if [ -z "${VTUNE_UNDO_NETNS:-}" ]; then
	VTUNE_UNDO_NETNS=1 exec unshare -n "$0" "$@"
fi

TMP=$(mktemp -d) || exit 1
PIDS=
HPID=
fail() {
	echo "FAIL: test-one-undo: $*" >&2
	echo "--- hostd log" >&2; tail -n 25 "$TMP/hostd.log" >&2 2>/dev/null
	echo "--- journal" >&2; tail -n 12 "$J" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $HPID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $HPID $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

J=$TMP/state/journal
CTL=$TMP/ctl.sock
# no --control below: the journal in use sends them to the socket here
export VTUNE_CONTROL=$CTL VTUNE_JOURNAL=$J
mkdir "$TMP/guests"
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
# (fake figures that never move: improve: none, the guards alone judge)
rules:
  - name: overflow-host
    when: guest.tcp.listen_overflows > 5/s
    for: 0.5s
    cooldown: 2s
    improve: none
    host:
      - sysctl: net.core.somaxconn
        set: 1024
  - name: overflow-guest
    when: guest.tcp.listen_overflows > 5/s
    for: 0.5s
    cooldown: 2s
    improve: none
    guest:
      - sysctl: net.core.somaxconn
        set: 4096
YAML
echo 128 > /proc/sys/net/core/somaxconn || fail "cannot set somaxconn in the namespace"
som() { cat /proc/sys/net/core/somaxconn; }
sets() { grep -c '"op":"set"' "$J"; }
ops() { grep -c "\"op\":\"$1\"" "$J"; }
wait_until() { # SECONDS WHAT CMD...
	t=$1 what=$2; shift 2
	for _ in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done
	fail "$what"
}
is_som() { [ "$(som)" = "$1" ]; }
# every "set" record has a mark OP (the last one)
all_marked() {
	python3 - "$J" "$1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"op"' in l]
last = {}
for r in recs:
    if r["op"] != "set":
        last[r["ref"]] = r["op"]
sys.exit(0 if all(last.get(r["seq"]) == sys.argv[2] for r in recs if r["op"] == "set") else 1)
PY
}
# the fake guest's own somaxconn, from the hostd's view of its reports
guest_som() {
	"$V" status --json > "$TMP/st.json" 2>/dev/null &&
		python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["guests"][0]; print(int(g["guest_metrics"]["guest.sysctl.somaxconn"]))' "$TMP/st.json"
}
is_guest_som() { [ "$(guest_som)" = "$1" ]; }
# dry-run lines as the real run words them
undry() { sed -e 's/^would revert /reverted /' -e 's/^would ask the guest/asked the guest/' \
	-e 's/^would queue:/queued:/'; }
# the "lines" of a --json outcome, one a line (text wraps at 100 columns)
lines() { python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["lines"]))' "$1"; }

python3 "$HERE/fakeguest.py" --socket "$TMP/guests/vm1.sock" --log "$TMP/vm1.log" --period 0.3 \
	--sysctl net.core.somaxconn=128 --metric guest.sysctl.somaxconn=@net.core.somaxconn \
	--metric guest.tcp.listen_overflows=50.0 --host-metric host.tap.tx_packets=2000 \
	> /dev/null 2>&1 & PIDS="$PIDS $!"
wait_until 5 "the fake guest did not start" test -S "$TMP/guests/vm1.sock"
start_hostd() {
	"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.3 \
		--journal "$J" --control "$CTL" --metrics off --no-privsep >> "$TMP/hostd.log" 2>&1 &
	HPID=$!
	wait_until 5 "hostd did not start" test -S "$CTL"
}
stop_hostd() {
	kill -TERM "$HPID"; wait "$HPID" || fail "hostd did not stop cleanly"
	HPID=
}
both_made() { is_som 1024 && is_guest_som 4096 && [ "$(ops applied)" -ge "$1" ]; }

# ---- hostd up
start_hostd
wait_until 15 "the rules did not fire (host $(som))" both_made 2

# verify: both as vtune set them; the guest's from its latest report
"$V" verify > "$TMP/verify.out" 2>&1 || fail "verify exited $?: $(cat "$TMP/verify.out")"
grep -q '^ok: sysctl net.core.somaxconn 1024 (rule overflow-host' "$TMP/verify.out" &&
	grep -q '^ok: guest vm1 sysctl net.core.somaxconn 4096 (rule overflow-guest; as the guest reported' \
		"$TMP/verify.out" || fail "verify: $(cat "$TMP/verify.out")"
echo "ok: verify with hostd up: host and guest knobs as vtune set them"

# a dry run goes through hostd and says what the real run does
"$V" revert --all --dry-run --json > "$TMP/dry.json" || fail "dry run --json: $(cat "$TMP/dry.json")"
python3 - "$TMP/dry.json" <<'PY' || fail "dry run json: $(cat "$TMP/dry.json")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["via"] == "vtune-hostd" and o["dry_run"] and o["ok"], o
assert o["counts"]["lines"] == len(o["lines"]) == 2, o
PY
"$V" revert --all --dry-run > "$TMP/dry.out" 2>&1 || fail "dry run: $(cat "$TMP/dry.out")"
grep -q '^would ask the guest to revert guest vm1 sysctl net.core.somaxconn 4096 -> 128' "$TMP/dry.out" ||
	fail "dry run not through hostd: $(cat "$TMP/dry.out")"
"$V" revert --all --json > "$TMP/real.json" || fail "revert exited $?: $(cat "$TMP/real.json")"
lines "$TMP/real.json" > "$TMP/real.lines"
lines "$TMP/dry.json" | undry | cmp -s - "$TMP/real.lines" ||
	fail "the dry run said $(lines "$TMP/dry.json"), the real run $(cat "$TMP/real.lines")"
grep -q '"confirmed: guest vm1 sysctl net.core.somaxconn reverted' "$TMP/real.json" ||
	fail "guest's revert not confirmed: $(cat "$TMP/real.json")"
is_som 128 || fail "host knob not reverted: $(som)"
echo "ok: revert --dry-run through hostd says what the real run did ($(wc -l < "$TMP/real.lines") lines)"

# off: everything back, no rule fires, across a restart; on: they fire again
wait_until 15 "the rules did not fire again after their cooldown" both_made 4
"$V" off > "$TMP/off.out" 2>&1 || fail "off exited $?: $(cat "$TMP/off.out")"
grep -q '^tuning off since .* (vtune off); vtune on resumes' "$TMP/off.out" || fail "off: $(cat "$TMP/off.out")"
grep -q '^reverted sysctl net.core.somaxconn 1024 -> 128' "$TMP/off.out" &&
	grep -q '^confirmed: guest vm1 sysctl net.core.somaxconn reverted' "$TMP/off.out" ||
	fail "off did not revert both: $(cat "$TMP/off.out")"
is_som 128 || fail "off left the host knob at $(som)"
[ -f "$J.off" ] || fail "no state file $J.off"
all_marked reverted || fail "off left changes open"
"$V" status > "$TMP/status.out" 2>&1 || fail "status: $(cat "$TMP/status.out")"
grep -q '^tuning off since .* (vtune off); vtune on resumes' "$TMP/status.out" ||
	fail "status does not say off: $(cat "$TMP/status.out")"
"$V" apply --dry-run > "$TMP/apply.out" 2>&1 && grep -q '^tuning off since' "$TMP/apply.out" ||
	fail "apply --dry-run does not say off: $(cat "$TMP/apply.out")"
nset=$(sets)
sleep 3 # 10 intervals, the symptom reported all along, cooldowns long over
[ "$(sets)" = "$nset" ] && is_som 128 && is_guest_som 128 || fail "a rule fired while off"
grep -q "tuning off (vtune off)" "$TMP/hostd.log" || fail "hostd did not log off"
stop_hostd
start_hostd
sleep 3
[ "$(sets)" = "$nset" ] && is_som 128 || fail "a rule fired after a restart while off"
grep -q "tuning off since [0-9]* (vtune off): no rule fires" "$TMP/hostd.log" ||
	fail "the restarted hostd did not read the state"
"$V" status > "$TMP/status.out" 2>&1 && grep -q '^tuning off since' "$TMP/status.out" ||
	fail "status after the restart: $(cat "$TMP/status.out")"
echo "ok: off: both reverted, no rule fired for 10 intervals, nor after a restart"
"$V" on > "$TMP/on.out" 2>&1 || fail "on exited $?: $(cat "$TMP/on.out")"
grep -q '^tuning on: the rules fire again (it was off since ' "$TMP/on.out" || fail "on: $(cat "$TMP/on.out")"
[ ! -e "$J.off" ] || fail "on left $J.off"
wait_until 15 "the rules did not fire after on" both_made 6
"$V" status > "$TMP/status.out" 2>&1; grep -q 'tuning off' "$TMP/status.out" && fail "status still says off"
echo "ok: on: the rules fire again"

# a knob changed by hand: verify names it
echo 2000 > /proc/sys/net/core/somaxconn
"$V" verify > "$TMP/verify.out" 2>&1; rc=$?
[ "$rc" = 1 ] || fail "verify exited $rc over a knob changed by hand: $(cat "$TMP/verify.out")"
grep -q '^differs: sysctl net.core.somaxconn: now 2000, vtune set 1024 (rule overflow-host)' \
	"$TMP/verify.out" || fail "verify: $(cat "$TMP/verify.out")"
"$V" verify --json > "$TMP/verify.json"; [ $? = 1 ] || fail "verify --json exit"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert not o["ok"] and o["counts"]["differs"] == 1, o' \
	"$TMP/verify.json" || fail "verify --json: $(cat "$TMP/verify.json")"
echo 1024 > /proc/sys/net/core/somaxconn
echo "ok: verify names a knob changed by hand, exit 1"

# ---- hostd down
stop_hostd
"$V" revert --all --dry-run --json > "$TMP/dry.json"; rc=$?
[ "$rc" = 1 ] || fail "dry run with hostd down exited $rc: $(cat "$TMP/dry.json")"
grep -q '"via":"journal"' "$TMP/dry.json" || fail "dry run with hostd down: $(cat "$TMP/dry.json")"
lines "$TMP/dry.json" > "$TMP/dry.lines"
grep -q "^would queue: guest vm1 sysctl net.core.somaxconn 4096 -> 128 (rule overflow-guest): asked when the guest's agent reconnects" \
	"$TMP/dry.lines" || fail "dry run with hostd down: $(cat "$TMP/dry.json")"
"$V" revert --all > "$TMP/real.out" 2>&1; rc=$?
[ "$rc" = 1 ] || fail "revert with a guest's queued exited $rc: $(cat "$TMP/real.out")"
tr '\n' ' ' < "$TMP/real.out" | tr -s ' ' > "$TMP/real.flat"
lines "$TMP/dry.json" | undry | tr '\n' ' ' | tr -s ' ' | cmp -s - "$TMP/real.flat" ||
	fail "the dry run said $(lines "$TMP/dry.json"), the real run $(cat "$TMP/real.out")"
grep -q '^reverted sysctl net.core.somaxconn 1024 -> 128 (rule overflow-host' "$TMP/real.out" ||
	fail "host knob not reverted directly: $(cat "$TMP/real.out")"
is_som 128 || fail "host knob at $(som)"
grep '"op":"asked"' "$J" | grep -q 'queued while vtune-hostd was not running' ||
	fail "the guest's revert not marked queued"
"$V" status > "$TMP/status.out" 2> "$TMP/status.err"; rc=$?
[ "$rc" = 1 ] || fail "status with hostd down exited $rc"
grep -q 'cannot reach vtune-hostd' "$TMP/status.err" &&
	grep -q '^pending reverts in guests (1)' "$TMP/status.out" &&
	grep -q 'guest vm1 sysctl net.core.somaxconn (rule overflow-guest): queued while vtune-hostd was not' \
		"$TMP/status.out" || fail "status with hostd down: $(cat "$TMP/status.out" "$TMP/status.err")"
"$V" verify > "$TMP/verify.out" 2>&1 || fail "verify with only a revert pending exited $?"
grep -q '^pending revert: guest vm1 sysctl net.core.somaxconn (rule overflow-guest)' "$TMP/verify.out" ||
	fail "verify with hostd down: $(cat "$TMP/verify.out")"
echo "ok: hostd down: the host knob reverted, the guest's queued and shown pending"
"$V" off > "$TMP/off.out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q '^queued: guest vm1' "$TMP/off.out" && [ -f "$J.off" ] ||
	fail "off with hostd down (exit $rc): $(cat "$TMP/off.out")"
nasked=$(ops asked)
nset=$(sets)
start_hostd
wait_until 10 "the queued revert was not confirmed" all_marked reverted
grep '"op":"reverted"' "$J" | tail -n 1 | grep -q 'confirmed by the guest: restored 128' ||
	fail "not confirmed by the guest: $(tail -n 1 "$J")"
grep -q "1 revert(s) it had not confirmed asked again" "$TMP/hostd.log" || fail "hostd did not ask again"
wait_until 5 "the guest's knob is $(guest_som)" is_guest_som 128
sleep 1.5
[ "$(sets)" = "$nset" ] || fail "a rule fired while off (hostd started with the state)"
"$V" status > "$TMP/status.out" 2>&1 || fail "status"
grep -q 'pending reverts' "$TMP/status.out" && fail "still pending: $(cat "$TMP/status.out")"
grep -q '^tuning off since' "$TMP/status.out" || fail "status: $(cat "$TMP/status.out")"
"$V" on > /dev/null || fail "on"
echo "ok: hostd started: the guest asked at its agent's hello, confirmed ($nasked asked mark(s))"

# ---- the guest side: vtune-agent verify and revert, the agent up and down
R=$TMP/groot
cp -r "$SRC/tests/fixtures/debian-6.1/t1" "$R" || fail "copy fixture"
SYNB=$R/proc/sys/net/ipv4/tcp_max_syn_backlog
orig=$(cat "$SYNB")
cat > "$TMP/baseline.yaml" <<'YAML'
version: 1
baseline:
  - sysctl: net.ipv4.tcp_max_syn_backlog
    set: 4096
rules: []
YAML
"$A" once --policy "$TMP/baseline.yaml" --journal "$TMP/gj" --root "$R" > /dev/null || fail "once"
# the agent holds its journal (standalone: no host), its control socket here
export VTUNE_AGENT_CONTROL=$TMP/agent.sock
"$A" run --standalone --policy "$TMP/baseline.yaml" --journal "$TMP/gj" --root "$R" --interval 0.3 \
	> "$TMP/agent.log" 2>&1 & APID=$!
PIDS="$PIDS $APID"
wait_until 5 "the agent's control socket" test -S "$TMP/agent.sock"
"$A" verify --journal "$TMP/gj" --root "$R" > "$TMP/av.out" 2>&1 || fail "agent verify: $(cat "$TMP/av.out")"
grep -q '^ok: sysctl net.ipv4.tcp_max_syn_backlog 4096 (rule baseline)' "$TMP/av.out" ||
	fail "agent verify: $(cat "$TMP/av.out")"
echo 512 > "$SYNB"
"$A" verify --journal "$TMP/gj" --root "$R" > "$TMP/av.out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q '^differs: sysctl net.ipv4.tcp_max_syn_backlog: now 512, vtune set 4096' \
	"$TMP/av.out" || fail "agent verify over a change by hand (exit $rc): $(cat "$TMP/av.out")"
echo 4096 > "$SYNB"
echo "ok: vtune-agent verify while the agent runs: ok, then the knob changed by hand named, exit 1"
# hostd (still up) holds another journal: it refuses to revert this one
"$V" revert --all --dry-run --journal "$TMP/gj" > "$TMP/rv.out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q "holds the journal $J, not $TMP/gj" "$TMP/rv.out" ||
	fail "hostd asked for a journal it does not hold (exit $rc): $(cat "$TMP/rv.out")"
stop_hostd
# in the guest, vtune revert and vtune-agent revert ask the agent
"$V" revert --all --dry-run --journal "$TMP/gj" --json > "$TMP/gdry.json" ||
	fail "vtune revert --dry-run in the guest: $(cat "$TMP/gdry.json")"
grep -q '"via":"vtune-agent"' "$TMP/gdry.json" || fail "not asked of the agent: $(cat "$TMP/gdry.json")"
"$A" revert --all --dry-run --journal "$TMP/gj" --json > "$TMP/gdry2.json" || fail "agent revert dry run"
lines "$TMP/gdry.json" > "$TMP/gdry.lines"
lines "$TMP/gdry2.json" | cmp -s - "$TMP/gdry.lines" || fail "the two dry runs differ"
grep -qx "would revert sysctl net.ipv4.tcp_max_syn_backlog 4096 -> $orig (rule baseline)" "$TMP/gdry.lines" ||
	fail "guest dry run: $(cat "$TMP/gdry.lines")"
sets=$(grep -c '"op":"set"' "$TMP/gj")
"$A" revert --all --journal "$TMP/gj" --json > "$TMP/greal.json" || fail "agent revert: $(cat "$TMP/greal.json")"
grep -q '"via":"vtune-agent"' "$TMP/greal.json" || fail "not done by the agent: $(cat "$TMP/greal.json")"
undry < "$TMP/gdry.lines" | cmp -s - "$(lines "$TMP/greal.json" > "$TMP/greal.lines"; echo "$TMP/greal.lines")" ||
	fail "guest: the dry run said $(cat "$TMP/gdry.lines"), the real run $(cat "$TMP/greal.lines")"
[ "$(cat "$SYNB")" = "$orig" ] || fail "the guest knob is $(cat "$SYNB"), not $orig"
[ "$(grep -c '"op":"set"' "$TMP/gj")" = "$sets" ] && grep -q '"op":"reverted"' "$TMP/gj" ||
	fail "the agent's journal: $(cat "$TMP/gj")"
grep -q "control: revert done" "$TMP/agent.log" || fail "the agent did not say it: $(cat "$TMP/agent.log")"
echo "ok: in the guest, vtune revert and vtune-agent revert ask the running agent; dry run = real run"
# the agent stopped: the journal itself
kill -TERM $APID; wait $APID 2>/dev/null
[ ! -e "$TMP/agent.sock" ] || fail "the stopped agent left its socket"
"$A" once --policy "$TMP/baseline.yaml" --journal "$TMP/gj" --root "$R" > /dev/null || fail "once again"
"$A" revert --all --journal "$TMP/gj" --root "$R" --json > "$TMP/greal.json" ||
	fail "agent revert, agent down: $(cat "$TMP/greal.json")"
grep -q '"via":"journal"' "$TMP/greal.json" && [ "$(cat "$SYNB")" = "$orig" ] ||
	fail "agent revert, agent down: $(cat "$TMP/greal.json")"
"$A" verify --journal "$TMP/gj" --root "$R" > "$TMP/av.out" 2>&1 &&
	grep -q '^nothing to verify' "$TMP/av.out" || fail "verify after all reverted: $(cat "$TMP/av.out")"
echo "ok: the agent stopped: vtune-agent revert in the journal itself, verify has nothing left"
echo "ok: test-one-undo"
