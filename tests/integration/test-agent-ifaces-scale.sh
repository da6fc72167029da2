#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 90
# The agent beside 200 interfaces, on the live kernel, in network namespaces
# this test makes and removes: more than the 64 it keeps, so it lists them
# only when rtnetlink reports a link change, and reads the counters of the
# kept ones from sysfs instead of /proc/net/dev. A fake host (inside the
# namespace) takes `vtune-agent run`'s reports every 0.2 s; meanwhile UDP
# datagrams go out over veth v001 (its peer in a second namespace answers
# with ICMP), a veth pair a00/a01 is added (it sorts first: it must be kept
# from the next report on) and v002 is deleted (gone from the next report).
# Checks each report against what had happened before it was read.
# No timing assertion: the CPU per sample is measured by `make bench`.
set -u
B=${VTUNE_BUILD:-$PWD/build}
NS=vtifs-$$
NS2=vtifs2-$$
N="ip netns exec $NS"
W=$(mktemp -d)
cleanup() {
	for n in "$NS" "$NS2"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
fail() { echo "FAIL: test-agent-ifaces-scale: $*"; tail -n 20 "$W/agent.log" 2>/dev/null; exit 1; }

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces)"; exit 77; }
[ -x "$B/vtune-agent" ] || fail "no $B/vtune-agent: build first (make all)"

ip netns add "$NS" || fail "ip netns add"
ip netns add "$NS2" || fail "ip netns add"
ip -n "$NS" link set lo up
i=1
while [ $i -le 100 ]; do
	printf 'link add v%03d type veth peer name w%03d\n' $i $i
	i=$((i + 1))
done > "$W/links"
ip -n "$NS" -batch "$W/links" || fail "cannot make 100 veth pairs"
ip -n "$NS" link set w001 netns "$NS2" || fail "cannot move w001"
ip -n "$NS" addr add 10.77.0.1/24 dev v001
ip -n "$NS" link set v001 up
ip -n "$NS2" addr add 10.77.0.2/24 dev w001
ip -n "$NS2" link set w001 up
ip -n "$NS2" link set lo up
n=$($N ls /sys/class/net | wc -l)
[ "$n" -gt 64 ] || fail "only $n interfaces"

cat > "$W/host.py" <<'PY'
# The host side of the agent's channel: hello, then every report kept. At
# 1 s UDP starts over v001; at 2.5 s the pair a00/a01 is added; at 4 s v002
# is deleted (each change's CLOCK_MONOTONIC time noted once it is done).
import json, socket, subprocess, sys, time
path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(1)
print("listening", flush=True)
srv.settimeout(20)
c, _ = srv.accept()
c.sendall(b'{"v":1,"type":"hello","role":"host","version":"0.1.0","min_v":1,"max_v":1,"caps":[]}\n')
c.setblocking(False)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
buf, reports, t = b"", [], {}
t0 = time.monotonic()
while True:
    now = time.monotonic() - t0
    if now >= 1 and "traffic" not in t:
        t["traffic"] = time.monotonic_ns()
    if "traffic" in t:
        try:
            udp.sendto(b"x", ("10.77.0.2", 9))
        except OSError:
            pass
    if now >= 2.5 and "add" not in t:
        subprocess.run(["ip", "link", "add", "a00", "type", "veth", "peer", "name", "a01"], check=True)
        t["add"] = time.monotonic_ns()
    if now >= 4 and "del" not in t:
        subprocess.run(["ip", "link", "del", "v002"], check=True)
        t["del"] = time.monotonic_ns()
    try:
        d = c.recv(1 << 20)
        if not d:
            break
        buf += d
    except BlockingIOError:
        time.sleep(0.005)
        continue
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        line = line.strip(b"\xff")
        if b'"type":"report"' in line:
            reports.append(json.loads(line))
json.dump({"t": t, "reports": reports}, open(out, "w"))
PY
$N python3 "$W/host.py" "$W/chan.sock" "$W/reports.json" > "$W/host.out" 2>&1 &
HOST=$!
i=0
until grep -q listening "$W/host.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "fake host did not start: $(cat "$W/host.out")"; sleep 0.1
done
$N "$B/vtune-agent" run --device "$W/chan.sock" --interval 0.2 --duration 6 --whole-reports \
	--journal "$W/journal" > "$W/agent.log" 2>&1 || fail "vtune-agent run exited $?"
wait "$HOST" || fail "fake host: $(cat "$W/host.out")"

python3 - "$W/reports.json" <<'PY' || fail "see above"
import json, sys
d = json.load(open(sys.argv[1]))
t, reps = d["t"], d["reports"]
bad = []
def check(ok, what):
    if not ok:
        bad.append(what)
check(len(reps) >= 15, "only %d reports" % len(reps))
check(all(k in t for k in ("traffic", "add", "del")), "the host did not make every change: %s" % t)
n_before_add = n_after_add = n_after_del = moving = answered = 0
for r in reps:
    s, seq, at = r["sample"], r["seq"], r["mono_ns"]
    check(not s["errors"], "report %d: errors %s" % (seq, s["errors"]))
    names = [f["name"] for f in s["interfaces"]]
    # a reading that lists v002 just before its delete finds its counters
    # gone: that one reading keeps the 63 it could read
    near_del = abs(at - t.get("del", -(1 << 62))) <= 300000000
    check(len(names) == 64 or (near_del and len(names) == 63),
          "report %d: %d interfaces kept, not 64" % (seq, len(names)))
    check(names == sorted(names), "report %d: interfaces not in name order" % seq)
    if at > t.get("add", 1 << 62):
        n_after_add += 1
        check(names[:2] == ["a00", "a01"], "report %d, read after a00/a01 were added: starts %s" % (seq, names[:3]))
    elif at < t.get("add", 0) - 300000000:
        n_before_add += 1
        check("a00" not in names, "report %d: a00 before it was added" % seq)
    if at > t.get("del", 1 << 62):
        n_after_del += 1
        check("v002" not in names, "report %d, read after v002 was deleted: still there" % seq)
    elif at < t.get("del", 0) - 300000000:
        check("v002" in names, "report %d: v002 missing before it was deleted" % seq)
    if at > t.get("traffic", 1 << 62) + 500000000:
        v = [f for f in s["interfaces"] if f["name"] == "v001"]
        answered += bool(v and v[0]["rx_packets_per_s"] > 0)  # ICMP replies, rate-limited
        if v and v[0]["tx_packets_per_s"] > 0:
            moving += 1
            check(s["metrics"].get("guest.net.tx_packets", 0) > 0, "report %d: guest.net.tx_packets 0" % seq)
check(n_before_add >= 3 and n_after_add >= 5 and n_after_del >= 3,
      "reports before/after the add, after the delete: %d/%d/%d" % (n_before_add, n_after_add, n_after_del))
check(moving >= 5 and answered >= 1, "v001's counters (from sysfs) moved in only %d reports (%d with replies) while UDP went over it" % (moving, answered))
for b in bad[:20]:
    print("  " + b)
print("%d reports; %d kept interfaces each; a00/a01 in all %d read after their add, v002 in none of %d after its delete; v001 moving in %d"
      % (len(reps), 64, n_after_add, n_after_del, moving))
sys.exit(1 if bad else 0)
PY
echo "ok: test-agent-ifaces-scale"
