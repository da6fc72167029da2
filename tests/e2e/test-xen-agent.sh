#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-xen-agent: `vtune-agent run` in a real PV domU (tests/harness/xen-boot) finds Xen by
# itself and talks xenstore; dom0 competes for the domU's pCPU so the guest sees steal, reads
# data/vtune/report, then sends an apply of net.core.somaxconn and a revert as xen_send would;
# trimmed to one value for that host, and whole in parts once its hello names xs-report-parts.
# timeout: 240
set -u

B=${VTUNE_BUILD:-build}
S=${VTUNE_SRC:-$(pwd)}
H=$S/tests/harness
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
command -v python3 >/dev/null || skip "python3 not installed"
agent=$B/vtune-agent.static
# always make: a stale binary (from before the xenstore transport) picks the virtio port
make -C "$S" -s B="$B" "$B/vtune-agent.static" >/dev/null 2>&1 || skip "cannot build $agent"
"$H/xen-packages" >/dev/null 2>&1 || skip "Xen packages cannot be downloaded (xen-packages failed)"
"$H/guest-kernel" generic >/dev/null 2>&1 || skip "no generic kernel (guest-kernel generic failed)"

dir=$(mktemp -d /tmp/vt-xenag.XXXXXX)
cleanup() {
	"$H/stop-guest" "$dir" 2>/dev/null
	if [ "${keep:-0}" = 1 ] || [ -n "${VTUNE_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$dir/bin"
cp "$agent" "$dir/bin/vtune-agent"

# domU: the agent (transport chosen by itself), a busy loop so the vCPU always wants to run
# (steal shows only then), every new somaxconn value printed; when dom0 writes
# control/vtune/done, the agent's log goes to the console.
cat > "$dir/domu-test" <<'EOF'
#!/bin/sh
/bin/vtune-agent run --interval 1 --journal /var/lib/vtune/journal > /tmp/agent.log 2>&1 &
echo "DOMU_AGENT_PID=$! hypervisor=$(cat /sys/hypervisor/type 2>/dev/null)"
sleep 3
sed 's/^/AGENTLOG0 /' /tmp/agent.log
( while :; do :; done ) &
busy=$!
last='' i=0
while [ $i -lt 900 ] && ! xenstore-read control/vtune/done >/dev/null 2>&1; do
	v=$(cat /proc/sys/net/core/somaxconn)
	[ "$v" = "$last" ] || { echo "DOMU_SOMAXCONN=$v"; last=$v; }
	sleep 0.2; i=$((i + 1))
done
kill $busy
sed 's/^/AGENTLOG /' /tmp/agent.log
echo "AGENTLOG_END"
EOF

# dom0: load on the domU's pCPU, the host's side of the protocol, the keys printed as
# XA_* lines for the checks below (dom0 has no JSON parser); rc = failures seen here.
cat > "$dir/dom0-test" <<'EOF'
#!/bin/sh
bad=0
check() { if [ "$2" = 0 ]; then echo "XEN_CHECK ok $1"; else echo "XEN_CHECK FAIL $1"; bad=$((bad + 1)); fi; }
d=$(xl domid vtune-domu)
p=/local/domain/$d
echo "XA_DOMID $d"
echo "XA_KEYS $(xenstore-list $p | tr '\n' ' ')"
# the domU's vCPU and dom0's vCPU 0 on pCPU 0 (dom0's vCPU 1 on pCPU 1 keeps the test
# itself going), a busy loop on dom0's vCPU 0
xl vcpu-pin vtune-domu 0 0 && xl vcpu-pin 0 0 0 && xl vcpu-pin 0 1 1
check "vcpu-pin the domU and dom0 vCPU 0 to pCPU 0" $?
taskset -c 1 true 2>/dev/null && taskset -pc 1 $$ >/dev/null
taskset -c 0 sh -c 'while :; do :; done' & b1=$!
# the host's hello, as xen_send writes it: control/vtune dom0-owned, read-only to the domU
cs=0
send() {
	cs=$((cs + 1))
	xenstore-write $p/control/vtune/$1 "$2" && xenstore-chmod $p/control/vtune n0 r$d &&
		xenstore-chmod $p/control/vtune/$1 n0 r$d &&
		xenstore-write $p/control/vtune/seq $cs && xenstore-chmod $p/control/vtune/seq n0 r$d
}
send hello '{"v":1,"type":"hello","role":"host","version":"0.1.0","min_v":1,"max_v":1,"caps":["sysctl"]}'
check "host hello written" $?
i=0
end=$(( $(date +%s) + 45 ))
while ! xenstore-read $p/data/vtune/report >/dev/null 2>&1 && [ $(date +%s) -lt $end ]; do sleep 0.5; done
xenstore-read $p/data/vtune/report >/dev/null 2>&1; check "domU agent writes data/vtune/report" $?
if [ $bad != 0 ]; then
	echo "XA_LS $(xenstore-ls $p/data $p/control 2>&1 | tr '\n' ' ' | cut -c1-1500)"
	tr -d '\r' < /var/log/xen/console/guest-vtune-domu.log | grep -E 'DOMU_|AGENTLOG' | sed 's/^/domU| /'
	exit $bad
fi
echo "XA_HELLO $(xenstore-read $p/data/vtune/hello)"
# let steal build up over a few reports
s0=$(xenstore-read $p/data/vtune/seq)
i=0
end=$(( $(date +%s) + 20 ))
while [ $(( $(xenstore-read $p/data/vtune/seq) - s0 )) -lt 4 ] && [ $(date +%s) -lt $end ]; do sleep 0.5; done
echo "XA_SEQ $s0 $(xenstore-read $p/data/vtune/seq)"
echo "XA_REPORT $(xenstore-read $p/data/vtune/report)"
echo "XA_REPORTLEN $(xenstore-read $p/data/vtune/report | wc -c)"
kill $b1
xl vcpu-pin 0 all all; xl vcpu-pin vtune-domu 0 all
# apply, then revert; each waits for its ack
send apply '{"v":1,"type":"apply","id":7,"rule":"e2e-xen","changes":[{"kind":"sysctl","key":"net.core.somaxconn","value":"8192"}]}'
check "apply written" $?
i=0
end=$(( $(date +%s) + 20 ))
while ! xenstore-read $p/data/vtune/ack 2>/dev/null | grep -q '"id":7' && [ $(date +%s) -lt $end ]; do sleep 0.3; done
echo "XA_ACK7 $(xenstore-read $p/data/vtune/ack)"
log=/var/log/xen/console/guest-vtune-domu.log
i=0
end=$(( $(date +%s) + 15 ))
while ! grep -q DOMU_SOMAXCONN=8192 $log && [ $(date +%s) -lt $end ]; do sleep 0.3; done
send revert '{"v":1,"type":"revert","id":8,"rule":"e2e-xen","all":false}'
check "revert written" $?
i=0
end=$(( $(date +%s) + 20 ))
while ! xenstore-read $p/data/vtune/ack 2>/dev/null | grep -q '"id":8' && [ $(date +%s) -lt $end ]; do sleep 0.3; done
echo "XA_ACK8 $(xenstore-read $p/data/vtune/ack)"
# a host that joins parts (its hello names xs-report-parts): the report goes whole, in
# parts under xenstored's 2048-byte entry quota, data/vtune/report removed; read with seq
# the same before and after (one report's parts, not two)
send hello '{"v":1,"type":"hello","role":"host","version":"0.3.0","min_v":1,"max_v":1,"caps":["sysctl","xs-report-parts"]}'
check "host hello with xs-report-parts written" $?
end=$(( $(date +%s) + 20 ))
while ! xenstore-read $p/data/vtune/report-parts >/dev/null 2>&1 && [ $(date +%s) -lt $end ]; do sleep 0.3; done
for try in 1 2 3 4 5 6 7 8 9 10; do
	s1=$(xenstore-read $p/data/vtune/seq)
	np=$(xenstore-read $p/data/vtune/report-parts 2>/dev/null) || np=0
	rep='' lens='' i=0
	while [ $i -lt "$np" ]; do
		v=$(xenstore-read -R $p/data/vtune/report-$i); rep="$rep$v"; lens="$lens ${#v}"; i=$((i + 1))
	done
	[ "$(xenstore-read $p/data/vtune/seq)" = "$s1" ] && break
done
echo "XA_PARTS $np"
echo "XA_PARTLENS$lens"
echo "XA_SINGLE $(xenstore-read $p/data/vtune/report >/dev/null 2>&1 && echo yes || echo no)"
echo "XA_JOINED $rep"
# the domU cannot write the host's keys
echo "XA_PERMS $(xenstore-ls -p $p/control 2>/dev/null | tr '\n' ' ')"
sleep 1
xenstore-write $p/control/vtune/done 1 && xenstore-chmod $p/control/vtune/done n0 r$d
i=0
end=$(( $(date +%s) + 20 ))
while ! grep -q AGENTLOG_END $log && [ $(date +%s) -lt $end ]; do sleep 0.3; done
exit $bad
EOF

start=$(date +%s)
"$H/xen-boot" "$dir" --dom0-script "$dir/dom0-test" --domu-script "$dir/domu-test" \
	--domu-files "$dir/bin/vtune-agent" --timeout 225
rc=$?
tr -d '\r' < "$dir/console.log" > "$dir/console.txt"
grep -E '^(XEN_CHECK|XA_(DOMID|KEYS|SEQ|REPORTLEN|ACK|HELLO|PARTS|PARTLENS|SINGLE))' "$dir/console.txt"
grep -E 'domU\| (DOMU_|AGENTLOG)' "$dir/console.txt"
echo "timings: $(tr '\n' ' ' < "$dir/timings" 2>/dev/null) ($(( $(date +%s) - start ))s in all)"
[ $rc = 0 ] || { keep=1; fail "xen-boot rc=$rc (console: $dir/console.txt)"; }

python3 - "$dir/console.txt" <<'PY' || { keep=1; fail "checks on the keys dom0 read (console: $dir/console.txt)"; }
import json, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
def value(tag):
    for l in lines:
        if l.startswith(tag + " "):
            return l[len(tag) + 1:]
    return None
bad = 0
def check(name, ok, detail=""):
    global bad
    print(("ok   " if ok else "FAIL ") + name + (": " + detail if detail else ""))
    bad += not ok
rep = value("XA_REPORT")
try:
    r = json.loads(rep)
except Exception as e:
    r = None
check("report parses as JSON", r is not None, (rep or "(none)")[:200])
if r:
    m = r.get("sample", {}).get("metrics", {})
    steal = m.get("guest.cpu.steal")
    check("report type/seq", r.get("type") == "report" and isinstance(r.get("seq"), int))
    check("guest.cpu.steal > 0", isinstance(steal, (int, float)) and steal > 0, "steal %s%%" % steal)
    # xenstored refuses a domU node over 2048 bytes (its default entry-size quota): the
    # agent trims reports to 1920 bytes, down to interval_s, metrics and knobs if need be
    cpu = r["sample"].get("cpu", {})
    trunc = r["sample"].get("truncated") is True
    ncpu = len(cpu.get("per_cpu", [])) if "per_cpu" in cpu else None
    check("sample.cpu (the busiest guest CPU) present, or the report marked truncated",
          "per_cpu" in cpu or trunc,
          "per_cpu entries: %s, truncated: %s" % (ncpu, trunc))
    check("report within 1920 bytes", len(rep.encode()) <= 1920, "%d bytes" % len(rep.encode()))
    print("GUEST_STEAL %s%% (steal_max %s%%)" % (steal, m.get("guest.cpu.steal_max")))
h = value("XA_HELLO")
check("agent hello", h is not None and json.loads(h).get("role") == "agent", h or "")
def ack(tag, old, new):
    a = value(tag)
    try:
        a = json.loads(a)
        res = a["results"][0]
        ok = res.get("key") == "net.core.somaxconn" and res.get("old") == old and res.get("new") == new
    except Exception:
        ok = False
    check("%s %s -> %s" % (tag, old, new), ok, json.dumps(a)[:300])
ack("XA_ACK7", "4096", "8192")
ack("XA_ACK8", "8192", "4096")
# to a host whose hello names xs-report-parts: the whole report in parts
parts = value("XA_PARTS")
lens = [int(x) for x in (value("XA_PARTLENS") or "").split()]
check("report in 2..16 parts to a host that joins them", parts is not None and parts.isdigit()
      and 2 <= int(parts) <= 16 and len(lens) == int(parts), "parts %s, lengths %s" % (parts, lens))
check("each part within 1920 bytes", bool(lens) and max(lens) <= 1920, str(lens))
check("no data/vtune/report beside the parts", value("XA_SINGLE") == "no", str(value("XA_SINGLE")))
j = value("XA_JOINED")
try:
    jr = json.loads(j)
except Exception:
    jr = None
check("the parts joined parse as one report", jr is not None and jr.get("type") == "report",
      (j or "(none)")[:200])
if jr:
    check("the joined report is whole (no \"truncated\", the raw counters there)",
          "truncated" not in jr["sample"] and
          "guest.tcp.passive_opens_total" in jr["sample"].get("metrics", {}),
          "%d bytes" % len(j.encode()))
vals = [l.split("DOMU_SOMAXCONN=")[1] for l in lines if "DOMU_SOMAXCONN=" in l]
check("somaxconn in the domU went 4096 -> 8192 -> 4096", vals == ["4096", "8192", "4096"], str(vals))
check("agent picked xenstore by itself", any("Xen guest" in l and "xenstore" in l for l in lines))
sys.exit(1 if bad else 0)
PY
echo "PASS"
