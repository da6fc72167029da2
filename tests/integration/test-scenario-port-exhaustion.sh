#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# Scenario port-exhaustion on the real kernel, in a namespace made here:
# ephemeral ports 40000-40099 and tcp_tw_reuse 0; the server waits for the
# client's FIN before it closes, so the client's ports sit in TIME_WAIT
# (60 s) and connect() soon fails with EADDRNOTAVAIL. The agent's
# port-exhaustion rule widens the range and turns tcp_tw_reuse on; the errors
# stop. `vtune revert --all` puts both back exactly. Then:
#  - a listener (port 61000) and a reserved port (61050,
#    ip_local_reserved_ports) below a range of 61100-61199: the range is
#    widened only down to 61051, never over them;
#  - a plain server whose own connections end in TIME_WAIT on its port (it
#    closes first; the client in another namespace over a veth), with
#    thousands of them against a range of 100 ports: no outgoing pressure,
#    the rule does not fire and nothing changes.
# SCN_ROUNDS=N (make bench): interleaved rounds of the three arms.
SCN="port-exhaustion"
. "$(dirname "$0")/scenario-lib.sh"
NS=vtscn-pe-$$
N="ip netns exec $NS"
PORT=8080
LOAD="-t 2 -c 8"
cleanup() { scn_kill; ip netns del "$NS" 2>/dev/null; scn_cleanup; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
scn_need ss
scn_policy port-exhaustion

ip netns add "$NS" || fail "ip netns add"
ip -n "$NS" link set lo up
# The namespace's defaults, for the unimpaired reference at the end.
ref_range=$($N sysctl -n net.ipv4.ip_local_port_range | tr -s '\t' ' ')
ref_reuse=$($N sysctl -n net.ipv4.tcp_tw_reuse)

# A listener outside the ranges used here (port 61000), for the check that the
# range is never widened over it.
$N python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 61000)); s.listen(8); time.sleep(300)' &
scn_bg $!
scn_wait_port "$N" 127.0.0.1 61000

# A server that answers, then waits for the client to close first.
cat > "$W/server.py" <<'PY'
import selectors, socket, sys
RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 64\r\nConnection: close\r\n\r\n" + b"x" * 64
sel = selectors.DefaultSelector()
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen(4096); ls.setblocking(False)
sel.register(ls, selectors.EVENT_READ, None)
buf = {}
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is ls:
            while True:
                try: c, _ = ls.accept()
                except BlockingIOError: break
                c.setblocking(False); buf[c] = b""
                sel.register(c, selectors.EVENT_READ, None)
            continue
        try: d = s.recv(4096)
        except (BlockingIOError, InterruptedError): continue
        except OSError: d = b""
        if not d:                      # the client's FIN: now close
            sel.unregister(s); s.close(); buf.pop(s, None); continue
        if buf.get(s) is None: continue  # already answered: ignore
        buf[s] += d
        if b"\r\n\r\n" in buf[s]:
            buf[s] = None
            try: s.send(RESP)
            except OSError: pass
PY
$N python3 "$W/server.py" $PORT > "$W/server.log" 2>&1 &
scn_bg $!
scn_wait_port "$N" 127.0.0.1 $PORT

# measure NAME: 3 s of load; sets NAME_rate, NAME_ena (EADDRNOTAVAIL), NAME_desc
measure() {
	scn_crr "$W/$1.json" "$N" $LOAD -d 3 127.0.0.1:$PORT
	eval "$1_rate=\$(scn_rate \"\$W/\$1.json\") $1_ena=\$(scn_errno \"\$W/\$1.json\" EADDRNOTAVAIL)"
	eval "$1_desc=\"\$(scn_errdesc \"\$W/\$1.json\")\""
}
tw() { $N ss -Htan state time-wait | wc -l; }
$N sysctl -qw net.ipv4.ip_local_port_range="40000 40099" net.ipv4.tcp_tw_reuse=0 || fail "cannot narrow the port range"
knobs() { $N sysctl -n net.ipv4.ip_local_port_range net.ipv4.tcp_tw_reuse | tr '\n' ' ' | tr -s '\t' ' '; }
before=$(knobs)
# vtune_acts JOURNAL: the agent while the load goes on
vtune_acts() {
	$N "$V" bench crr $LOAD -d 6 127.0.0.1:$PORT --json > "$W/during.json" 2>&1 &
	LD=$!
	sleep 0.5
	$N "$A" run --standalone -p "$POL" \
		-J "$1" -i 0.5 --duration 4.5 -v > "$W/agent.log" 2>&1 || fail "agent exited non-zero"
	wait $LD
}
# the client's TIME_WAIT ports of the last arm must not carry over
tw_drain() { for i in $(seq 70); do [ "$(tw)" -lt 5 ] && return 0; sleep 1; done; }
if scn_bench; then
	# each arm in a namespace of its own: the TIME_WAIT sockets an arm
	# leaves (60 s) must not take ports from the next
	fresh_ns() {
		scn_kill
		ip netns del "$NS" 2>/dev/null
		ip netns add "$NS" && ip -n "$NS" link set lo up || fail "ip netns add"
		$N python3 "$W/server.py" $PORT > "$W/server.log" 2>&1 &
		scn_bg $!
		scn_wait_port "$N" 127.0.0.1 $PORT
	}
	impair() { fresh_ns; $N sysctl -qw net.ipv4.ip_local_port_range="40000 40099" net.ipv4.tcp_tw_reuse=0; }
	arm_impaired() { impair; scn_crr "$W/impaired.$1.json" "$N" $LOAD -d 3 127.0.0.1:$PORT; }
	arm_vtune() {
		impair
		rm -f "$W/j.$1"
		vtune_acts "$W/j.$1"
		scn_crr "$W/vtune.$1.json" "$N" $LOAD -d 3 127.0.0.1:$PORT
		scn_note "round $1: $(scn_verdicts "$W/agent.log" | tr '\n' ' ')$(knobs)"
		$N "$V" revert --all --journal "$W/j.$1" > /dev/null 2>&1 || fail "revert"
	}
	arm_unimpaired() {
		fresh_ns
		$N sysctl -qw net.ipv4.ip_local_port_range="$ref_range" net.ipv4.tcp_tw_reuse="$ref_reuse"
		scn_crr "$W/unimpaired.$1.json" "$N" $LOAD -d 3 127.0.0.1:$PORT
	}
	scn_rounds "loopback in a namespace, ports 40000-40099, tcp_tw_reuse 0, the server waits for the client's FIN, -t 2 -c 8; unimpaired: $ref_range, tcp_tw_reuse $ref_reuse"
	exit 0
fi
measure imp
echo "impaired ($before): ${imp_rate}/s, $imp_desc, $(tw) in TIME_WAIT"
[ "$imp_ena" -gt 0 ] || fail "impairment did not show: no EADDRNOTAVAIL ($imp_desc)"

vtune_acts "$W/journal"
echo "verdict: $(scn_verdicts "$W/agent.log")"
scn_verdicts "$W/agent.log" | grep -q "port-exhaustion: reverted" &&
	fail "the change was undone: $(scn_verdicts "$W/agent.log")"
scn_journal_check "$W/journal" net.ipv4.ip_local_port_range port-exhaustion > /dev/null || exit 1
scn_journal_check "$W/journal" net.ipv4.tcp_tw_reuse port-exhaustion > /dev/null || exit 1
now=$(knobs)
# widened by 32768, stopped at the floor of 10000; tcp_tw_reuse on
[ "$now" = "10000 40099 1 " ] || fail "knobs are '$now' after the rule, want '10000 40099 1 '"

measure fix
echo "with vtune ($now): ${fix_rate}/s, $fix_desc"
[ $((fix_ena * 10)) -lt "$imp_ena" ] || fail "EADDRNOTAVAIL did not drop below 10% of impaired: $fix_ena vs $imp_ena"
scn_ge "$fix_rate" "$((imp_rate * 2))" || fail "rate with vtune ${fix_rate}/s is not 2x the impaired ${imp_rate}/s"

$N "$V" revert --all --journal "$W/journal" > "$W/revert.log" 2>&1 || { cat "$W/revert.log"; fail "revert exited non-zero"; }
after=$(knobs)
[ "$after" = "$before" ] || fail "after revert: '$after', want '$before'"
# Unimpaired reference: the namespace's default range and tcp_tw_reuse.
$N sysctl -qw net.ipv4.ip_local_port_range="$ref_range" net.ipv4.tcp_tw_reuse="$ref_reuse"
measure ref
echo "unimpaired ($ref_range, tw_reuse $ref_reuse): ${ref_rate}/s, $ref_desc"
r0=$(echo "$before" | awk '{ print $1 "-" $2 }'); r1=$(echo "$now" | awk '{ print $1 "-" $2 }')

# ---- a listener and a reserved port just below the range: not widened over
# them (the listener opened at the start, before any load could leave a
# TIME_WAIT on its port)
$N sysctl -qw net.ipv4.ip_local_port_range="61100 61199" net.ipv4.tcp_tw_reuse=0 \
	net.ipv4.ip_local_reserved_ports=61050 || fail "reserved ports"
vtune_acts "$W/journal2"
# what the rule made (49 more ports may not be enough to show an effect:
# effect verification may undo it afterwards)
lr=$(scn_journal_check "$W/journal2" net.ipv4.ip_local_port_range port-exhaustion) || exit 1
[ "$lr" = "61100 61199 -> 61051 61199" ] ||
	fail "range $lr: want it widened to 61051-61199, just above port 61050 (reserved) and 61000 (a listener)"
echo "a listener on 61000 and port 61050 reserved below 61100-61199: range $lr, not over them ($(scn_verdicts "$W/agent.log"))"
$N "$V" revert --all --journal "$W/journal2" > /dev/null 2>&1 || fail "revert 2"
$N sysctl -qw net.ipv4.ip_local_reserved_ports=
# a range no load here used (the loopback clients' TIME_WAIT of the parts
# above hold ports of the others for a minute)
$N sysctl -qw net.ipv4.ip_local_port_range="62000 62099"
before=$(knobs)

# ---- a plain server: its own TIME_WAIT, no outgoing connection: no change
NSC=vtscn-pe-c-$$
ip netns add "$NSC" || fail "ip netns add"
ip link add vs netns "$NS" type veth peer name vc netns "$NSC" || fail "veth"
ip -n "$NS" addr add 10.235.0.1/24 dev vs && ip -n "$NSC" addr add 10.235.0.2/24 dev vc
ip -n "$NS" link set vs up && ip -n "$NSC" link set vc up && ip -n "$NSC" link set lo up
$N "$V" bench crr --serve 10.235.0.1:$((PORT + 2)) -t 1 > "$W/server3.log" 2>&1 &
scn_bg $!
scn_wait_port "$N" 10.235.0.1 $((PORT + 2))
ip netns exec "$NSC" sysctl -qw net.ipv4.tcp_tw_reuse=1
tw0=$(tw)
ip netns exec "$NSC" "$V" bench crr -t 2 -c 8 -d 6 10.235.0.1:$((PORT + 2)) --json > "$W/plain.json" 2>&1 &
LD=$!
sleep 0.5
$N "$A" run --standalone -p "$POL" -J "$W/journal3" -i 0.5 --duration 4.5 -v > "$W/agent3.log" 2>&1 ||
	fail "agent exited non-zero"
wait $LD
tw3=$($N ss -Htan state time-wait "sport = :$((PORT + 2))" | wc -l)
fill=$($N "$A" sample --json -i 0.2 | python3 -c 'import json,sys; m=json.load(sys.stdin)["metrics"]; print("%s %s %s" % (m.get("guest.tcp.time_wait"), m.get("guest.ports.range"), m.get("guest.ports.fill")))')
ip netns del "$NSC"
set -- $fill
[ "$tw3" -gt 200 ] || fail "the server's TIME_WAIT did not pile up: $tw3 on its port"
grep -q '"op":"set"' "$W/journal3" 2>/dev/null && fail "a plain server's TIME_WAIT changed something: $(cat "$W/journal3")"
[ "$(knobs)" = "$before" ] || fail "knobs moved: $(knobs), were $before"
echo "a plain server: $tw3 sockets in TIME_WAIT on its own port ($1 in the namespace) against a range of ${2%.*} ports, ephemeral ports in use ${3%.*}%: no change"

scn_result "scenario port-exhaustion: impaired ${imp_rate}/s ($imp_desc), with vtune ${fix_rate}/s ($fix_desc), unimpaired ${ref_rate}/s ($ref_desc); ip_local_port_range $r0 -> $r1, tcp_tw_reuse 0 -> 1; reverted; a listener and a reserved port below the range kept out of it; a plain server's own TIME_WAIT ($tw3 sockets on its port, ${3%.*}% of ephemeral ports in use) changed nothing"
