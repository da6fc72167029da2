#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# Scenario softnet-drops on the real kernel: a client and a server in two
# namespaces made here, joined by a veth pair. A veth delivers every packet
# to the sending CPU's input queue (the backlog netdev_max_backlog bounds).
# With TSO off on the server's veth, each response (30000 bytes, about 21
# segments) is segmented in software and queued as one burst of up to a
# congestion window (10 segments at first), so a global netdev_max_backlog
# of 8 drops packets (softnet_stat column 2), which TCP retransmits. The
# agent runs in the initial namespace (netdev_max_backlog and
# /proc/net/softnet_stat are global: absent or machine-wide in a child
# namespace); its softnet-drops rule doubles netdev_max_backlog (8 -> 16)
# and the drops stop. `vtune revert --all` puts 8 back; the trap restores
# the machine's original value.
SCN="softnet-drops"
. "$(dirname "$0")/scenario-lib.sh"
NSS=vtscn-sn-s-$$
NSC=vtscn-sn-c-$$
PORT=8080
SIZE=30000
LOAD="-t 2 -c 16 --size $SIZE"
cleanup() { scn_kill; ip netns del "$NSS" 2>/dev/null; ip netns del "$NSC" 2>/dev/null; scn_cleanup; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
scn_need ethtool nstat ss
scn_policy softnet-drops

ip netns add "$NSS" && ip netns add "$NSC" || fail "ip netns add"
ip link add vs netns "$NSS" type veth peer name vc netns "$NSC" || fail "veth"
ip -n "$NSS" addr add 10.232.0.1/24 dev vs
ip -n "$NSC" addr add 10.232.0.2/24 dev vc
for n in "$NSS" "$NSC"; do ip -n "$n" link set lo up; done
ip -n "$NSS" link set vs up && ip -n "$NSC" link set vc up || fail "links up"
# The client often closes first (it has read the whole response before the
# server's FIN arrives), so its ports go to TIME_WAIT; without reuse (the
# default 2 is loopback only) connect() slows down as they fill the range,
# which would mix port exhaustion into this scenario.
ip netns exec "$NSC" sysctl -qw net.ipv4.tcp_tw_reuse=1 || fail "tcp_tw_reuse in $NSC"
SN="ip netns exec $NSS"
CN="ip netns exec $NSC"
$SN ethtool -K vs tso off > /dev/null 2>&1 || fail "ethtool -K vs tso off"

$SN "$V" bench crr --serve 10.232.0.1:$PORT -t 1 --size $SIZE > "$W/server.log" 2>&1 &
scn_bg $!
scn_wait_port "$SN" 10.232.0.1 $PORT

drops() { python3 -c 'print(sum(int(l.split()[1], 16) for l in open("/proc/net/softnet_stat")))'; }
retrans() { $SN nstat -asz TcpRetransSegs | awk '/RetransSegs/ { print $2 }'; }
# measure NAME: 3 s of load; sets NAME_rate, NAME_drops (per s), NAME_desc
measure() {
	d0=$(drops); r0=$(retrans)
	scn_crr "$W/$1.json" "$CN" $LOAD -d 3 10.232.0.1:$PORT
	d=$(( ($(drops) - d0) / 3 )); r=$(( ($(retrans) - r0) / 3 ))
	eval "$1_rate=\$(scn_rate \"\$W/\$1.json\") $1_drops=$d"
	eval "$1_desc=\"\$(scn_errdesc \"\$W/\$1.json\"), softnet drops $d/s, retransmits $r/s\""
}

# The unimpaired reference first, on the machine's own netdev_max_backlog.
orig=$(sysctl -n net.core.netdev_max_backlog)
measure ref
echo "unimpaired (netdev_max_backlog $orig): ${ref_rate}/s, $ref_desc"

scn_save_sysctl net.core.netdev_max_backlog
sysctl -qw net.core.netdev_max_backlog=8 || fail "cannot set netdev_max_backlog"
before=$(sysctl -n net.core.netdev_max_backlog)
measure imp
echo "impaired (netdev_max_backlog $before): ${imp_rate}/s, $imp_desc"
[ "$imp_drops" -gt 20 ] || fail "impairment did not show: softnet drops ${imp_drops}/s"

$CN "$V" bench crr $LOAD -d 6 10.232.0.1:$PORT --json > "$W/during.json" 2>&1 &
LD=$!; scn_bg $LD
sleep 0.5
"$A" run --standalone -p "$POL" \
	-J "$W/journal" -i 0.5 --duration 4 -v > "$W/agent.log" 2>&1 || fail "agent exited non-zero"
wait $LD
ch=$(scn_journal_check "$W/journal" net.core.netdev_max_backlog softnet-drops) || exit 1
now=$(sysctl -n net.core.netdev_max_backlog)
[ "$now" -gt "$before" ] || fail "netdev_max_backlog is $now after the rule, want > $before"

measure fix
echo "with vtune (netdev_max_backlog $now): ${fix_rate}/s, $fix_desc"
[ $((fix_drops * 10)) -lt "$imp_drops" ] || fail "softnet drops did not fall below 10% of impaired: ${fix_drops}/s vs ${imp_drops}/s"

"$V" revert --all --journal "$W/journal" > "$W/revert.log" 2>&1 || { cat "$W/revert.log"; fail "revert exited non-zero"; }
after=$(sysctl -n net.core.netdev_max_backlog)
[ "$after" = "$before" ] || fail "after revert: netdev_max_backlog $after, want $before"
floor=""
[ "$now" = $((before * 2)) ] || floor=" (x2 = $((before * 2)), raised to the allow-list floor)"
scn_result "scenario softnet-drops: impaired ${imp_rate}/s ($imp_desc), with vtune ${fix_rate}/s ($fix_desc), unimpaired ${ref_rate}/s ($ref_desc); netdev_max_backlog $ch$floor; reverted"
