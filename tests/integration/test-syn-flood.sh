#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# SYN bursts told from SYN floods, on the real kernel. A server namespace
# (10.233.0.1) with somaxconn 32 (a small accept queue: the SYN queue of a
# listener is bounded by it) runs a server that accepts slowly, behind a
# veth from a client namespace. The standalone agent in the server's
# namespace runs the default syn-queue-full and syn-flood rules
# (tests/fixtures/policies/scenario-syn.yaml: short for/cooldown).
#  1. flood: hping3 sends spoofed SYNs (random sources) to port 8080. The
#     SYN queue fills with handshakes that never complete; the kernel
#     answers with cookies and none come back. The agent says "SYN flood on
#     port 8080" and changes nothing: no journal record, the caps as they
#     were.
#  2. burst: real clients (vtune bench crr, 128 at a time) into the same
#     small queue over a slower link (a token bucket on the client's side,
#     4 Mbit/s with up to 40 ms of queue: the handshakes take that long to
#     complete, as from far away; netem is not in this kernel), so the SYN
#     queue fills. Cookies go out and come back (SyncookiesRecv keeps up
#     with SyncookiesSent), connections are accepted: the agent grows
#     tcp_max_syn_backlog and somaxconn (journaled), and says nothing of a
#     flood.
SCN="syn-flood"
. "$(dirname "$0")/scenario-lib.sh"
NSS=vtsyn-s-$$
NSC=vtsyn-c-$$
PORT=8080
cleanup() { scn_kill; ip netns del "$NSS" 2>/dev/null; ip netns del "$NSC" 2>/dev/null; scn_cleanup; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
scn_need hping3 nstat ss
scn_policy syn syn-queue-full syn-flood

ip netns add "$NSS" && ip netns add "$NSC" || fail "ip netns add"
ip link add vs netns "$NSS" type veth peer name vc netns "$NSC" || fail "veth"
ip -n "$NSS" addr add 10.233.0.1/24 dev vs
ip -n "$NSC" addr add 10.233.0.2/24 dev vc
for n in "$NSS" "$NSC"; do ip -n "$n" link set lo up; done
ip -n "$NSS" link set vs up && ip -n "$NSC" link set vc up || fail "links up"
# the server answers spoofed sources through the client side, which drops
# what is not its own (no forwarding): their handshakes never complete
ip -n "$NSS" route add default via 10.233.0.2 || fail "default route"
SN="ip netns exec $NSS"
CN="ip netns exec $NSC"
$SN sysctl -qw net.core.somaxconn=32 net.ipv4.tcp_syncookies=1 || fail "sysctls in $NSS"
$CN sysctl -qw net.ipv4.tcp_tw_reuse=1 || fail "tcp_tw_reuse in $NSC"
knobs() { $SN sysctl -n net.ipv4.tcp_max_syn_backlog net.core.somaxconn | tr '\n' ' '; }
before=$(knobs)

$SN "$V" bench crr --serve 10.233.0.1:$PORT -t 1 > "$W/server.log" 2>&1 &
scn_bg $!
scn_wait_port "$SN" 10.233.0.1 $PORT
$SN ss -Hlnt "sport = :$PORT" | awk '{ print $3 }' | grep -qx 32 || fail "listener backlog is not 32"

cookies() { $SN nstat -asz TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtTCPReqQFullDoCookies |
	awk '{ v[$1] = $2 } END { printf "%d %d %d", v["TcpExtSyncookiesSent"], v["TcpExtSyncookiesRecv"], v["TcpExtTCPReqQFullDoCookies"] }'; }
# agent NAME SECS: the agent in the server's namespace for SECS seconds
agent() {
	$SN "$A" run --standalone -p "$POL" -J "$W/$1.journal" -i 1 --duration "$2" -v \
		> "$W/agent.log" 2>&1 || fail "agent exited non-zero"
	cp "$W/agent.log" "$W/$1.log"
}
sets() { grep -c '"op":"set"' "$W/$1.journal" 2>/dev/null || true; }

# ---- 1. the flood
set -- $(cookies); c0s=$1 c0r=$2
$CN hping3 -q -S -p $PORT --rand-source -i u200 10.233.0.1 > "$W/hping.log" 2>&1 &
HP=$!; scn_bg $HP
sleep 0.5
agent flood 8
kill $HP 2>/dev/null; wait $HP 2>/dev/null
set -- $(cookies); fs=$(($1 - c0s)) fr=$(($2 - c0r))
grep -q "rule syn-flood: SYN flood on port $PORT:" "$W/flood.log" ||
	fail "flood: the agent did not say 'SYN flood on port $PORT' (cookies sent $fs, back $fr)"
grep -q "rule syn-queue-full" "$W/flood.log" && fail "flood: syn-queue-full fired on a flood"
[ "$(sets flood)" = 0 ] || fail "flood: the agent changed something: $(cat "$W/flood.journal")"
[ "$(knobs)" = "$before" ] || fail "flood: the caps moved: $(knobs), were $before"
[ "$fs" -gt 100 ] && [ $((fr * 10)) -lt "$fs" ] || fail "flood: cookies sent $fs, back $fr"
note=$(grep -o "SYN flood on port $PORT:[^;]*" "$W/flood.log" | head -1)
echo "flood: cookies sent $fs, back $fr; the agent: \"$note\"; nothing changed ($before)"

# let the spoofed half-open connections time out of the queue
for i in $(seq 40); do
	[ "$($SN ss -Htn state syn-recv | wc -l)" -lt 4 ] && break
	sleep 1
done

# ---- 2. a burst of real clients, over a slower link
$CN tc qdisc add dev vc root tbf rate 4mbit burst 4k latency 40ms || fail "tbf on vc"
set -- $(cookies); c0s=$1 c0r=$2 c0q=$3
$CN "$V" bench crr -t 2 -c 128 --timeout 2 -d 10 10.233.0.1:$PORT --json > "$W/burst.json" 2>&1 &
LD=$!; scn_bg $LD
sleep 0.5
agent burst 8
wait $LD
set -- $(cookies); bs=$(($1 - c0s)) br=$(($2 - c0r)) bq=$(($3 - c0q))
grep -q "rule syn-flood" "$W/burst.log" && fail "burst: taken for a flood (cookies sent $bs, back $br)"
[ "$(sets burst)" -gt 0 ] || fail "burst: nothing grown (queue-full cookies $bq, cookies sent $bs, back $br)"
ch=$(scn_journal_check "$W/burst.journal" net.ipv4.tcp_max_syn_backlog syn-queue-full) || exit 1
scn_journal_check "$W/burst.journal" net.core.somaxconn syn-queue-full > /dev/null || exit 1
after=$(knobs)
echo "burst: $(scn_rate "$W/burst.json")/s accepted, queue-full cookies $bq, cookies sent $bs, back $br; tcp_max_syn_backlog $ch, caps $before-> $after"
$SN "$V" revert --all --journal "$W/burst.journal" > "$W/revert.log" 2>&1 || fail "revert"
[ "$(knobs)" = "$before" ] || fail "after revert: $(knobs), want $before"
echo "ok: queues grew only for the burst"
