#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 150
# test-bridge-nf-safe: bridge netfilter is turned off for the guest's bridge
# only, and never where a firewall needs it. A namespace with two bridges
# (br0: the guest's, with its tap; br1: another guest's) is the path of a
# sim-backend guest whose fake agent reports a load the test sets; hostd runs
# the default policy's bridge-nf-busy / bridge-nf-idle pair with short
# timers. Cases:
#  1. a firewall present (a FORWARD rule; a physdev match; an nftables
#     forward chain; an ebtables rule): bridge-nf stays on, `vtune report`
#     names the rule, nothing is journaled, said once per rule in the log
#  2. no filtering: only br0's nf_call_* go off; the namespace sysctls and
#     br1 untouched; load gone: back on; `vtune revert` restores
#  3. an administrator turns it back on by hand: left alone and said so
#  4. a host filtering through the namespace sysctl, with a rule for br1:
#     br0 is exempted by the sysctl off and br1's own options on; a TCP
#     connection across br1 to the port the rule drops is still dropped
set -u
B=${VTUNE_BUILD:-$PWD/build}
S=${VTUNE_SRC:-$PWD}
HERE=$(cd "$(dirname "$0")" && pwd)
H=$B/vtune-hostd
V=$B/vtune
NS=vtbnf-$$
TMP=$(mktemp -d) || exit 1
PIDS= HP=
T0=$(date +%s)

fail() {
	echo "FAIL: test-bridge-nf-safe: $*" >&2
	echo "--- hostd log" >&2; tail -n 30 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $PIDS $HP; do kill "$p" 2>/dev/null; done
	for p in $PIDS $HP; do wait "$p" 2>/dev/null; done
	for n in "$NS" "$NS-c" "$NS-s"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$H" ] || fail "build first (make)"
for t in iptables nft ebtables; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

ip netns add "$NS" || fail "ip netns add"
ip -n "$NS" link set lo up
for br in br0 br1; do ip -n "$NS" link add $br type bridge || fail bridge; ip -n "$NS" link set $br up; done
# the guest's port: a veth (a tap counts what it sends only when someone
# reads it), fed broadcast frames from another port of br0 so that the host
# sees the packets a real guest's load would bring (the fake agent's figures
# are checked against them: a host rule never fires on a guest's word alone)
ip -n "$NS" link add vtap0 type veth peer name vtap0p || fail veth
ip -n "$NS" link set vtap0 master br0 up && ip -n "$NS" link set vtap0p up || fail veth
ip -n "$NS" link add vfeed type veth peer name vfeedp || fail veth
ip -n "$NS" link set vfeedp master br0 up && ip -n "$NS" link set vfeed up || fail veth
ip netns exec "$NS" sh -c '[ -d /proc/sys/net/bridge ]' || modprobe br_netfilter 2>/dev/null
for i in 1 2 3 4 5; do ip netns exec "$NS" sh -c '[ -d /proc/sys/net/bridge ]' && break; sleep 0.2; done
ip netns exec "$NS" sh -c '[ -d /proc/sys/net/bridge ]' || { echo "SKIP: no br_netfilter"; exit 77; }

sysctls() { ip netns exec "$NS" sh -c 'cat /proc/sys/net/bridge/bridge-nf-call-iptables \
	/proc/sys/net/bridge/bridge-nf-call-ip6tables /proc/sys/net/bridge/bridge-nf-call-arptables' | tr -d '\n'; }
opts() { # BRIDGE -> "111": its nf_call_iptables, ip6tables, arptables (rtnetlink)
	ip -n "$NS" -d -j link show "$1" | python3 -c 'import json,sys
d = json.load(sys.stdin)[0]["linkinfo"]["info_data"]
print("".join(str(int(d[k])) for k in ("nf_call_iptables", "nf_call_ip6tables", "nf_call_arptables")))'
}
setopts() { # BRIDGE V
	ip -n "$NS" link set "$1" type bridge nf_call_iptables "$2" nf_call_ip6tables "$2" nf_call_arptables "$2"
}
setsys() { ip netns exec "$NS" sysctl -qw net.bridge.bridge-nf-call-iptables=$1 \
	net.bridge.bridge-nf-call-ip6tables=$1 net.bridge.bridge-nf-call-arptables=$1; }
state() { echo "sysctls $(sysctls) br0 $(opts br0) br1 $(opts br1)"; }
load() { printf 'guest.tcp.passive_opens %s\n' "$1" > "$TMP/load.tmp" && mv "$TMP/load.tmp" "$TMP/load"; }
wait_until() { # SECONDS what CMD...
	t=$1 what=$2; shift 2
	for i in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done
	fail "$what ($(state))"
}
is() { [ "$($1 ${3:-})" = "$2" ]; }
records() { grep -c '"op":"set"' "$TMP/journal" 2>/dev/null || true; }

# the default policy's pair, with seconds instead of minutes
python3 - "$S/policies/default.yaml" "$TMP/policy.yaml" <<'PY' || fail "cannot cut the pair out of default.yaml"
import re, sys
text = open(sys.argv[1]).read()
rules = re.split(r"\n(?=  - name: )", text.split("\nrules:\n", 1)[1].split("\nbaseline:", 1)[0])
keep = [r for r in rules if re.match(r"\s*- name: bridge-nf-(busy|idle)\n", r)]
assert len(keep) == 2, len(keep)
out = "version: 1\nrules:\n" + "\n".join(keep)
out = re.sub(r"for: \w+", "for: 1s", out)
out = re.sub(r"cooldown: \w+", "cooldown: 2s", out)
open(sys.argv[2], "w").write(out + "\n")
PY

mkdir "$TMP/guests"
printf 'tap vtap0\nbridge br0\nnetns /run/netns/%s\n' "$NS" > "$TMP/guests/vm1.host"
load 900
ip netns exec "$NS" python3 "$HERE/tapfeed.py" vfeed 2000 140 & PIDS="$PIDS $!"
python3 "$HERE/fakeguest.py" --socket "$TMP/guests/vm1.sock" --period 0.3 \
	--metric guest.tcp.listen_overflows=0.0 --metric-file "$TMP/load" > /dev/null 2>&1 & PIDS="$PIDS $!"
for i in $(seq 50); do [ -S "$TMP/guests/vm1.sock" ] && break; sleep 0.1; done
start_hostd() {
	"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.3 \
		--journal "$TMP/journal" --control "$TMP/ctl.sock" --metrics off --no-privsep \
		> "$TMP/hostd.log" 2>&1 & HP=$!
}
stop_hostd() { kill $HP; wait $HP 2>/dev/null; HP=; }

# ---- 1. a firewall present: per-bridge start (sysctls 0, both bridges' options on)
setsys 0; setopts br0 1; setopts br1 1
before=$(state)
echo "before: $before"
start_hostd
refused() { "$V" status --json --control "$TMP/ctl.sock" 2>/dev/null | grep -q "$1"; }
fw_case() { # NAME ADD DEL EXPECT
	ip netns exec "$NS" sh -c "$2" || fail "$1: cannot add the rule"
	wait_until 15 "$1: no refusal naming '$4'" refused "$4"
	"$V" report --control "$TMP/ctl.sock" > "$TMP/report.txt" 2>&1
	# the report wraps at 100 columns: read it as one line
	tr '\n' ' ' < "$TMP/report.txt" | tr -s ' ' | grep -q "refused.*$4" || fail "$1: the report does not name the rule: $(grep -i refus "$TMP/report.txt")"
	[ "$(state)" = "$before" ] || fail "$1: something changed: $(state)"
	[ "$(records)" = 0 ] || fail "$1: $(records) records journaled"
	echo "case firewall $1: $(state) (unchanged), journal 0 records; vtune report: $(grep -A1 'refused' "$TMP/report.txt" | grep 'bridge_nf off' | sed 's/^ *//' | cut -c1-200)"
	ip netns exec "$NS" sh -c "$3" || fail "$1: cannot remove the rule"
}
fw_case FORWARD 'iptables -A FORWARD -p tcp --dport 9999 -j DROP' 'iptables -F FORWARD' \
	'iptables filter FORWARD: -A FORWARD -p tcp -m tcp --dport 9999 -j DROP'
fw_case physdev 'iptables -A INPUT -m physdev --physdev-in vtap0 -j DROP' 'iptables -F INPUT' \
	'physdev --physdev-in vtap0'
fw_case nft-forward "nft add table inet vtf; nft add chain inet vtf vtc '{ type filter hook forward priority 0; }'; nft add rule inet vtf vtc tcp dport 9999 drop" \
	'nft delete table inet vtf' 'nft table inet vtf chain vtc (hook forward)'
fw_case ebtables 'ebtables -A FORWARD -i vtap0 -j DROP' 'ebtables -F FORWARD' \
	'ebtables filter FORWARD: -A FORWARD -i vtap0 -j DROP'
n=$(grep -c 'bridge_nf off for bridge br0 refused' "$TMP/hostd.log")
[ "$n" = 4 ] || fail "the log says the refusals $n times, want once per rule (4)"
echo "log: each refusal said once ($n lines)"

# ---- 2. no filtering: only br0's options go off
wait_until 15 "br0 never went off" is opts 000 br0
[ "$(sysctls)" = 000 ] && [ "$(opts br1)" = 111 ] || fail "more than br0 changed: $(state)"
echo "case no filtering: $(state); journal $(records) records"
[ "$(records)" = 3 ] || fail "$(records) records, want 3 (br0's three options)"
grep '"op":"set"' "$TMP/journal" | grep -vq '"kind":"bridge_nf_br","target":"br0@' && fail "a record for something else than br0"
# load gone: bridge-nf-idle puts it back on (once the exemption's effect is
# judged: a load that goes within its window reads as a fall of the accept
# rate, and effect verification would undo it and quarantine the rule)
wait_until 15 "no verdict on the exemption" grep -q "rule bridge-nf-busy: kept" "$TMP/hostd.log"
load 50
wait_until 15 "br0 never came back on after the load was gone" is opts 111 br0
wait_until 15 "no verdict on the filtering put back" grep -q "rule bridge-nf-idle: kept" "$TMP/hostd.log"
echo "case load gone: $(state)"
# load again, then in between the thresholds (neither rule fires), then revert
load 900
wait_until 15 "br0 not off again" is opts 000 br0
# the load falls next: only once this firing is judged (else it reads as
# the change lowering the accept rate: undone, the rule quarantined)
kept2() { [ "$(grep -c 'rule bridge-nf-busy: kept' "$TMP/hostd.log")" -ge 2 ]; }
wait_until 15 "no verdict on the second exemption" kept2
load 300
"$V" revert --all --control "$TMP/ctl.sock" > "$TMP/revert.out" 2>&1 || fail "revert: $(cat "$TMP/revert.out")"
[ "$(state)" = "$before" ] || fail "revert did not restore: $(state), want $before"
echo "case revert: $(state) (as before)"

# ---- 3. the administrator turns it back on by hand
load 900
wait_until 15 "br0 not off for the administrator case" is opts 000 br0
ip -n "$NS" link set br0 type bridge nf_call_iptables 1
said() { grep -q 'bridge_nf_br br0@.* nf_call_iptables changed by someone else (now 1): left alone' "$TMP/hostd.log"; }
wait_until 10 "hostd did not say it leaves br0 alone" said
sleep 2
[ "$(opts br0)" = 100 ] || fail "hostd fought the administrator: br0 $(opts br0)"
"$V" status --json --control "$TMP/ctl.sock" | grep -q '"what": *"bridge_nf"' || fail "status does not list bridge_nf as left alone"
[ "$(grep -c 'changed by someone else' "$TMP/hostd.log")" = 1 ] || fail "said more than once"
echo "case administrator: br0 $(opts br0) left alone, said once; status lists it"
stop_hostd
"$V" revert --all --journal "$TMP/journal" > /dev/null 2>&1
rm -f "$TMP/journal"

# ---- 4. a sysctl-filtered host with a rule for br1 only: br1 stays filtered
ip netns add "$NS-c" && ip netns add "$NS-s" || fail "endpoint namespaces"
ip -n "$NS" link add vc type veth peer name eth0 netns "$NS-c"
ip -n "$NS" link add vs type veth peer name eth0 netns "$NS-s"
for l in vc vs; do ip -n "$NS" link set $l master br1 up; done
ip -n "$NS-c" addr add 10.77.0.1/24 dev eth0; ip -n "$NS-c" link set eth0 up
ip -n "$NS-s" addr add 10.77.0.2/24 dev eth0; ip -n "$NS-s" link set eth0 up
ip netns exec "$NS-s" python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 9999)); s.listen(16); s.settimeout(60)
while True:
    try: s.accept()[0].close()
    except OSError: break' & PIDS="$PIDS $!"
probe() { ip netns exec "$NS-c" python3 -c '
import socket, sys
try: socket.create_connection(("10.77.0.2", 9999), timeout=1.5).close(); print("passes")
except OSError: print("dropped")'; }
setsys 1; setopts br0 0; setopts br1 0
ip netns exec "$NS" iptables -A FORWARD -i br1 -o br1 -p tcp --dport 9999 -j DROP
before=$(state)
p0=$(probe)
[ "$p0" = dropped ] || fail "the rule for br1 does not drop before hostd ($p0)"
load 900
start_hostd
wait_until 15 "br0 never exempted on the sysctl-filtered host" is sysctls 000
p1=$(probe)
echo "case sysctl host, rule for br1: before $before, probe across br1 $p0; after $(state), probe $p1"
[ "$(opts br1)" = 111 ] && [ "$(opts br0)" = 000 ] || fail "want br1 111 br0 000: $(state)"
[ "$p1" = dropped ] || fail "br1's traffic is no longer filtered: $p1"
stop_hostd
"$V" revert --all --journal "$TMP/journal" > "$TMP/revert.out" 2>&1 || fail "revert: $(cat "$TMP/revert.out")"
[ "$(state)" = "$before" ] || fail "revert did not restore: $(state), want $before"
echo "case sysctl host revert: $(state), probe $(probe)"
echo "ok: test-bridge-nf-safe ($(( $(date +%s) - T0 ))s)"
