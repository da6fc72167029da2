#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 150
# test-action-path: the closed loop through vtune-hostd with the real agent,
# both protocol versions. The agent works on a copy of a real Debian 6.1
# guest capture (tests/fixtures/debian-6.1/t0, its eth0 given 3 rx queues)
# and talks to hostd (sim backend) through a relay playing QEMU's side of the
# channel. One rule asks for a catalogue sysctl (somaxconn, scale 2), a
# sysctl no report carries (ip_local_port_range) and RPS.
#  1. protocol 2 on both sides: the agent plans all three itself, the host
#     journal gets the values it found and left; `vtune revert` undoes them
#     by record number, from the agent's own journal (marked reverted there,
#     no new change), and the files are back exactly.
#  2. a protocol 2 agent with a host that speaks only 1 (--protocol-max 1),
#  3. a protocol 1 agent (--protocol-max 1) with a protocol 2 host: only
#     somaxconn is served (as a value); hostd names the two actions it cannot
#     serve, in its log and in `vtune status`, and reverts somaxconn: the
#     agent undoes its own change (marked reverted, no new change).
# A second `vtune-agent once` on the 3-queue NIC changes nothing.
set -u
B=${VTUNE_BUILD:-$PWD/build}
SRC=${VTUNE_SRC:-$PWD}
A=$B/vtune-agent
H=$B/vtune-hostd
V=$B/vtune
TMP=$(mktemp -d) || exit 1
PIDS=

fail() {
	echo "FAIL: test-action-path: $*" >&2
	for f in hostd.log agent.log; do
		echo "--- $f" >&2
		tail -n 25 "$TMP/$f" >&2 2>/dev/null
	done
	exit 1
}
stop_all() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
}
cleanup() {
	stop_all
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$A" ] && [ -x "$H" ] || fail "build first (make)"
command -v socat >/dev/null || { echo "SKIP: socat not installed"; exit 77; }

R=$TMP/root
Q=$R/sys/class/net/eth0/queues
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: tune
    when: guest.sysctl.somaxconn < 8192
    cooldown: 1h
    guest:
      - sysctl: net.core.somaxconn
        scale: 2
        max: 8192
      - sysctl: net.ipv4.ip_local_port_range
        set: "10000 60999"
      - rps: all
baseline:
  - rps: all
YAML
"$V" policy check --backend sim "$TMP/policy.yaml" >/dev/null || fail "policy refused"
"$V" policy check --backend sim --protocol 1 "$TMP/policy.yaml" 2>"$TMP/p1" &&
	fail "protocol 1 check accepted what protocol 1 cannot carry"
[ "$(grep -c 'needs protocol 2' "$TMP/p1")" = 2 ] || fail "protocol 1 check: $(cat "$TMP/p1")"

fresh_root() {
	rm -rf "$R" "$TMP/guests" "$TMP/ajournal" "$TMP/hjournal"
	cp -r "$SRC/tests/fixtures/debian-6.1/t0" "$R" || fail "copy fixture"
	for q in 0 1 2; do
		mkdir -p "$Q/rx-$q"
		echo 0 > "$Q/rx-$q/rps_cpus"
		echo 0 > "$Q/rx-$q/rps_flow_cnt"
	done
	mkdir "$TMP/guests"
}
val() { tr '\t' ' ' < "$R/$1"; }

# start HOST_ARGS AGENT_ARGS: a relay as QEMU, hostd, the agent.
start() {
	socat UNIX-LISTEN:"$TMP/guests/vm1.sock" UNIX-LISTEN:"$TMP/agent.sock" 2>"$TMP/socat.log" &
	PIDS="$PIDS $!"
	"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.3 \
		--journal "$TMP/hjournal" --control "$TMP/ctl.sock" --metrics off --no-privsep \
		$1 >"$TMP/hostd.log" 2>&1 &
	PIDS="$PIDS $!"
	for i in $(seq 50); do [ -S "$TMP/agent.sock" ] && break; sleep 0.1; done
	"$A" run --device "$TMP/agent.sock" --root "$R" --journal "$TMP/ajournal" --interval 0.3 \
		--no-netlink $2 >"$TMP/agent.log" 2>&1 &
	PIDS="$PIDS $!"
}
wait_for() { # FILE VALUE
	for i in $(seq 100); do [ "$(val "$1")" = "$2" ] && return 0; sleep 0.1; done
	fail "$1 is '$(val "$1")', want '$2'"
}

# ---- 1. protocol 2 on both sides
fresh_root
start "" ""
wait_for proc/sys/net/core/somaxconn 8192
wait_for proc/sys/net/ipv4/ip_local_port_range "10000 60999"
for q in 0 1 2; do
	wait_for "sys/class/net/eth0/queues/rx-$q/rps_cpus" 3
	# 32768 flow entries over 3 queues, kept a power of two
	wait_for "sys/class/net/eth0/queues/rx-$q/rps_flow_cnt" 8192
done
wait_for proc/sys/net/core/rps_sock_flow_entries 32768
grep -q "agent 0.1.0, protocol v2" "$TMP/hostd.log" || fail "not protocol 2"
# the host journal: its records marked with what the agent found and left
for i in $(seq 50); do [ "$(grep -c '"op":"applied"' "$TMP/hjournal")" = 3 ] && break; sleep 0.1; done
grep -q '"op":"applied".*"key":"net.core.somaxconn".*"old":"4096","new":"8192"' "$TMP/hjournal" ||
	fail "somaxconn applied mark: $(grep somaxconn "$TMP/hjournal")"
grep -q '"op":"applied".*"kind":"rps".*7 knob(s)' "$TMP/hjournal" ||
	fail "rps applied mark: $(grep rps "$TMP/hjournal")"
grep -q '"host_ref":' "$TMP/ajournal" || fail "the agent's records do not name the host's"
sets=$(grep -c '"op":"set"' "$TMP/ajournal")
"$V" report --json --control "$TMP/ctl.sock" > "$TMP/report.json" || fail "vtune report"
python3 - "$TMP/report.json" <<'PY' || fail "report: $(cat "$TMP/report.json" | head -c 600)"
import json, sys
g = json.load(open(sys.argv[1]))["guests"][0]
did = [c["text"] for c in g["policies_did"]]
assert any("net.core.somaxconn 4096 -> 8192" in t for t in did), did
assert any("rps" in t for t in did), did
PY
"$V" revert --all --control "$TMP/ctl.sock" > "$TMP/revert.out" 2>&1 || fail "revert: $(cat "$TMP/revert.out")"
grep -q "asked the guest to revert" "$TMP/revert.out" || fail "revert output: $(cat "$TMP/revert.out")"
wait_for proc/sys/net/core/somaxconn 4096
wait_for proc/sys/net/ipv4/ip_local_port_range "32768 60999"
for q in 0 1 2; do
	wait_for "sys/class/net/eth0/queues/rx-$q/rps_cpus" 0
	wait_for "sys/class/net/eth0/queues/rx-$q/rps_flow_cnt" 0
done
wait_for proc/sys/net/core/rps_sock_flow_entries 0
for i in $(seq 50); do [ "$(grep -c '"op":"reverted"' "$TMP/hjournal")" = 3 ] && break; sleep 0.1; done
[ "$(grep -c '"op":"reverted"' "$TMP/hjournal")" = 3 ] || fail "host records not all marked reverted"
[ "$(grep -c '"op":"set"' "$TMP/ajournal")" = "$sets" ] || fail "the agent journaled the revert as new changes"
[ "$(grep -c '"op":"reverted"' "$TMP/ajournal")" = "$sets" ] || fail "the agent did not mark its records reverted"
echo "ok: protocol 2: $sets knobs in the guest, applied and reverted by record number"
stop_all

# ---- 2. and 3. one side speaks only protocol 1
for case in "--protocol-max 1|" "|--protocol-max 1"; do
	fresh_root
	start "${case%%|*}" "${case#*|}"
	wait_for proc/sys/net/core/somaxconn 8192
	grep -q "protocol v1" "$TMP/hostd.log" || fail "not protocol 1 ($case)"
	for i in $(seq 30); do grep -q "cannot be served" "$TMP/hostd.log" && break; sleep 0.1; done
	[ "$(grep -c 'cannot be served' "$TMP/hostd.log")" = 2 ] || fail "unserved not said ($case)"
	"$V" status --json --control "$TMP/ctl.sock" > "$TMP/status.json" || fail status
	python3 - "$TMP/status.json" <<'PY' || fail "status: $(head -c 800 "$TMP/status.json")"
import json, sys
g = json.load(open(sys.argv[1]))["guests"][0]
u = g["unserved"]
assert len(u) == 2, u
assert any("ip_local_port_range" in l for l in u) and any("rps" in l for l in u), u
PY
	sleep 1
	[ "$(val proc/sys/net/ipv4/ip_local_port_range)" = "32768 60999" ] || fail "port range changed over v1"
	[ "$(val sys/class/net/eth0/queues/rx-0/rps_cpus)" = 0 ] || fail "rps changed over v1"
	sets=$(grep -c '"op":"set"' "$TMP/ajournal")
	"$V" revert --all --control "$TMP/ctl.sock" > "$TMP/revert.out" 2>&1 || fail "revert ($case)"
	wait_for proc/sys/net/core/somaxconn 4096
	# protocol 1 asks for the original value: the agent undoes its own change
	[ "$(grep -c '"op":"set"' "$TMP/ajournal")" = "$sets" ] ||
		fail "the agent journaled the revert as a new change ($case)"
	grep -q '"op":"reverted"' "$TMP/ajournal" || fail "the agent did not mark its change reverted ($case)"
	echo "ok: protocol 1 ($case): somaxconn served and reverted, 2 actions named as not served"
	stop_all
done

# ---- RPS idempotent on 3 queues: a second `once` changes nothing
fresh_root
"$A" once --policy "$TMP/policy.yaml" --journal "$TMP/ajournal" --root "$R" > "$TMP/once1" 2>&1 ||
	fail "once: $(cat "$TMP/once1")"
"$A" once --policy "$TMP/policy.yaml" --journal "$TMP/ajournal" --root "$R" > "$TMP/once2" 2>&1 ||
	fail "once again: $(cat "$TMP/once2")"
grep -q "7 knob(s) changed" "$TMP/once1" || fail "first once: $(cat "$TMP/once1")"
grep -q "0 knob(s) changed, baseline already in place" "$TMP/once2" || fail "second once: $(cat "$TMP/once2")"
echo "ok: test-action-path"
