#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# The kernel log and conntrack's advice on the real kernel, in network
# namespaces made here.
# 1. A SYN flood: a listener with backlog 4 (tcp_syncookies 1) gets 40 SYNs
#    whose SYN-ACKs its peer drops; the kernel logs "Possible SYN flooding
#    on port ..." once; the agent (run --standalone, the default
#    syn-flood-logged rule) reads it from /dev/kmsg as it comes (never the
#    history: lines from before it started are not counted), counts it as
#    guest.kmsg.syn_flood and gives the rule's note.
# 2. Conntrack tracking a busy listener: an nftables `ct state` rule, the
#    TIME_WAIT timeout at 2 s, `vtune bench crr` from the peer namespace at
#    host speed; `vtune-agent
#    report --json` (the default conntrack-tracks-listener rule) finds it
#    and advises the exact nftables notrack commands for the listener's
#    port. They are run as given: conntrack then holds no entry for that
#    port under the same load.
SCN="kmsg"
. "$(dirname "$0")/scenario-lib.sh"
NS=vtkm$$ PEER=vtkp$$
PORT=9363 FLOOD=9364
cleanup() {
	scn_kill
	ip netns del "$NS" 2>/dev/null
	ip netns del "$PEER" 2>/dev/null
	scn_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
scn_need ss nft conntrack iptables
[ -r /dev/kmsg ] || { echo "SKIP: scenario $SCN: /dev/kmsg not readable"; exit 77; }
modprobe nf_conntrack 2>/dev/null
ip netns add "$NS" && ip netns add "$PEER" || fail "cannot add namespaces"
ip -n "$NS" link set lo up
ip -n "$PEER" link set lo up
ip -n "$NS" link add vk0 type veth peer name vk1 netns "$PEER" || fail "no veth"
ip -n "$NS" addr add 10.95.0.1/24 dev vk0
ip -n "$PEER" addr add 10.95.0.2/24 dev vk1
ip -n "$NS" link set vk0 up
ip -n "$PEER" link set vk1 up
IN="ip netns exec $NS"
$IN sysctl -qw net.ipv4.tcp_syncookies=1

# ---- 1. SYN flood ----
scn_policy syn-flood-logged
$IN python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.95.0.1", int(sys.argv[1]))); s.listen(4); time.sleep(100)' $FLOOD &
scn_bg $!
scn_wait_port "$IN" 10.95.0.1 $FLOOD
ip netns exec "$PEER" iptables -A INPUT -p tcp --sport $FLOOD --tcp-flags SYN,ACK SYN,ACK -j DROP ||
	fail "cannot drop the peer's SYN-ACKs"
$IN "$A" run --standalone --policy "$POL" --interval 0.5 --journal "$W/journal" --duration 5 \
	> "$W/agent.log" 2>&1 &
apid=$!
scn_bg $apid
sleep 1
ip netns exec "$PEER" python3 -c '
import socket, sys, time
s = []
for i in range(40):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("10.95.0.1", int(sys.argv[1])))
    except BlockingIOError: pass
    s.append(c)
time.sleep(2)' $FLOOD
wait $apid
grep -q "rule syn-flood-logged: the kernel logged 'Possible SYN flooding on port'" "$W/agent.log" ||
	fail "the agent gave no syn-flood-logged note"
grep -q "guest.kmsg.syn_flood=[1-9]" "$W/agent.log" || fail "the note does not say why"
# a new agent does not count what is already in the log
$IN "$A" sample --interval 0.3 --json > "$W/quiet.json" || fail "sample failed"
python3 -c 'import json,sys; k = json.load(open(sys.argv[1]))["kmsg"]; assert k["present"] and k["syn_flood"] == 0, k' \
	"$W/quiet.json" || fail "a fresh agent counted an old SYN flood line"

# ---- 2. conntrack on a busy listener, and the notrack advice ----
scn_policy conntrack-tracks-listener
$IN sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=2 ||
	fail "cannot set the conntrack TIME_WAIT timeout in $NS"
$IN nft -f - <<NFT || fail "cannot add the tracking table"
table inet vtkm_track {
	chain in { type filter hook input priority 0; policy accept; ct state new,established accept; }
}
NFT
$IN "$V" bench crr --serve 10.95.0.1:$PORT -t 1 > "$W/server.log" 2>&1 &
scn_bg $!
scn_wait_port "$IN" 10.95.0.1 $PORT
tracked() { $IN conntrack -L -p tcp --dport $PORT 2>/dev/null | grep -c "dport=$PORT"; }
ip netns exec "$PEER" "$V" bench crr -t 1 -c 4 -d 5 --json 10.95.0.1:$PORT > "$W/load1.json" 2>&1 &
lpid=$!
scn_bg $lpid
sleep 2.5
$IN "$A" report --policy "$POL" --interval 1 --json > "$W/report.json" 2> "$W/report.err" ||
	fail "vtune-agent report failed: $(cat "$W/report.err")"
n1=$(tracked)
wait $lpid
rate1=$(scn_rate "$W/load1.json")
[ "$n1" -gt 100 ] || fail "conntrack tracked $n1 connections to $PORT under load"
cat > "$W/advice.py" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["rule"] == "conntrack-tracks-listener"]
assert f and not f[0]["outside_vm"], d["findings"]
t = [i["text"] for i in f[0]["items"] if i["kind"] == "note"][0]
assert "port " + sys.argv[2] in t, t
print(t.split("exempt it: ", 1)[1])
PY
note=$(python3 "$W/advice.py" "$W/report.json" "$PORT") ||
	fail "report: no conntrack-tracks-listener finding with its advice: $(cat "$W/report.json")"
# the advice, exactly as given: one nft command
case $note in "nft '"*"'") ;; *) fail "advice is not one nft command: $note" ;; esac
$IN sh -c "$note" || fail "the advised command failed: $note"
# clear what load 1 left; a dump racing entries that expire (TIME_WAIT at
# 2 s) can skip one, so clear until none is left before load 2
i=0
while :; do
	$IN conntrack -D -p tcp --dport $PORT > /dev/null 2>&1
	[ "$(tracked)" = 0 ] && break
	i=$((i + 1))
	[ $i -lt 5 ] || fail "$(tracked) entries for $PORT left after 5 conntrack -D"
	sleep 0.2
done
scn_crr "$W/load2.json" "ip netns exec $PEER" -t 1 -c 4 -d 2 10.95.0.1:$PORT
n2=$(tracked)
[ "$n2" = 0 ] || fail "$n2 connections to $PORT still tracked after the advised notrack rules"
scn_result "scenario $SCN: SYN flood line counted and noted; conntrack tracked $n1 connections at $rate1/s, none after the advised notrack rules"
