#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 150
# Scenario seed: the classic report (about 7,000 accepts/s in a VM, one core
# pegged by receive processing, the rest idle, the host running netfilter on
# the guest's bridged frames) reproduced at host speed, with vtune-hostd
# acting on both sides:
#  - host: a namespace with a bridge (br0), bridge-nf-call-iptables/
#    ip6tables/arptables on and 40 iptables rules with conntrack that
#    bridged frames walk (mangle PREROUTING: accounting, not a firewall, so
#    vtune may exempt the bridge; a FORWARD rule would make it refuse);
#  - guest: a namespace behind the bridge (veth g0, one rx queue, RPS off,
#    somaxconn 128: small accept queues), its processes confined to CPU 1
#    by a cpuset (taskset when no cpuset cgroup), running the server and the
#    real vtune-agent;
#  - client: a third namespace on the bridge, on CPU 1 too, so a veth
#    delivers every packet of the guest on CPU 1: NET_RX on one CPU.
# vtune-hostd (sim backend: the guest's tap is its bridge port gh0, its
# bridge br0 in the host namespace) runs the default policy with each `for`
# cut to 3 s (checked against policies/default.yaml: nothing else differs),
# the guest side through the agent over a channel (socat as QEMU's relay).
# make test: one run — bridge-nf off on the host and RPS in the guest are
# made, journaled on both sides, verified (kept or undone by their effect
# on the accept rate, said in hostd's log and the journal), and reverted.
# SCN_ROUNDS=N (make bench): interleaved rounds; unimpaired is bridge-nf off
# and the client on CPU 0 (receive processing spread by placement).
SCN="seed"
. "$(dirname "$0")/scenario-lib.sh"
H=$B/vtune-hostd
NSH=vtseed-h-$$
NSG=vtseed-g-$$
NSC=vtseed-c-$$
PORT=8080
LOAD="-t 1 -c 32"
CG=/sys/fs/cgroup/cpuset/vtseed-$$
STACK=""
stop_stack() {
	for p in $STACK; do kill "$p" 2>/dev/null; done
	for p in $STACK; do wait "$p" 2>/dev/null; done
	STACK=""
}
cleanup() {
	stop_stack
	scn_kill
	for n in "$NSG" "$NSC" "$NSH"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.2
	for n in "$NSG" "$NSC" "$NSH"; do ip netns del "$n" 2>/dev/null; done
	[ -d "$CG" ] && rmdir "$CG" 2>/dev/null
	scn_cleanup
}
trap cleanup EXIT
[ -n "${SCN_DEBUG:-}" ] && set -x
trap 'exit 1' INT TERM HUP
scn_need socat iptables taskset ss
[ "$(nproc)" -ge 2 ] || { echo "SKIP: scenario $SCN needs 2 CPUs"; exit 77; }
[ -x "$H" ] || fail "no $H"

# the default policy, each `for` cut to 3 s (everything else checked equal)
sed 's/^    for: .*/    for: 3s/' "$S/policies/default.yaml" > "$W/policy.yaml"
python3 - "$S/policies/default.yaml" "$W/policy.yaml" <<'PY' || fail "the policy differs from default.yaml in more than for"
import re, sys
strip = lambda p: [l for l in open(p) if not re.match(r"^    for: ", l)]
sys.exit(0 if strip(sys.argv[1]) == strip(sys.argv[2]) else 1)
PY
"$H" -n --backend sim --uri "$W" --policy "$W/policy.yaml" > /dev/null || fail "policy refused"

# ---- the topology
for n in "$NSH" "$NSG" "$NSC"; do ip netns add "$n" || fail "ip netns add"; ip -n "$n" link set lo up; done
HN="ip netns exec $NSH"
ip -n "$NSH" link add br0 type bridge || fail bridge
ip link add gh0 netns "$NSH" type veth peer name g0 netns "$NSG" || fail "veth guest"
ip link add ch0 netns "$NSH" type veth peer name c0 netns "$NSC" || fail "veth client"
for p in gh0 ch0; do ip -n "$NSH" link set "$p" master br0 up; done
ip -n "$NSH" link set br0 up
ip -n "$NSG" addr add 10.236.0.1/24 dev g0 && ip -n "$NSG" link set g0 up
ip -n "$NSC" addr add 10.236.0.2/24 dev c0 && ip -n "$NSC" link set c0 up
$HN sh -c '[ -d /proc/sys/net/bridge ]' || modprobe br_netfilter 2>/dev/null
for i in 1 2 3 4 5; do $HN sh -c '[ -d /proc/sys/net/bridge ]' && break; sleep 0.2; done
$HN sh -c '[ -d /proc/sys/net/bridge ]' || { echo "SKIP: scenario $SCN: no br_netfilter"; exit 77; }
for i in $(seq 10001 10040); do
	$HN iptables -t mangle -A PREROUTING -p tcp --dport "$i" -m conntrack --ctstate NEW -j ACCEPT ||
		fail iptables
done
$HN iptables -t mangle -A PREROUTING -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
ip netns exec "$NSC" sysctl -qw net.ipv4.tcp_tw_reuse=1
ip netns exec "$NSG" sysctl -qw net.core.somaxconn=128
bnf() { $HN sysctl -qw net.bridge.bridge-nf-call-iptables="$1" net.bridge.bridge-nf-call-ip6tables="$1" \
	net.bridge.bridge-nf-call-arptables="$1"; }
rps() { ip netns exec "$NSG" cat /sys/class/net/g0/queues/rx-0/rps_cpus; }
setrps() { ip netns exec "$NSG" sh -c "echo $1 > /sys/class/net/g0/queues/rx-0/rps_cpus"; }

# the guest's CPU: a cpuset of CPU 1, else taskset
if mkdir "$CG" 2>/dev/null && echo 1 > "$CG/cpuset.cpus" && echo 0 > "$CG/cpuset.mems"; then
	# join it before `ip netns exec`, which hides the cgroup mounts
	GUEST="sh -c 'echo \$\$ > $CG/tasks && exec ip netns exec $NSG \"\$@\"' guest"
	confine="cpuset $CG (CPU 1)"
else
	rmdir "$CG" 2>/dev/null
	GUEST="ip netns exec $NSG taskset -c 1"
	confine="taskset CPU 1 (no cpuset cgroup)"
fi
eval "$GUEST \"\$V\" bench crr --serve 10.236.0.1:$PORT -t 1" > "$W/server.log" 2>&1 &
scn_bg $!
scn_wait_port "ip netns exec $NSG" 10.236.0.1 $PORT
ip netns exec "$NSG" ss -Hlnt "sport = :$PORT" | awk '{ print $3 }' | grep -qx 128 || fail "listener backlog is not 128"

# /proc/softirqs is machine-wide: other traffic on this machine spreads
# NET_RX and masks the symptom (the agent in the guest sees the machine's).
# Wait (up to 20 s) for it to be quiet; else skip (make test) or say so.
netrx_bg() {
	python3 -c 'import time
def rd():
    for l in open("/proc/softirqs"):
        f = l.split()
        if f and f[0] == "NET_RX:":
            return [int(x) for x in f[1:]]
a = rd(); time.sleep(1); b = rd(); print(sum(y - x for x, y in zip(a, b)))'
}
for i in $(seq 10); do bg=$(netrx_bg); [ "$bg" -lt 2000 ] && break; sleep 1; done
if [ "$bg" -ge 2000 ]; then
	scn_bench || { echo "SKIP: scenario $SCN: other NET_RX traffic on this machine (${bg}/s) would mask it"; exit 77; }
	scn_note "other NET_RX traffic on this machine at the start (${bg}/s): NET_RX on one CPU may not show"
fi

impair() { bnf 1; setrps 0; CPU=1; }
unimpair() { bnf 0; setrps 0; CPU=0; }
crr() { scn_crr "$1" "ip netns exec $NSC taskset -c $CPU" $LOAD -d "${2:-3}" 10.236.0.1:$PORT; }

# ---- vtune: hostd, QEMU's relay, the agent in the guest
start_stack() {
	rm -rf "$W/guests" "$W/hjournal" "$W/ajournal"
	mkdir "$W/guests"
	printf 'tap gh0\nbridge br0\nnetns /run/netns/%s\n' "$NSH" > "$W/guests/seed.host"
	socat UNIX-LISTEN:"$W/guests/seed.sock" UNIX-LISTEN:"$W/agent.sock" 2> "$W/socat.log" &
	STACK="$STACK $!"
	"$H" --backend sim --uri "$W/guests" --policy "$W/policy.yaml" --interval 1 \
		--journal "$W/hjournal" --control "$W/ctl.sock" --metrics off --no-privsep -v \
		> "$W/hostd.log" 2>&1 &
	STACK="$STACK $!"
	for i in $(seq 50); do [ -S "$W/agent.sock" ] && break; sleep 0.1; done
	eval "$GUEST \"\$A\" run --device \"\$W/agent.sock\" --interval 1 --journal \"\$W/ajournal\"" \
		> "$W/agent.log" 2>&1 &
	STACK="$STACK $!"
}
# vtune_acts: the stack while the load runs, until the changes made are
# judged (rules fire 3 s after their condition shows, a verdict 4 intervals
# after a change)
vtune_acts() {
	start_stack
	crr "$W/during.json" 14 &
	LD=$!
	# at least 8 s (the guest's first reports, each rule's `for`), then
	# until every rule that made a change has its verdict
	for i in $(seq 26); do
		sleep 0.5
		[ "$i" -ge 16 ] || continue
		fired=$(grep -c 'rule [a-z0-9-]*: \(kept\|reverted\):' "$W/hostd.log")
		made=$(grep -o '"op":"set"[^}]*"rule":"[a-z0-9-]*"' "$W/hjournal" 2>/dev/null |
			sed 's/.*"rule":"//' | sort -u | wc -l)
		[ "$made" -gt 0 ] && [ "$fired" -ge "$made" ] && break
	done
	wait $LD
}
undo() {
	"$V" revert --all --control "$W/ctl.sock" > "$W/revert.log" 2>&1 || fail "revert: $(cat "$W/revert.log")"
	for i in $(seq 30); do
		[ "$(grep -c '"op":"reverted"\|"op":"skipped"' "$W/hjournal")" -ge "$(grep -c '"op":"set"' "$W/hjournal")" ] && break
		sleep 0.2
	done
	stop_stack
}

if scn_bench; then
	arm_impaired() { impair; crr "$W/impaired.$1.json"; }
	arm_vtune() {
		impair
		vtune_acts
		crr "$W/vtune.$1.json"
		scn_note "round $1: $(scn_verdicts "$W/hostd.log" | tr '\n' ' ')rps_cpus $(rps), bridge-nf $($HN sysctl -n net.bridge.bridge-nf-call-iptables)"
		undo
	}
	arm_unimpaired() { unimpair; crr "$W/unimpaired.$1.json"; }
	scn_rounds "guest namespace ($confine) behind a bridge with bridge-nf and 40 conntrack rules, one rx queue, RPS off, somaxconn 128, client on CPU 1: NET_RX on one CPU; vtune-hostd (default policy, for 3 s) on both sides, the guest through the real agent; unimpaired: bridge-nf off, the client on CPU 0; -t 1 -c 32"
	exit 0
fi

impair
crr "$W/imp.json"
imp_rate=$(scn_rate "$W/imp.json")
echo "impaired: ${imp_rate}/s, $(scn_errdesc "$W/imp.json") ($confine; bridge-nf on, 40 conntrack rules, RPS $(rps))"
vtune_acts
grep -q "guest seed: agent .*protocol v2" "$W/hostd.log" || fail "the agent did not speak protocol 2"
# both sides: bridge-nf on the host, RPS in the guest through its agent
grep -q '"op":"set","side":"host".*"kind":"bridge_nf".*"rule":"bridge-nf-busy"' "$W/hjournal" ||
	fail "no host change journaled: $(cat "$W/hjournal")"
grep -q '"op":"set","side":"guest".*"kind":"rps".*"rule":"netrx-one-core"' "$W/hjournal" ||
	fail "no guest change journaled: $(cat "$W/hjournal")"
grep -q '"host_ref":' "$W/ajournal" || fail "the agent journaled no change for the host"
v=$(scn_verdicts "$W/hostd.log")
echo "$v"
echo "$v" | grep -q "bridge-nf-busy: \(kept\|reverted\)" || fail "no verdict on bridge-nf-busy"
echo "$v" | grep -q "netrx-one-core: \(kept\|reverted\)" || fail "no verdict on netrx-one-core"
# an undone change is undone on its side, with the figures in the marks
if echo "$v" | grep -q "netrx-one-core: reverted"; then
	for i in $(seq 30); do [ "$(rps)" = 0 ] && break; sleep 0.2; done
	[ "$(rps)" = 0 ] || fail "RPS was judged and undone, but rps_cpus is $(rps)"
	grep -q '"op":"reverted".*"kind":"rps".*"detail":"[^"]*reverted: ' "$W/hjournal" ||
		fail "the guest's revert does not carry the verdict: $(grep rps "$W/hjournal")"
fi
crr "$W/fix.json"
echo "with vtune: $(scn_rate "$W/fix.json")/s, $(scn_errdesc "$W/fix.json") (rps_cpus $(rps), bridge-nf $($HN sysctl -n net.bridge.bridge-nf-call-iptables))"
"$V" report --control "$W/ctl.sock" > "$W/report.txt" 2>&1 || fail "report"
grep -q "effect of the changes" "$W/report.txt" || fail "the report does not show the verdicts: $(cat "$W/report.txt")"
undo
[ "$(rps)" = 0 ] || fail "after revert: rps_cpus $(rps)"
[ "$($HN sysctl -n net.bridge.bridge-nf-call-iptables)" = 1 ] || fail "after revert: bridge-nf off"
unimpair
crr "$W/ref.json"
echo "unimpaired (bridge-nf off, client on CPU 0): $(scn_rate "$W/ref.json")/s"
scn_result "scenario seed: impaired ${imp_rate}/s, with vtune $(scn_rate "$W/fix.json")/s, unimpaired $(scn_rate "$W/ref.json")/s; $(echo "$v" | tr '\n' ';') reverted"
