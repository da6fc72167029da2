#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 150
# test-fleet: a real Prometheus (Debian's package) on a loopback port scrapes
# three vtune-hostd --backend sim, whose fake guests show different symptoms
# (host contention with overflows, a short accept queue, softnet drops, calm;
# an agent that sends rates only; Nova and KubeVirt labels from domain XML),
# with contrib/prometheus's rules loaded. Checks: `vtune fleet` ranks the
# guests by accepts lost to host causes with their labels and causes, --json
# agrees, each failure gives one line and its exit code; the recording rules
# agree with fleet; `promtool test rules` passes for every alert; every query
# of both Grafana dashboards parses and names metrics that exist; after one
# hostd stops its target is down and its guests' series are gone. With
# VTUNE_FLEET_SHOT=FILE.png it also renders the fleet dashboard's panels from
# this Prometheus (tests/harness/dash_render.py) and screenshots them with
# headless Chromium. Everything it starts is stopped and removed.
set -u
B=${VTUNE_BUILD:-$PWD/build}
SRC=${VTUNE_SRC:-$PWD}
H=$B/vtune-hostd
V=$B/vtune
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d) || exit 1
chmod 755 "$TMP" # hostd's unprivileged engine (privsep) reads the sim's NAME.host files
PIDS=
HPIDS=
PROM=
PROM2=
T0=$(date +%s)

fail() {
	echo "FAIL: test-fleet: $*" >&2
	for f in "$TMP"/hostd*.log "$TMP"/prom.log; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
	done
	exit 1
}
cleanup() {
	for p in $PROM $PROM2 $HPIDS $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PROM $PROM2 $HPIDS $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$H" ] && [ -x "$V" ] || fail "build first (make)"
for t in prometheus promtool python3; do
	command -v $t >/dev/null || { echo "SKIP: test-fleet needs $t (Debian package prometheus)"; exit 77; }
done

# Free loopback ports: three hostd, two Prometheus, one plain web server.
set -- $(python3 -c '
import socket
ss = [socket.socket() for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
P1=$1 P2=$2 P3=$3 PP=$4 PP2=$5 PW=$6

cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: listen-overflow
    description: accept queues overflow
    when: guest.tcp.listen_overflows > 5/s
    for: 1s
    clear: guest.tcp.listen_overflows < 1/s
    cooldown: 1h
    guest:
      - sysctl: net.core.somaxconn
        scale: 2
        min: 1024
        max: 65535
  - name: vcpu-run-delay
    description: the guest's vCPUs wait to run on the host
    when: host.vcpu.delay_max >= 10% and guest.cpu.busy_max >= 80%
    for: 1s
    cooldown: 1h
    host:
      - note: "pin the emulator away from the guest's vCPUs"
  - name: softnet-drops
    description: packets dropped, netdev backlog full
    when: guest.softnet.dropped > 10/s
    for: 1s
    cooldown: 1h
    guest:
      - sysctl: net.core.netdev_max_backlog
        scale: 2
        max: 16384
YAML

# fakeguest DIR NAME [fakeguest.py options]: a guest of the hostd on DIR.
fakeguest() {
	d=$1 n=$2; shift 2
	exec python3 "$HERE/fakeguest.py" --socket "$TMP/$d/$n.sock" --period 0.5 \
		--sysctl net.core.somaxconn=128 --sysctl net.core.netdev_max_backlog=1000 \
		--metric guest.sysctl.somaxconn=@net.core.somaxconn \
		--metric guest.sysctl.netdev_max_backlog=@net.core.netdev_max_backlog "$@"
}
mkdir "$TMP/h1" "$TMP/h2" "$TMP/h3"
# h1/web-a (a Nova instance): 200 accepts/s, 50 lost/s, the host takes 35 %
# of its time: lost to the host min(50, 200 x .35/.65) = 50.
cp "$SRC/tests/fixtures/libvirt/nova-instance.xml" "$TMP/h1/web-a.xml"
fakeguest h1 web-a --counter guest.tcp.passive_opens_total=200 \
	--counter guest.tcp.listen_drops_total=50 --counter guest.tcp.listen_overflows_total=40 \
	--metric guest.tcp.listen_overflows=40.0 --metric guest.cpu.steal=30.0 \
	--metric guest.cpu.busy_max=95.0 --metric guest.softnet.dropped=0.0 \
	--host-metric host.vcpu.delay=35 --host-metric host.vcpu.delay_max=40 & PIDS="$PIDS $!"
# h2/api-b: an old agent (rates only): 500 accepts/s, 20 lost/s, host wait 2 %:
# lost to the host min(20, 500 x .02/.98) = 10.2.
fakeguest h2 api-b --metric guest.tcp.passive_opens=500.0 --metric guest.tcp.listen_drops=20.0 \
	--metric guest.tcp.listen_overflows=20.0 --metric guest.cpu.steal=1.0 \
	--metric guest.cpu.busy_max=40.0 --host-metric host.vcpu.delay=2 --host-metric host.vcpu.delay_max=3 \
	& PIDS="$PIDS $!"
# h2/db-c: softnet drops, nothing lost at the listener.
fakeguest h2 db-c --counter guest.tcp.passive_opens_total=30 --counter guest.tcp.listen_drops_total=0 \
	--metric guest.tcp.listen_overflows=0.0 --metric guest.softnet.dropped=100.0 \
	--metric guest.cpu.steal=0.5 --metric guest.cpu.busy_max=20.0 & PIDS="$PIDS $!"
# h3/shop_cache-d (a KubeVirt VMI) and h3/idle-e: calm.
cp "$SRC/tests/fixtures/libvirt/kubevirt-vmi.xml" "$TMP/h3/shop_cache-d.xml"
fakeguest h3 shop_cache-d --counter guest.tcp.passive_opens_total=10 --counter guest.tcp.listen_drops_total=0 \
	--metric guest.tcp.listen_overflows=0.0 --metric guest.cpu.steal=0.0 --metric guest.cpu.busy_max=5.0 \
	& PIDS="$PIDS $!"
fakeguest h3 idle-e --counter guest.tcp.passive_opens_total=1 --counter guest.tcp.listen_drops_total=0 \
	--metric guest.tcp.listen_overflows=0.0 --metric guest.cpu.steal=0.0 --metric guest.cpu.busy_max=1.0 \
	& PIDS="$PIDS $!"
for i in $(seq 50); do
	[ "$(ls "$TMP"/h*/*.sock 2>/dev/null | wc -l)" = 5 ] && break; sleep 0.1
done

# Prometheus: 1 s scrapes and rule evaluations, a throw-away TSDB.
mkdir "$TMP/prom" "$TMP/prom2"
cp "$SRC/contrib/prometheus/vtune-recording.yml" "$SRC/contrib/prometheus/vtune-alerts.yml" "$TMP/"
cat > "$TMP/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [vtune-recording.yml, vtune-alerts.yml]
scrape_configs:
  - job_name: vtune-hostd
    scrape_timeout: 900ms
    static_configs:
      - targets: ['127.0.0.1:$P1', '127.0.0.1:$P2', '127.0.0.1:$P3']
EOF2
printf 'global:\n  scrape_interval: 1s\nscrape_configs: []\n' > "$TMP/prometheus2.yml"
promtool check config "$TMP/prometheus.yml" >/dev/null || fail "the test's Prometheus configuration"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom" \
	--web.listen-address="127.0.0.1:$PP" --log.level=warn >"$TMP/prom.log" 2>&1 & PROM=$!
prometheus --config.file="$TMP/prometheus2.yml" --storage.tsdb.path="$TMP/prom2" \
	--web.listen-address="127.0.0.1:$PP2" --log.level=warn >"$TMP/prom2.log" 2>&1 & PROM2=$!
# (Prometheus first, so that it usually scrapes each hostd's change counters
# at 0 before the first change and increase() sees it: the dashboard's
# actions panel; not asserted, it is a race of about a second)
for i in 1 2 3; do
	eval port=\$P$i
	"$H" --backend sim --uri "$TMP/h$i" --policy "$TMP/policy.yaml" --interval 0.5 \
		--journal "$TMP/journal$i" --control "$TMP/ctl$i.sock" --root "$TMP/root" \
		--metrics "127.0.0.1:$port" >"$TMP/hostd$i.log" 2>&1 &
	HPIDS="$HPIDS $!"
done
HPID3=$!

URL=http://127.0.0.1:$PP

# q PROMQL: the instant query's JSON result list.
q() {
	python3 - "$URL" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
u = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
with urllib.request.urlopen(u, timeout=5) as r:
    print(json.dumps(json.load(r)["data"]["result"]))
PY
}

# Wait for data: 5 guests up, and 15 s of counters for the rates.
ok=
for i in $(seq 120); do
	n=$(q 'count(vtune_guest_up == 1)' 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["value"][1] if r else 0)' 2>/dev/null)
	[ "$n" = 5 ] && { ok=1; break; }
	sleep 0.25
done
[ -n "$ok" ] || fail "Prometheus did not see 5 guests up: $(q 'vtune_guest_up' 2>&1)"
sleep 12

# 1. vtune fleet: the ranking, labels and causes.
"$V" fleet --prometheus "$URL" --since 10s > "$TMP/fleet.txt" 2>"$TMP/fleet.err" \
	|| fail "vtune fleet exited $?: $(cat "$TMP/fleet.err")"
echo "--- vtune fleet --prometheus $URL --since 10s"
cat "$TMP/fleet.txt"
[ -s "$TMP/fleet.err" ] && fail "vtune fleet wrote to stderr: $(cat "$TMP/fleet.err")"
order=$(awk '/^ +[0-9]+  / {print $2}' "$TMP/fleet.txt" | tr '\n' ' ')
case "$order" in
"web-a api-b "*) ;;
*) fail "ranking: $order" ;;
esac
# row RANK GUEST: the guest's row and the lines under it, up to the next row
row() { awk -v r="$1" -v g="$2" '/^ +[0-9]+  / {on = ($1 == r && $2 == g)} on' "$TMP/fleet.txt"; }
row 1 web-a | grep -q "^  1  web-a  *127.0.0.1:$P1 " || fail "web-a's row"
row 1 web-a | grep -qx '     cause: listen-overflow, vcpu-run-delay' || fail "web-a's causes"
row 1 web-a | grep -q '^     vtune: last rule .* ago; changes 1 applied, 0 failed, 0 rolled back$' \
	|| fail "web-a's last actions"
row 1 web-a | grep -qx '     nova: instance 6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11, project shop & co' \
	|| fail "web-a's Nova labels"
row 2 api-b | grep -q "^  2  api-b  *127.0.0.1:$P2 " || fail "api-b's row"
row 2 api-b | grep -qx '     cause: listen-overflow' || fail "api-b's cause"
row 3 db-c | grep -qx '     cause: softnet-drops' || fail "db-c's cause"
grep -A1 ' idle-e ' "$TMP/fleet.txt" | grep -qx '     cause: none' || fail "idle-e's cause"
grep -q 'kubevirt: vmi shop/cache-d' "$TMP/fleet.txt" || fail "the KubeVirt labels"
awk 'length > 100 {exit 1}' "$TMP/fleet.txt" || fail "a line over 100 columns"

"$V" fleet --prometheus "$URL/" --since 10s --top 3 --json > "$TMP/fleet.json" || fail "fleet --json exited $?"
python3 - "$TMP/fleet.json" "$P1" <<'PY' || fail "fleet --json"
import json, sys
d = json.load(open(sys.argv[1]))
g = d["guests"]
assert d["guests_total"] == 5 and len(g) == 3, (d["guests_total"], len(g))
a = g[0]
assert a["guest"] == "web-a" and a["instance"] == "127.0.0.1:" + sys.argv[2], a
assert abs(a["accepts_per_second"] - 200) < 15, a
assert abs(a["lost_per_second"] - 50) < 5, a
assert abs(a["lost_host_per_second"] - a["lost_per_second"]) < 1e-6, a   # capped at the loss
assert abs(a["host_wait_ratio"] - 0.35) < 1e-6, a
assert a["uuid"] == a["nova_instance_uuid"] == "6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11", a
assert a["nova_project_name"] == "shop & co" and a["hypervisor"] == "sim", a
assert sorted(a["causes"]) == ["listen-overflow", "vcpu-run-delay"], a
assert a["changes_applied"] >= 1, a
b = g[1]
assert b["guest"] == "api-b" and abs(b["lost_host_per_second"] - 500 * 0.02 / 0.98) < 0.5, b
assert b["causes"] == ["listen-overflow"], b
print("ok: fleet --json: web-a lost %.1f/s (%.1f to host), api-b %.1f to host" %
      (a["lost_per_second"], a["lost_host_per_second"], b["lost_host_per_second"]))
PY

# The recording rules on live data: the same formula as fleet. (Their 1m
# windows hold less than a minute of data here, so rates from counters are
# still ramping up: check the relations, and the exact values where the old
# agent's own rates are used.)
python3 - "$URL" <<'PY' || fail "recording rules"
import json, sys, urllib.parse, urllib.request
def q(e):
    u = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": e})
    return {r["metric"]["guest"]: float(r["value"][1]) for r in json.load(urllib.request.urlopen(u, timeout=5))["data"]["result"]}
lh = q("vtune:guest_accepts_lost_host:rate1m")
lost = q("vtune:guest_accepts_lost:rate1m")
acc = q("vtune:guest_accepts:rate1m")
wait = q("vtune:guest_host_wait:ratio")
assert abs(wait["web-a"] - 0.35) < 1e-9 and abs(wait["api-b"] - 0.02) < 1e-9, wait
assert lost["web-a"] > 0 and abs(lh["web-a"] - min(lost["web-a"], acc["web-a"] * 0.35 / 0.65)) < 1e-6, (lh, lost, acc)
assert acc["api-b"] == 500 and lost["api-b"] == 20, (acc, lost)
assert abs(lh["api-b"] - 500 * 0.02 / 0.98) < 1e-6, lh
assert lh["db-c"] == 0 and lh["idle-e"] == 0, lh
print("ok: recording rules: lost to host", {k: round(v, 1) for k, v in sorted(lh.items())})
PY

# 2. Failures: one line on stderr, nothing on stdout, a distinct exit code.
# expect CODE PATTERN ARGS...
expect() {
	code=$1 pat=$2; shift 2
	"$V" fleet "$@" >"$TMP/o" 2>"$TMP/e"; rc=$?
	[ "$rc" = "$code" ] || fail "fleet $*: exit $rc, not $code: $(cat "$TMP/e")"
	[ -s "$TMP/o" ] && fail "fleet $*: partial output: $(cat "$TMP/o")"
	[ "$(wc -l < "$TMP/e")" = 1 ] && grep -q "$pat" "$TMP/e" || fail "fleet $*: $(cat "$TMP/e")"
	echo "ok: exit $rc: $(cat "$TMP/e")"
}
# a web server that answers 200 at the API's path, with something else
mkdir -p "$TMP/web/api/v1" && echo "<html>hello</html>" > "$TMP/web/api/v1/query"
python3 -m http.server "$PW" --bind 127.0.0.1 --directory "$TMP/web" >/dev/null 2>&1 & PIDS="$PIDS $!"
for i in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $PW), 1)" 2>/dev/null && break; sleep 0.1; done
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect 3 'cannot reach Prometheus at http://127.0.0.1:'"$CLOSED" --prometheus "http://127.0.0.1:$CLOSED"
expect 4 'has no Prometheus API (HTTP 404' --prometheus "http://127.0.0.1:$P1"
expect 4 'not an http:// or https:// URL' --prometheus "gopher://127.0.0.1:$PP"
expect 5 'not Prometheus' --prometheus "http://127.0.0.1:$PW"
for i in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PP2/-/ready', timeout=1)" 2>/dev/null && break; sleep 0.1; done
expect 6 'has no vtune-hostd series' --prometheus "http://127.0.0.1:$PP2"
expect 2 'since' --since 5x
"$V" fleet --help | grep -q 'exit: 0 ok' || fail "fleet --help"

# 3. Every alert's unit tests.
promtool test rules "$SRC"/contrib/prometheus/tests/*.test.yml || fail "promtool test rules"

# 4. Every query of both dashboards parses (Prometheus' own parser) and
#    names metrics that exist.
python3 - "$URL" "$SRC" "127.0.0.1:$P1" <<'PY' || fail "dashboard queries"
import json, re, sys, urllib.parse, urllib.request
url, src, hostd = sys.argv[1:4]
known = set()
for line in urllib.request.urlopen("http://%s/metrics" % hostd, timeout=5).read().decode().splitlines():
    if line.startswith("# TYPE "):
        name, typ = line.split()[2:4]
        known.add(name)
        if typ == "gauge" and name.endswith("_info"):
            known.add(name)
import yaml
for f in ("vtune-recording.yml",):
    for g in yaml.safe_load(open(src + "/contrib/prometheus/" + f))["groups"]:
        known.update(r["record"] for r in g["rules"] if "record" in r)
known.update(["up", "ALERTS"])
subst = {"$__rate_interval": "30s", "$__interval": "5s", "$__range": "1m", "${__range}": "1m",
         "$host": ".*", "$instance": ".*", "$guest": ".*", "$top": "5", "${top}": "5"}
n, notlive = 0, set()
for dash in ("vtune.json", "vtune-fleet.json"):
    d = json.load(open(src + "/contrib/grafana/" + dash))
    exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", []) if t.get("expr")]
    exprs += [v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query", "")
              for v in d["templating"]["list"] if v.get("type") == "query"]
    exprs += [a["expr"] for a in d.get("annotations", {}).get("list", []) if a.get("expr")]
    assert exprs, dash
    for e in exprs:
        m = re.match(r"label_values\((.*),\s*\w+\)$", e)
        pe = m.group(1) if m else e
        for k, v in subst.items():
            pe = pe.replace(k, v)
        assert "$" not in pe, (dash, pe)
        r = json.load(urllib.request.urlopen(url + "/api/v1/query?" + urllib.parse.urlencode({"query": pe}), timeout=5))
        assert r["status"] == "success", (dash, e, r)
        names = set(re.findall(r"\b(vtune[_:][a-zA-Z0-9_:]*)", pe)) | ({"up"} if re.search(r"\bup\b", pe) else set())
        unknown = [x for x in names if x not in known]
        # the fleet dashboard's names all exist here; the per-host one also
        # names metrics these fake guests lack (test_metrics_http checks
        # every name in contrib/ against what hostd can export)
        assert not unknown or dash != "vtune-fleet.json", (dash, e, unknown)
        notlive.update(unknown)
        n += 1
print("ok: %d dashboard queries parse; the fleet dashboard's metrics all exist in this Prometheus" % n)
print("   (per-host dashboard metrics these fake guests do not send: %s)" % " ".join(sorted(notlive)))
PY

# 5. Optional: the fleet dashboard rendered from this Prometheus, screenshot.
if [ -n "${VTUNE_FLEET_SHOT:-}" ]; then
	python3 "$SRC/tests/harness/dash_render.py" "$SRC/contrib/grafana/vtune-fleet.json" "$URL" \
		"$TMP/dash.html" $(( $(date +%s) - T0 )) || fail "rendering the dashboard"
	if command -v chromium >/dev/null; then
		timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$TMP/chromium" --hide-scrollbars --window-size=1560,1900 \
			--screenshot="$VTUNE_FLEET_SHOT" "file://$TMP/dash.html" >"$TMP/chromium.log" 2>&1 \
			|| fail "chromium: $(tail -3 "$TMP/chromium.log")"
		cp "$TMP/dash.html" "${VTUNE_FLEET_SHOT%.png}.html"
		echo "ok: screenshot $VTUNE_FLEET_SHOT"
	else
		echo "note: no chromium: screenshot skipped"
	fi
fi

# 6. One hostd stops: its target goes down and its guests' series go away.
kill "$HPID3"; wait "$HPID3"
ok=
for i in $(seq 60); do
	d=$(q "up{instance=\"127.0.0.1:$P3\"}" 2>/dev/null)
	s=$(q "vtune_guest_up{instance=\"127.0.0.1:$P3\"} or vtune_guest_cpu_steal_ratio{instance=\"127.0.0.1:$P3\"}" 2>/dev/null)
	case "$d" in *'"0"]'*) [ "$s" = "[]" ] && { ok=1; break; } ;; esac
	sleep 0.25
done
[ -n "$ok" ] || fail "after hostd 3 stopped: up=$d series=$s"
"$V" fleet --prometheus "$URL" --since 10s > "$TMP/fleet2.txt" || fail "fleet after a hostd stopped"
echo "--- vtune fleet after hostd 3 stopped"
cat "$TMP/fleet2.txt"
grep -q "^hostd down (not scraped): 127.0.0.1:$P3$" "$TMP/fleet2.txt" || fail "the down hostd is not named"
grep -q 'cache-d\|idle-e' "$TMP/fleet2.txt" && fail "the stopped host's guests are still listed"
grep -q '^3 guests on 2 hosts' "$TMP/fleet2.txt" || fail "guest count after a hostd stopped"
echo "PASS: test-fleet ($(( $(date +%s) - T0 )) s)"
exit 0
