#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-bounded-serving: what hostd logs and serves stays bounded under
# abuse, for 15 s (sim backend, a metrics endpoint on a free loopback port):
#  - 50 guest channels that accept and close at once, half of them after
#    saying hello (50 reconnecting channels: before, 30,091 log lines in
#    15 s);
#  - a guest sending 100 distinct invalid lines a second, and one saying
#    hello 10 times a second (throttled, then disconnected);
#  - 100 idle connections to the metrics port (before: every scrape 503)
#    while a Prometheus-style scrape runs every 0.5 s: every scrape is
#    served 200 with the guests' series.
# The log lines hostd wrote in those 15 s are counted and bounded.
set -u
B=${VTUNE_BUILD:-$PWD/build}
H=$B/vtune-hostd
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$H" ] || { echo "FAIL: test-bounded-serving: build first (make)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }

TMP=$(mktemp -d) || exit 1
PIDS=
fail() {
	echo "FAIL: test-bounded-serving: $*" >&2
	tail -n 20 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$TMP/guests"
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: accept-overflow
    when: guest.tcp.listen_overflows > 10/s
    for: 1s
    cooldown: 1h
    guest:
      - sysctl: net.core.somaxconn
        set: 4096
YAML
python3 "$HERE/hostile_guests.py" good "$TMP/guests" 3 --prefix good --overflows 50 --period 1 &
PIDS="$PIDS $!"
cat > "$TMP/abuse.py" <<'PY'
import os, select, socket, sys, time
d, secs = sys.argv[1], float(sys.argv[2])
HELLO = (b'\xff\n{"v":1,"type":"hello","role":"agent","version":"0.1.0",'
         b'"min_v":1,"max_v":1,"caps":["sysctl"]}\n')
def listen(name):
    p = os.path.join(d, name + ".sock")
    s = socket.socket(socket.AF_UNIX); s.bind(p + ".tmp"); s.listen(16)
    os.rename(p + ".tmp", p); s.setblocking(False)
    return s
flap = [listen("flap%d" % k) for k in range(50)]
bad, hello = listen("badlines"), listen("hellos")
conns, last = {}, {}
end = time.monotonic() + secs
n = 0
while time.monotonic() < end:
    r, _, _ = select.select(flap + [bad, hello] + list(conns), [], [], 0.01)
    for s in r:
        if s in flap:
            try:
                c, _ = s.accept()
            except OSError:
                continue
            n += 1
            if n % 2:
                try:
                    c.recv(4096); c.sendall(HELLO)
                except OSError:
                    pass
            c.close()
        elif s in (bad, hello):
            try:
                c, _ = s.accept()
            except OSError:
                continue
            c.setblocking(False)
            conns[c] = s
            try:
                c.sendall(HELLO)
            except OSError:
                pass
        else:
            try:
                if not s.recv(65536):
                    raise OSError
            except OSError:
                conns.pop(s, None); s.close()
    t = time.monotonic()
    for c, kind in list(conns.items()):
        try:
            if kind is bad:  # 100 distinct invalid lines a second
                c.sendall(b'{"v":1,"type":"report","seq":"x%d"}\n' % int(t * 1000))
            elif int(t * 10) != last.get(c):  # hello 10 times a second
                last[c] = int(t * 10)
                c.sendall(HELLO)
        except OSError:
            conns.pop(c, None); c.close()
    time.sleep(0.01)
PY
python3 "$TMP/abuse.py" "$TMP/guests" 17 & PIDS="$PIDS $!"
for i in $(seq 50); do [ -S "$TMP/guests/hellos.sock" ] && [ -S "$TMP/guests/good2.sock" ] && break; sleep 0.1; done

"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 1 \
	--journal "$TMP/state/journal" --control "$TMP/ctl.sock" --metrics "127.0.0.1:$PORT" \
	--no-privsep > "$TMP/hostd.log" 2>&1 & HPID=$!
PIDS="$PIDS $HPID"
for i in $(seq 50); do grep -q 'metrics for Prometheus' "$TMP/hostd.log" && break; sleep 0.1; done
sleep 1

python3 - "$PORT" "$TMP/hostd.log" <<'PY' > "$TMP/scrape.out" || fail "scrapes: $(cat "$TMP/scrape.out")"
import socket, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
start = sum(1 for _ in open(log, errors="replace"))
idle = []
for _ in range(100):  # 100 idle connections, re-opened when closed
    s = socket.create_connection(("127.0.0.1", port)); idle.append(s)
ok = bad = 0
t0 = time.monotonic()
lat = []
while time.monotonic() - t0 < 15:
    t = time.monotonic()
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=3)
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text\r\n\r\n")
        data = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        c.close()
        if data.startswith(b"HTTP/1.1 200") and b'vtune_guest_up{guest="good0"' in data:
            ok += 1
        else:
            bad += 1
            print("bad scrape:", data[:80])
    except OSError as e:
        bad += 1
        print("scrape failed:", e)
    lat.append(time.monotonic() - t)
    # keep the idle ones topped up: a closed one is opened again
    for i, s in enumerate(idle):
        try:
            s.setblocking(False)
            if s.recv(1) == b"":
                raise OSError
        except BlockingIOError:
            continue
        except OSError:
            s.close()
            try:
                idle[i] = socket.create_connection(("127.0.0.1", port))
            except OSError:
                pass
    time.sleep(0.5)
lines = sum(1 for _ in open(log, errors="replace")) - start
print("scrapes ok %d failed %d, max latency %.3f s, hostd log lines in 15 s: %d" % (ok, bad, max(lat), lines))
sys.exit(0 if bad == 0 and ok >= 10 else 1)
PY
cat "$TMP/scrape.out"
lines=$(sed -n 's/.*hostd log lines in 15 s: \([0-9]*\)/\1/p' "$TMP/scrape.out")
# bounded: the burst over all guest sources plus LOG_SRC_ALL_PER_S a second,
# and hostd's own few lines
[ "$lines" -le 200 ] || fail "$lines log lines in 15 s"
grep -q 'guest hellos: channel closed: hello repeated more than 3 times a minute' "$TMP/hostd.log" ||
	fail "the hello repeater was not disconnected"
kill -0 "$HPID" 2>/dev/null || fail "hostd died"
grep -q 'AddressSanitizer\|runtime error' "$TMP/hostd.log" && fail "sanitizer report"
echo "PASS: test-bounded-serving"
exit 0
