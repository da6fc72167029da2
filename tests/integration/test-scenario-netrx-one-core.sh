#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# Scenario netrx-one-core on the real kernel: a client and a server in two
# namespaces made here, joined by a veth pair, both pinned to CPU 0 (like a
# guest whose one-queue NIC interrupts and application share one vCPU). A
# veth delivers on the sending CPU's backlog, so NET_RX runs on CPU 0.
# (With only the client pinned the server's replies are received on the
# server's CPU and NET_RX is already balanced: /proc/softirqs is machine-wide.)
# The agent in the server's namespace (its sysfs shows that namespace's
# devices) fires the netrx-one-core rule: rps_cpus of the server veth's rx
# queues is set to all CPUs and NET_RX spreads. `vtune revert --all` puts the
# masks back exactly. The failure measure is NET_RX's hot-CPU share.
SCN="netrx-one-core"
. "$(dirname "$0")/scenario-lib.sh"
NSS=vtscn-rps-s-$$
NSC=vtscn-rps-c-$$
PORT=8080
LOAD="-t 2 -c 8"
cleanup() { scn_kill; ip netns del "$NSS" 2>/dev/null; ip netns del "$NSC" 2>/dev/null; scn_cleanup; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
scn_need taskset ss
scn_policy netrx-one-core
[ "$(nproc)" -ge 2 ] || { echo "SKIP: scenario $SCN needs 2 CPUs"; exit 77; }

ip netns add "$NSS" && ip netns add "$NSC" || fail "ip netns add"
ip link add vs netns "$NSS" type veth peer name vc netns "$NSC" || fail "veth"
ip -n "$NSS" addr add 10.231.0.1/24 dev vs
ip -n "$NSC" addr add 10.231.0.2/24 dev vc
for n in "$NSS" "$NSC"; do ip -n "$n" link set lo up; done
ip -n "$NSS" link set vs up && ip -n "$NSC" link set vc up || fail "links up"
# The client often closes first (it has read the whole response before the
# server's FIN arrives), so its ports go to TIME_WAIT; without reuse (the
# default 2 is loopback only) connect() slows down as they fill the range,
# which would mix port exhaustion into this scenario.
ip netns exec "$NSC" sysctl -qw net.ipv4.tcp_tw_reuse=1 || fail "tcp_tw_reuse in $NSC"
SN="ip netns exec $NSS"
CN="ip netns exec $NSC taskset -c 0"
rpsstate() { $SN sh -c 'for q in /sys/class/net/vs/queues/rx-*; do printf "%s " "$(cat $q/rps_cpus) $(cat $q/rps_flow_cnt)"; done'; }
before=$(rpsstate)

$SN taskset -c 0 "$V" bench crr --serve 10.231.0.1:$PORT -t 1 > "$W/server.log" 2>&1 &
scn_bg $!
scn_wait_port "$SN" 10.231.0.1 $PORT

# NET_RX per CPU from /proc/softirqs over SECS: prints "hot-share% imbalance total/s"
netrx() {
	python3 - "$1" <<'PY'
import sys, time
def rd():
    for l in open("/proc/softirqs"):
        f = l.split()
        if f and f[0] == "NET_RX:":
            return [int(x) for x in f[1:]]
a = rd(); time.sleep(float(sys.argv[1])); b = rd()
d = [y - x for x, y in zip(a, b)]; s = sum(d) or 1
print("%.0f %.2f %d" % (100.0 * max(d) / s, max(d) / (s / len(d)), sum(d) / float(sys.argv[1])))
PY
}
# measure NAME: 3 s of load; sets NAME_rate, NAME_desc, NAME_hot, NAME_imb
measure() {
	netrx 2.5 > "$W/$1.netrx" &
	np=$!
	sleep 0.3
	scn_crr "$W/$1.json" "$CN" $LOAD -d 3 10.231.0.1:$PORT
	wait $np
	read -r h i t < "$W/$1.netrx"
	eval "$1_rate=\$(scn_rate \"\$W/\$1.json\") $1_hot=$h $1_imb=$i"
	eval "$1_desc=\"\$(scn_errdesc \"\$W/\$1.json\")\""
}
# /proc/softirqs is machine-wide: other traffic on this machine would mask
# the scenario. Wait (up to 20 s) for NET_RX to be quiet, else skip.
for i in 1 2 3 4 5 6 7 8 9 10; do
	netrx 1 > "$W/bg"; read -r h i2 bg < "$W/bg"
	[ "$bg" -lt 2000 ] && break
	sleep 1
done
[ "$bg" -lt 2000 ] || { echo "SKIP: scenario $SCN: other NET_RX traffic on this machine (${bg}/s) would mask it"; exit 77; }
measure imp
echo "impaired (rps $before): ${imp_rate}/s, $imp_desc, NET_RX hot CPU ${imp_hot}%, imbalance $imp_imb"
scn_ge "$imp_hot" 80 || fail "impairment did not show: NET_RX hot share ${imp_hot}% < 80%"

$CN "$V" bench crr $LOAD -d 6 10.231.0.1:$PORT --json > "$W/during.json" 2>&1 &
LD=$!; scn_bg $LD
sleep 0.5
$SN "$A" run --standalone -p "$POL" \
	-J "$W/journal" -i 0.5 --duration 4 -v > "$W/agent.log" 2>&1 || fail "agent exited non-zero"
wait $LD
scn_journal_kind "$W/journal" rps netrx-one-core > "$W/rps.changes" || exit 1
now=$(rpsstate)
mask=$(printf '%x' $(( (1 << $(nproc)) - 1 )))
echo "$now" | grep -q "^$mask " || fail "rps_cpus of vs is '$now' after the rule, want $mask"

measure fix
echo "with vtune (rps $now): ${fix_rate}/s, $fix_desc, NET_RX hot CPU ${fix_hot}%, imbalance $fix_imb"
scn_ge "$((imp_hot - 10))" "$fix_hot" || fail "NET_RX hot share did not drop by 10 points: ${imp_hot}% -> ${fix_hot}%"
scn_ge "$fix_rate" "$((imp_rate / 2))" || fail "rate with vtune ${fix_rate}/s fell below half the impaired ${imp_rate}/s"

$SN "$V" revert --all --journal "$W/journal" > "$W/revert.log" 2>&1 || { cat "$W/revert.log"; fail "revert exited non-zero"; }
after=$(rpsstate)
[ "$after" = "$before" ] || fail "after revert: '$after', want '$before'"

# Reference, RPS off: the server pinned to CPU 1, so its replies are received
# on CPU 1 and NET_RX is spread by the placement of the two ends alone.
$SN taskset -c 1 "$V" bench crr --serve 10.231.0.1:$((PORT + 1)) -t 1 > "$W/server2.log" 2>&1 &
scn_bg $!
scn_wait_port "$SN" 10.231.0.1 $((PORT + 1))
PORT=$((PORT + 1))
measure ref
echo "server on CPU 1, RPS off: ${ref_rate}/s, $ref_desc, NET_RX hot CPU ${ref_hot}%, imbalance $ref_imb"
scn_result "scenario netrx-one-core: impaired ${imp_rate}/s (NET_RX hot CPU ${imp_hot}%, imbalance $imp_imb), with vtune ${fix_rate}/s (hot ${fix_hot}%, imbalance $fix_imb), server on CPU 1 without RPS ${ref_rate}/s (hot ${ref_hot}%, imbalance $ref_imb); vs rps_cpus ${before%% *} -> ${now%% *}; reverted"
