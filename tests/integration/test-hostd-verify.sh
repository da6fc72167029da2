#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 60
# test-hostd-verify: effect verification in vtune-hostd, on both sides. A
# fake guest (fakeguest.py, protocol 2) keeps reporting NET_RX on one core
# whatever is done, and accepts its bridge port carries packets for; its
# bridge namespace (made here) has bridge-nf on. One rule turns bridge-nf
# off on the host and asks the guest for RPS: nothing improves over its
# window, so hostd undoes both — the host record itself,
# the guest's by record number through the agent (a revert message naming
# it) — marks every record "reverted" with the verdict and its figures,
# quarantines the rule (it does not fire again), counts the rollback for
# Prometheus, and says it in `vtune status` and `vtune report`.
set -u
B=${VTUNE_BUILD:-$PWD/build}
HERE=$(cd "$(dirname "$0")" && pwd)
H=$B/vtune-hostd
V=$B/vtune
NS=vthv-$$
TMP=$(mktemp -d) || exit 1
PIDS=
fail() {
	echo "FAIL: test-hostd-verify: $*" >&2
	echo "--- hostd log" >&2; tail -n 30 "$TMP/hostd.log" >&2 2>/dev/null
	echo "--- journal" >&2; cat "$TMP/journal" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$H" ] || fail "build first (make)"

ip netns add "$NS" || fail "ip netns add"
ip -n "$NS" link add br0 type bridge && ip -n "$NS" link add vt0 type veth peer name vt1 &&
	ip -n "$NS" link set vt0 master br0 && ip -n "$NS" link set br0 up && ip -n "$NS" link set vt0 up ||
	fail "bridge"
# the guest's port carries packets (a host rule never fires on a guest's
# claim alone: its accepts are checked against them)
ip -n "$NS" link add vfeed type veth peer name vfeedp && ip -n "$NS" link set vfeedp master br0 &&
	ip -n "$NS" link set vfeedp up && ip -n "$NS" link set vfeed up && ip -n "$NS" link set vt1 up ||
	fail "feed port"
ip netns exec "$NS" python3 "$HERE/tapfeed.py" vfeed 1000 60 & PIDS="$PIDS $!"
ip netns exec "$NS" sh -c '[ -d /proc/sys/net/bridge ]' || modprobe br_netfilter 2>/dev/null
for i in 1 2 3 4 5; do ip netns exec "$NS" sh -c '[ -d /proc/sys/net/bridge ]' && break; sleep 0.2; done
ip netns exec "$NS" sh -c '[ -d /proc/sys/net/bridge ]' || { echo "SKIP: no br_netfilter"; exit 77; }
ip netns exec "$NS" sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 \
	net.bridge.bridge-nf-call-arptables=1 || fail sysctl
bnf() { ip netns exec "$NS" sysctl -n net.bridge.bridge-nf-call-iptables; }

cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: spread
    description: NET_RX on one core, with bridge-nf on
    when: guest.tcp.passive_opens >= 100/s and host.bridge_nf == 1
    for: 1s
    improve: guest.netrx.imbalance < 1.5
    cooldown: 2s
    window: 3
    quarantine: 1h
    host:
      - bridge_nf: off
    guest:
      - rps: all
YAML
mkdir "$TMP/guests"
printf 'tap vt0\nbridge br0\nnetns /run/netns/%s\n' "$NS" > "$TMP/guests/vm1.host"
python3 "$HERE/fakeguest.py" --socket "$TMP/guests/vm1.sock" --period 0.3 --protocol 2 \
	--log "$TMP/guest.log" --sysctl net.core.somaxconn=4096 \
	--metric guest.netrx.imbalance=7.6 --metric guest.tcp.passive_opens=500.0 &
PIDS="$PIDS $!"
for i in $(seq 50); do [ -S "$TMP/guests/vm1.sock" ] && break; sleep 0.1; done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.3 \
	--journal "$TMP/journal" --control "$TMP/ctl.sock" --metrics "127.0.0.1:$PORT" --no-privsep -v \
	> "$TMP/hostd.log" 2>&1 &
PIDS="$PIDS $!"

for i in $(seq 100); do grep -q "rule spread: reverted" "$TMP/hostd.log" && break; sleep 0.1; done
grep -q "guest vm1: rule spread: reverted: no effect — guest.netrx.imbalance 7.6 → 7.6, accepts 500 → 500/s" \
	"$TMP/hostd.log" || fail "no verdict to revert for no effect"
# the host's record undone here, the guest's by number through its agent
for i in $(seq 50); do [ "$(bnf)" = 1 ] && break; sleep 0.1; done
[ "$(bnf)" = 1 ] || fail "bridge-nf-call-iptables is $(bnf) after the revert"
grep -q '"type": "revert"' "$TMP/guest.log" || fail "the guest was not asked to revert"
for i in $(seq 50); do
	[ "$(grep -c '"op":"reverted"' "$TMP/journal")" = "$(grep -c '"op":"set"' "$TMP/journal")" ] && break
	sleep 0.1
done
python3 - "$TMP/journal" <<'PY' || fail "journal"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
recs = [r for r in recs if "op" in r]  # past the journal's header
sets = [r for r in recs if r["op"] == "set"]
assert {r["side"] for r in sets} == {"host", "guest"}, sets
for r in sets:
    ms = [m for m in recs if m["op"] != "set" and m.get("ref") == r["seq"]]
    # the last mark: reverted (a guest's once it confirmed the original)
    assert ms and ms[-1]["op"] == "reverted", ms
    # and the verdict said in its marks (a guest's in the revert asked)
    assert any("reverted: no effect — guest.netrx.imbalance 7.6 → 7.6" in m.get("detail", "") for m in ms), ms
firings = {r["time"] // 10**9 for r in sets}
print("%d records on both sides, reverted with the verdict" % len(sets))
PY
# quarantined: the condition still holds (bridge-nf is on again), no new firing
sleep 2
[ "$(grep -c '"op":"set"' "$TMP/journal")" = 4 ] || fail "fired again in quarantine"
"$V" status --control "$TMP/ctl.sock" > "$TMP/status.txt" || fail status
grep -q "rule spread: reverted: no effect .*; quarantined for [0-9]* s more" "$TMP/status.txt" ||
	fail "status: $(cat "$TMP/status.txt")"
"$V" report --control "$TMP/ctl.sock" > "$TMP/report.txt" || fail report
# (the report wraps at 100 columns: its lines joined)
tr -s ' \n' '  ' < "$TMP/report.txt" > "$TMP/report.flat"
grep -q "diagnosis \[both\] NET_RX on one core, with bridge-nf on (quarantined): .*left; reverted: no effect" \
	"$TMP/report.flat" || fail "report's diagnosis: $(grep -A2 diagnosis "$TMP/report.txt")"
grep -q "effect of the changes: \(- \)\?rule spread: reverted: no effect" "$TMP/report.flat" ||
	fail "report: $(cat "$TMP/report.txt")"
python3 - "$PORT" <<'PY' || fail "metrics"
import sys, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1]).read().decode()
l = [x for x in t.splitlines() if x.startswith("vtune_changes_rolled_back_total{")]
assert any('rule="spread"' in x and 'reason="no_effect"' in x and x.endswith(" 1") for x in l), l
PY
echo "ok: test-hostd-verify (both sides undone for no effect, quarantined, counted, shown)"
