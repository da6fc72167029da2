#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-prometheus: vtune-hostd's --metrics endpoint on the sim backend with
# fake guests: the classic text format passes `promtool check metrics`, the
# OpenMetrics form (asked for with Accept) ends in # EOF and parses, names
# follow Prometheus' conventions (counters _total, shares _ratio 0-1), labels
# come from the guest's domain XML, rule firings and changes are counted, a
# guest whose agent died goes down with its series removed (not frozen),
# slow and many scrapers are served, a client slow to send its request is
# cut, curl scrapes it, a unix socket works;
# contrib/prometheus/scrape.yml is valid. (The dashboards' queries are
# checked against a real Prometheus in test-fleet.)
set -u
B=${VTUNE_BUILD:-$PWD/build}
SRC=${VTUNE_SRC:-$PWD}
H=$B/vtune-hostd
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d) || exit 1
PIDS=
HPID=

fail() {
	echo "FAIL: test-prometheus: $*" >&2
	echo "--- hostd log" >&2; tail -n 30 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $HPID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $HPID $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$H" ] || fail "no $H: build first (make)"
command -v python3 >/dev/null || { echo "SKIP: test-prometheus needs python3"; exit 77; }
command -v promtool >/dev/null || { echo "SKIP: test-prometheus needs promtool (Debian package prometheus)"; exit 77; }

# The contrib files first: they need no daemon.
promtool check config "$SRC/contrib/prometheus/scrape.yml" >"$TMP/cfg.out" 2>&1 \
	|| fail "scrape.yml: $(cat "$TMP/cfg.out")"

# --metrics values: checked by -n.
printf 'version: 1\nrules:\n  - name: accept-overflow\n    when: guest.tcp.listen_overflows > 10/s\n    improve: none\n    for: 1s\n    cooldown: 1h\n    guest:\n      - sysctl: net.core.somaxconn\n        set: 4096\n' > "$TMP/policy.yaml"
mkdir "$TMP/guests"
for m in off 127.0.0.1:9684 '[::1]:9684' unix:/run/vtune/metrics.sock; do
	"$H" -n --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --metrics "$m" >/dev/null 2>&1 \
		|| fail "-n refused --metrics $m"
done
for m in 9684 localhost unix:rel 127.0.0.1:99999; do
	"$H" -n --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --metrics "$m" >/dev/null 2>&1 \
		&& fail "-n accepted --metrics $m"
done

# A fake guest: QEMU's side of the channel and an agent behind it.
# fakeguest SOCKET OVERFLOWS [--host-metric NAME=VALUE...] &  (exec: $! is the guest itself)
fakeguest() {
	sock=$1 ov=$2; shift 2
	exec python3 "$HERE/fakeguest.py" --socket "$sock" --period 0.3 \
		--sysctl net.core.somaxconn=128 --ack-sets any-key \
		--metric guest.tcp.listen_overflows="$ov" --metric guest.cpu.steal=1.5 \
		--metric guest.cpu.steal_max=4 --metric guest.tcp.passive_opens=1234.5 \
		--metric guest.tcp.listen_drops="$ov" --metric guest.tcp.syncookies_sent=0 \
		--metric guest.softnet.dropped=2 --metric guest.net.rx_drops=0.25 \
		--metric guest.listen.fill_max=87.5 --metric guest.conntrack.count=42 \
		--metric guest.sysctl.somaxconn=@net.core.somaxconn "$@"
}
# (label escaping is unit-tested: the sim backend takes only plain names)
QNAME=calm
# busy: a current agent (raw counters too) on a Nova instance; calm: an
# agent that sends rates only
cp "$SRC/tests/fixtures/libvirt/nova-instance.xml" "$TMP/guests/busy.xml"
fakeguest "$TMP/guests/busy.sock" 50.0 --host-metric host.vcpu.delay=3.5 --host-metric host.vcpu.delay_max=7 \
	--host-metric host.tap.tx_drops=1 --host-metric host.softnet.dropped=0 \
	--metric guest.tcp.passive_opens_total=987654321 --metric guest.tcp.listen_overflows_total=4242 \
	& PIDS="$PIDS $!"
fakeguest "$TMP/guests/$QNAME.sock" 0.0 & CALM=$!; PIDS="$PIDS $CALM"
for i in $(seq 50); do [ -S "$TMP/guests/busy.sock" ] && [ -S "$TMP/guests/$QNAME.sock" ] && break; sleep 0.1; done

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.5 \
	--journal "$TMP/journal" --control "$TMP/ctl.sock" --root "$TMP/root" \
	--metrics "127.0.0.1:$PORT" >"$TMP/hostd.log" 2>&1 & HPID=$!

# scrape URL [ACCEPT]: body to stdout, content type to $TMP/ctype; non-200 fails.
cat > "$TMP/scrape.py" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    req.add_header("Accept", sys.argv[2])
with urllib.request.urlopen(req, timeout=5) as r:
    open(sys.argv[3] if len(sys.argv) > 3 else "/dev/null", "w").write(r.headers["Content-Type"])
    sys.stdout.write(r.read().decode())
PY
URL=http://127.0.0.1:$PORT/metrics
OMACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

# Wait for the busy guest's rule to fire and its change to be acked.
ok=
for i in $(seq 100); do
	if python3 "$TMP/scrape.py" "$URL" "" "$TMP/ctype" > "$TMP/text" 2>/dev/null &&
	   grep -q '^vtune_changes_total{guest="busy",side="guest",result="applied"} 1$' "$TMP/text" &&
	   grep -q '^vtune_host_vcpu_delay_ratio{guest="busy"} 0.035$' "$TMP/text" &&
	   grep -q '^vtune_guest_connected{guest="calm"} 1$' "$TMP/text"; then ok=1; break; fi
	sleep 0.1
done
[ -n "$ok" ] || fail "no applied change counted: $(cat "$TMP/text")"

# 1. The classic text format, checked by promtool.
grep -qx 'text/plain; version=0.0.4; charset=utf-8' "$TMP/ctype" || fail "text content type: $(cat "$TMP/ctype")"
promtool check metrics < "$TMP/text" >"$TMP/lint" 2>&1 || fail "promtool check metrics: $(cat "$TMP/lint")"
grep -q '# EOF' "$TMP/text" && fail "# EOF in the text format"
for want in \
	'vtune_rule_firings_total{guest="busy",rule="accept-overflow"} ' \
	'vtune_guest_cpu_steal_ratio{guest="busy"} 0.015' \
	'vtune_guest_tcp_listen_overflows_total{guest="busy"} 4242' \
	'vtune_guest_tcp_passive_opens_total{guest="busy"} 987654321' \
	'# TYPE vtune_guest_tcp_passive_opens_total counter' \
	'vtune_guest_tcp_listen_overflows_per_second{guest="calm"} 0' \
	'vtune_guest_listen_fill_max_ratio{guest="busy"} 0.875' \
	'vtune_guest_conntrack_entries{guest="busy"} 42' \
	'vtune_guest_up{guest="busy"} 1' \
	'vtune_rule_active{guest="busy",rule="accept-overflow"} 1' \
	'vtune_guest_info{guest="busy",hypervisor="sim",uuid="6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11",nova_instance_uuid="6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11",nova_project_id="8a3f1c2d4e5f46a7b8c9d0e1f2a3b4c5",nova_project_name="shop & co"} 1' \
	'vtune_guest_info{guest="calm",hypervisor="sim"} 1' \
	'vtune_host_info{hostname="'"$(hostname)"'",hypervisor="sim"} 1' \
	'vtune_guest_connected{guest="busy"} 1' \
	'vtune_guest_connected{guest="calm"} 1' \
	'vtune_guest_reports_bad_total{guest="busy"} 0' \
	'# TYPE vtune_guest_reports_total counter' \
	'vtune_build_info{version="'; do
	grep -qF "$want" "$TMP/text" || fail "text format lacks: $want"
done
grep -q '^vtune_guest_reports_total{guest="busy"} [1-9]' "$TMP/text" || fail "no reports counted"
grep -q 'vtune_guest_tcp_listen_overflows_per_second{guest="busy"}' "$TMP/text" && fail "a rate exported beside its counter"
grep -q '_percent' "$TMP/text" && fail "a share still in percent: $(grep _percent "$TMP/text" | head -3)"
grep -q '^vtune_guest_last_report_timestamp_seconds{guest="busy"} 1[0-9]*' "$TMP/text" || fail "no last-report timestamp"
# Counter families and their samples all end in _total.
grep '^# TYPE .* counter$' "$TMP/text" | grep -v '_total counter$' && fail "a counter without _total"

# 2. OpenMetrics when asked for.
python3 "$TMP/scrape.py" "$URL" "$OMACCEPT" "$TMP/ctype" > "$TMP/om" || fail "OpenMetrics scrape failed"
grep -qx 'application/openmetrics-text; version=1.0.0; charset=utf-8' "$TMP/ctype" \
	|| fail "OpenMetrics content type: $(cat "$TMP/ctype")"
[ "$(tail -n 1 "$TMP/om")" = "# EOF" ] || fail "OpenMetrics does not end with # EOF"
grep -q '^# TYPE vtune_changes counter$' "$TMP/om" || fail "OpenMetrics counter family named with _total"
grep -q '^# TYPE vtune_build info$' "$TMP/om" || fail "no info family"
grep -q '^# UNIT vtune_guest_cpu_steal_ratio ratio$' "$TMP/om" || fail "no UNIT line"
# The reference parser (Debian python3-prometheus-client), when installed.
if /usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
	/usr/bin/python3 - "$TMP/om" <<'PY' || fail "OpenMetrics parser refused the exposition"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
assert fams["vtune_changes"].type == "counter", fams["vtune_changes"]
assert fams["vtune_build"].type == "info"
s = [x for x in fams["vtune_guest_connected"].samples if x.labels["guest"] == "calm"]
assert s and s[0].value == 1, fams["vtune_guest_connected"].samples
print("ok: OpenMetrics parser: %d families" % len(fams))
PY
else
	echo "note: python3-prometheus-client not installed: OpenMetrics checked by structure only"
fi

# 3. Other requests.
python3 - "$PORT" <<'PY' || fail "HTTP edge cases"
import socket, sys, time
port = int(sys.argv[1])
def ask(data, slow=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    buf = b""
    while True:
        d = s.recv(65536)
        if not d: break
        buf += d
    s.close()
    return buf
assert ask(b"GET / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404 "), "404"
assert ask(b"POST /metrics HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 405 "), "405"
# not HTTP: closed unanswered (libmicrohttpd) or 400
r = ask(b"nonsense\r\n\r\n")
assert r == b"" or r.startswith(b"HTTP/1.1 400 "), r[:40]
assert ask(b"GET /metrics SPDY/3\r\n\r\n").startswith(b"HTTP/1.1 400 "), "400"
# headers past the connection's memory (MH_MAX_REQUEST): 431
assert ask(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431 "), "431"
h = ask(b"HEAD /metrics HTTP/1.1\r\n\r\n")
assert h.startswith(b"HTTP/1.1 200 ") and h.endswith(b"\r\n\r\n"), h[-40:]
# a slow client holding half a request does not block another scraper
slow = socket.create_connection(("127.0.0.1", port), timeout=5)
slow.sendall(b"GET /metr")
t = time.time()
assert ask(b"GET /metrics HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 200 ")
assert time.time() - t < 2
# and is cut once its request is late (MH_REQUEST_NS, 2 s)
slow.settimeout(10)
t = time.time()
assert slow.recv(100) == b"", "the slow client got an answer"
assert 1 < time.time() - t < 5, time.time() - t
slow.close()
# a client trickling its headers a byte at a time is cut all the same
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /metrics HTTP/1.1\r\n")
t = time.time()
try:
    while time.time() - t < 10:
        s.sendall(b"X")
        time.sleep(0.2)
except OSError:
    pass
assert time.time() - t < 5, "a trickling client kept its connection"
s.close()
PY
# curl, as a scraper would: OpenMetrics asked for, HEAD, 404 and 405
command -v curl >/dev/null || fail "no curl"
curl -sS -f -H "Accept: $OMACCEPT" -o "$TMP/curl.om" -w '%{http_code} %{content_type}\n' "$URL" > "$TMP/curl.out" \
	|| fail "curl scrape: $(cat "$TMP/curl.out")"
grep -qx '200 application/openmetrics-text; version=1.0.0; charset=utf-8' "$TMP/curl.out" || fail "curl: $(cat "$TMP/curl.out")"
[ "$(tail -n 1 "$TMP/curl.om")" = "# EOF" ] || fail "curl: OpenMetrics without # EOF"
curl -sS -I "$URL" > "$TMP/curl.head" || fail "curl -I"
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$TMP/curl.head" || fail "HEAD: $(cat "$TMP/curl.head")"
grep -qi '^content-length: [1-9]' "$TMP/curl.head" || fail "HEAD without the body's length: $(cat "$TMP/curl.head")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 404 ] || fail "curl: no 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL")" = 405 ] || fail "curl: no 405"
# Many scrapers at once.
python3 - "$URL" <<'PY' || fail "concurrent scrapes"
import sys, threading, urllib.request
res = []
def one():
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
            res.append(r.status == 200 and b"vtune_build_info" in r.read())
    except Exception as e:
        res.append(repr(e))
ts = [threading.Thread(target=one) for _ in range(40)]
[t.start() for t in ts]; [t.join() for t in ts]
bad = [r for r in res if r is not True]
assert len(res) == 40 and not bad, bad[:3]
PY

# 4. A guest whose agent dies: down, its series removed, not frozen.
kill -KILL "$CALM"
ok=
for i in $(seq 60); do
	python3 "$TMP/scrape.py" "$URL" > "$TMP/stale" 2>/dev/null &&
		grep -q '^vtune_guest_up{guest="calm"} 0$' "$TMP/stale" && { ok=1; break; }
	sleep 0.1
done
[ -n "$ok" ] || fail "calm still up after its agent died: $(grep calm "$TMP/stale")"
grep 'guest="calm"' "$TMP/stale" | grep -v '^vtune_guest_\(up\|info\|connected\|last_report_timestamp_seconds\|reports_total\|reports_bad_total\|messages_dropped_total\|messages_invalid_total\){' \
	| grep -v '^vtune_changes_total{' && fail "calm's views still exported after its agent died"
ts=$(sed -n 's/^vtune_guest_last_report_timestamp_seconds{guest="calm"} //p' "$TMP/stale")
python3 -c "import sys,time; t=float(sys.argv[1]); sys.exit(0 if time.time()-30 < t < time.time() else 1)" "$ts" \
	|| fail "calm's last report timestamp is not recent: $ts"
grep -q '^vtune_guest_up{guest="busy"} 1$' "$TMP/stale" || fail "busy went down too"
promtool check metrics < "$TMP/stale" >"$TMP/lint" 2>&1 || fail "promtool check metrics (stale): $(cat "$TMP/lint")"

kill "$HPID"; wait "$HPID"; rc=$?; HPID=
[ $rc = 0 ] || fail "hostd exited $rc on SIGTERM"

# 5. A unix socket listener, removed at exit.
"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.5 \
	--journal "$TMP/journal2" --control "$TMP/ctl2.sock" --root "$TMP/root" \
	--metrics "unix:$TMP/run/metrics.sock" >"$TMP/hostd.log" 2>&1 & HPID=$!
for i in $(seq 50); do [ -S "$TMP/run/metrics.sock" ] && break; sleep 0.1; done
[ -S "$TMP/run/metrics.sock" ] || fail "no unix metrics socket"
python3 - "$TMP/run/metrics.sock" > "$TMP/unix.out" <<'PY' || fail "scrape over the unix socket"
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text\r\n\r\n")
buf = b""
while True:
    d = s.recv(65536)
    if not d: break
    buf += d
assert buf.startswith(b"HTTP/1.1 200 ") and buf.endswith(b"# EOF\n"), buf[:200]
PY
kill "$HPID"; wait "$HPID"; HPID=
[ -e "$TMP/run/metrics.sock" ] && fail "unix metrics socket left behind"

# 6. --metrics off: no listener; a busy explicit address is an error.
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' > "$TMP/busyport" & PIDS="$PIDS $!"
for i in $(seq 50); do [ -s "$TMP/busyport" ] && break; sleep 0.1; done
"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --journal "$TMP/journal3" \
	--control "$TMP/ctl3.sock" --root "$TMP/root" --metrics "127.0.0.1:$(cat "$TMP/busyport")" \
	>"$TMP/busy.log" 2>&1 && fail "hostd started on a busy --metrics address"
grep -q -- '--metrics 127.0.0.1:.*: Address already in use' "$TMP/busy.log" || fail "no clear error: $(cat "$TMP/busy.log")"

# 7. --syslog: change lines reach syslog. /dev/log is ours in a private
#    mount namespace (a tmpfs over /dev); skipped where that is not allowed.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	cat > "$TMP/syslogd.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
out = open(sys.argv[1], "ab", buffering=0)
while True:
    out.write(s.recv(65536) + b"\n")
PY
	mkdir "$TMP/guests2"	# a fresh guest: the first one has somaxconn 4096 now
	fakeguest "$TMP/guests2/busy.sock" 50.0 & PIDS="$PIDS $!"
	for i in $(seq 50); do [ -S "$TMP/guests2/busy.sock" ] && break; sleep 0.1; done
	unshare -m sh -c '
		mkdir "$1/dev" && mount --bind /dev "$1/dev" && mount -t tmpfs tmpfs /dev &&
			touch /dev/null && mount --bind "$1/dev/null" /dev/null || exit 1
		python3 "$1/syslogd.py" "$1/syslog.out" & L=$!
		for i in $(seq 50); do [ -e "$1/syslog.out.ready" ] && break; sleep 0.1; done
		"$2" --backend sim --uri "$1/guests2" --policy "$1/policy.yaml" --interval 0.5 \
			--journal "$1/journal4" --control "$1/ctl4.sock" --root "$1/root" \
			--metrics off --syslog 2>"$1/hostd4.log" & H=$!
		for i in $(seq 100); do grep -q "set sysctl net.core.somaxconn" "$1/syslog.out" 2>/dev/null && break; sleep 0.1; done
		kill $H; wait $H; kill $L' sh "$TMP" "$H" >/dev/null 2>&1
	grep -q 'vtune-hostd\[[0-9]*\]: guest busy: set sysctl net.core.somaxconn .* -> 4096 (rule accept-overflow' "$TMP/syslog.out" 2>/dev/null \
		|| fail "--syslog: no change line in syslog: $(cat "$TMP/syslog.out" "$TMP/hostd4.log" 2>&1 | head -20)"
	grep -q 'set sysctl net.core.somaxconn' "$TMP/hostd4.log" || fail "--syslog: stderr lost the change line"
else
	echo "note: --syslog not checked (needs root and unshare -m)"
fi
echo "ok: test-prometheus"
