#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# Scenario port-exhaustion on the real kernel, in a namespace made here:
# ephemeral ports 40000-40099 and tcp_tw_reuse 0; the server waits for the
# client's FIN before it closes, so the client's ports sit in TIME_WAIT
# (60 s) and connect() soon fails with EADDRNOTAVAIL. The agent's
# port-exhaustion rule widens the range and turns tcp_tw_reuse on; the errors
# stop. `vtune revert --all` puts both back exactly.
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
measure imp
echo "impaired ($before): ${imp_rate}/s, $imp_desc, $(tw) in TIME_WAIT"
[ "$imp_ena" -gt 0 ] || fail "impairment did not show: no EADDRNOTAVAIL ($imp_desc)"

$N "$V" bench crr $LOAD -d 6 127.0.0.1:$PORT --json > "$W/during.json" 2>&1 &
LD=$!; scn_bg $LD
sleep 0.5
$N "$A" run --standalone -p "$POL" \
	-J "$W/journal" -i 0.5 --duration 4 -v > "$W/agent.log" 2>&1 || fail "agent exited non-zero"
wait $LD
scn_journal_check "$W/journal" net.ipv4.ip_local_port_range port-exhaustion > /dev/null || exit 1
scn_journal_check "$W/journal" net.ipv4.tcp_tw_reuse port-exhaustion > /dev/null || exit 1
now=$(knobs)
[ "$now" = "1024 65000 1 " ] || fail "knobs are '$now' after the rule, want '1024 65000 1 '"

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
scn_result "scenario port-exhaustion: impaired ${imp_rate}/s ($imp_desc), with vtune ${fix_rate}/s ($fix_desc), unimpaired ${ref_rate}/s ($ref_desc); ip_local_port_range $r0 -> $r1, tcp_tw_reuse 0 -> 1; reverted"
