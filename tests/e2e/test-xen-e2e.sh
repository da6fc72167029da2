#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-xen-e2e: vtune-hostd --backend xen in a real dom0 (tests/harness/xen-boot) and
# vtune-agent in two PV domUs, over xenstore through hostd's bridge: steal seen, dom0
# given the pCPU its busiest vCPU needs and both guests moved off it (one host-wide
# plan), both vifs' real netback kthreads measured and spread over dom0's vCPUs,
# bridge-nf off for xenbr0, two guest sysctls set in the first domU by its agent
# (protocol 2: one no report carries; reports whole, in xenstore parts hostd joins),
# then all reverted over the control socket
# (the guest's by record number, acked by the agent) and checked exact; hostd's dom0
# sizing (host.cpus, host.dom0.*) agrees with `xl info` and `xl list`.
# timeout: 180
set -u

B=${VTUNE_BUILD:-build}
S=${VTUNE_SRC:-$(pwd)}
H=$S/tests/harness
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
command -v python3 >/dev/null || skip "python3 not installed"
command -v cc >/dev/null || skip "no C compiler for the control-socket client"
make -C "$S" -s B="$B" "$B/vtune-hostd" "$B/vtune" "$B/backends/backend-xen.so" "$B/vtune-agent.static" \
	>/dev/null 2>&1 || fail "cannot build vtune-hostd, vtune, backend-xen.so and vtune-agent.static in $B"
"$H/xen-packages" >/dev/null 2>&1 || skip "Xen packages cannot be downloaded (xen-packages failed)"
"$H/guest-kernel" generic >/dev/null 2>&1 || skip "no generic kernel (guest-kernel generic failed)"

dir=$(mktemp -d /tmp/vt-xene2e.XXXXXX)
cleanup() {
	"$H/stop-guest" "$dir" 2>/dev/null
	if [ "${keep:-0}" = 1 ] || [ -n "${VTUNE_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$dir/d0" "$dir/du"
cp "$B/vtune-hostd" "$B/vtune" "$B/backends/backend-xen.so" "$dir/d0/"
cp "$S/tests/fixtures/policies/e2e-xen.yaml" "$dir/d0/"
cp "$B/vtune-agent.static" "$dir/du/vtune-agent"
# dom0 has no python or socat: a tiny client for hostd's control socket (one JSON line
# out, one back), as `vtune revert` only works on a journal hostd does not hold
cat > "$dir/vtctl.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[65536];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (argc != 3 || fd < 0)
		return 2;
	strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("vtctl: connect");
		return 1;
	}
	if (dprintf(fd, "%s\n", argv[2]) < 0)
		return 1;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		if (memchr(buf, '\n', (size_t)n))
			return 0;
	}
	return 1;
}
EOF
cc -O2 -o "$dir/d0/vtctl" "$dir/vtctl.c" || fail "cannot build the control-socket client"

# domU: the agent picks xenstore by itself; a niced busy loop keeps the vCPU runnable
# (steal shows only then); the agent's log goes to the console as it grows.
cat > "$dir/domu-test" <<'EOF'
#!/bin/sh
: > /tmp/agent.log
( /bin/vtune-agent run --interval 1 --journal /var/lib/vtune/journal >> /tmp/agent.log 2>&1
	echo "agent exited rc=$? uptime=$(cut -d' ' -f1 /proc/uptime)" >> /tmp/agent.log ) &
echo "DOMU_AGENT=$! hypervisor=$(cat /sys/hypervisor/type 2>/dev/null)"
echo "DOMU_ORIG $(cat /proc/sys/net/core/somaxconn) $(cat /proc/sys/net/ipv4/ip_local_port_range)"
( while :; do echo "DOMU_SYSCTL $(cat /proc/sys/net/core/somaxconn) $(cat /proc/sys/net/ipv4/ip_local_port_range)"
	sleep 1; done ) &
yes > /dev/null &
echo "DOMU_DEVXEN $(ls /dev/xen 2>&1 | tr '\n' ' ')"
# in the foreground for good: the domU stays up as long as this runs (after guest-test,
# guest-init.sh starts a console shell, and a busybox sh that died there has powered
# the domU off mid-test)
tail -f /tmp/agent.log | while read -r l; do echo "AGENTLOG $l"; done
EOF

# dom0: the checks print XE_CHECK lines; XE_* lines carry what the host side parses
cat > "$dir/dom0-test" <<'EOF'
#!/bin/sh
bad=0
C=/tmp/vtune.sock J=/var/lib/vtune/host-journal
check() { if [ "$2" = 0 ]; then echo "XE_CHECK ok $1"; else echo "XE_CHECK FAIL $1"; bad=$((bad + 1)); fi; }
now() { cut -d. -f1 /proc/uptime; }
# wait_for SECONDS CMD...: poll until CMD succeeds or the deadline passes
wait_for() { end=$(( $(now) + $1 )); shift; while ! "$@"; do [ $(now) -lt $end ] || return 1; sleep 1; done; }
status() { vtune status --json --control $C 2>/dev/null | tr -d '\n' | tr -s ' '; }
metric() { grep -o "\"$1\": *[-0-9.eE+]*" | head -n 1 | sed 's/.*: *//'; }
# what `xl info` and `xl list` say of the machine and dom0 (hostd's dom0 sizing)
xl info | sed 's/^/XE_XLINFO /'
xl list | sed 's/^/XE_XLLIST /'
# affinity of dom0's vCPU N (the last column of `xl vcpu-list`: hard / soft)
aff() { xl vcpu-list 0 | awk -v v=$1 '$2 == 0 && $3 == v { print $(NF-2) }'; }
brnf() { cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null; }
# the domU's console, as xenconsoled logs it: its sysctls every second
dcon() { tr -d '\r' < /var/log/xen/console/guest-vtune-domu.log 2>/dev/null | tr '\t' ' '; }
domu_last() { dcon | grep '^DOMU_SYSCTL' | tail -n 1 | cut -d' ' -f2-; }
d=$(xl domid vtune-domu)
echo "XE_DOMID $d uptime=$(now)"
d2=$(xl domid vtune-domu2)
echo "XE_DOMID2 $d2"
# affinity of domain D's vCPU N (the last columns of `xl vcpu-list`: hard / soft)
gaff() { xl vcpu-list "$1" | awk -v v=$2 '$3 == v { print $(NF-2) }'; }
# the netback kthreads of both vifs: "pid comm affinity" lines
nb() { for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null) || continue
	case $c in vif*-q*) echo "${p#/proc/} $c $(taskset -p ${p#/proc/} 2>/dev/null | sed 's/.*: //')";; esac; done; }
xl vcpu-pin vtune-domu 0 0 && xl vcpu-pin vtune-domu2 0 1 && xl vcpu-pin 0 0 0 && xl vcpu-pin 0 1 1
check "vcpu-pin: domU 1 and dom0's vCPU 0 on pCPU 0, domU 2 and dom0's vCPU 1 on pCPU 1" $?
xl vcpu-list | sed 's/^/XE_VCPU_BEFORE /'
a0=$(aff 0) a1=$(aff 1) nf0=$(brnf) g10=$(gaff vtune-domu 0) g20=$(gaff vtune-domu2 0)
nb > /tmp/nb0
echo "XE_BEFORE aff0=$a0 aff1=$a1 domu=$g10 domu2=$g20 bridge-nf-call-iptables=$nf0"
sed 's/^/XE_NETBACK_BEFORE /' /tmp/nb0
[ "$a0" = 0 ] && [ "$nf0" = 1 ] && [ "$(wc -l < /tmp/nb0)" -ge 2 ]
check "dom0 vCPU 0 on pCPU 0, bridge-nf on and both vifs' netback threads there before hostd" $?
# real captures of the netback threads for the unit tests' fixtures
for l in $(cut -d' ' -f1 /tmp/nb0); do for f in comm stat schedstat status; do
	echo "XE_PROCFILE proc/$l/$f $(tr '\n' '\001' < /proc/$l/$f)"; done; done
# dom0 busy on its vCPU 0 only: one hot vCPU, a mean of about half
taskset -c 0 yes > /dev/null & b0=$!
echo "XE_HOSTD_START uptime=$(now)"
# the Xen backend is a module (backend/backend_mod.h): dom0's /bin has it
export VTUNE_BACKEND_DIR=/bin
vtune-hostd --backend xen --policy /bin/e2e-xen.yaml --journal $J --control $C \
	--interval 1 --metrics off -v > /tmp/hostd.log 2>&1 &
hp=$!
# the status that showed steal is kept: steal comes and goes from one report to the next
steal_pos() {
	st=$(status); s=$(echo "$st" | metric guest.cpu.steal)
	[ -n "$s" ] && awk -v s="$s" 'BEGIN { exit !(s > 0) }' && echo "$st" > /tmp/status1
}
diag() {
	xenstore-ls /local/domain/$d/data /local/domain/$d/control 2>&1 | cut -c1-300 | sed 's/^/XE_XS /'
	sed 's/^/XE_HOSTD /' /tmp/hostd.log | tail -n 40
	tr -d '\r' < /var/log/xen/console/guest-vtune-domu.log | grep -E 'DOMU_|AGENTLOG' | tail -n 30 | sed 's/^/domU| /'
}
if ! wait_for 90 steal_pos; then
	check "the agent's report reaches hostd over xenstore with guest.cpu.steal > 0" 1
	echo "XE_STATUS1 $(status)"; diag; kill $b0 $hp; exit 1
fi
check "the agent's report reaches hostd over xenstore with guest.cpu.steal > 0" 0
echo "XE_STEAL_SEEN uptime=$(now) steal=$s"
# hostd's hello names xs-report-parts: the agent writes its report (~5 KB) whole, in
# parts of at most 1920 bytes (xenstored's entry quota), and no data/vtune/report
x=/local/domain/$d/data/vtune
np=$(xenstore-read $x/report-parts 2>/dev/null) rep='' i=0 lens=''
while [ $i -lt "${np:-0}" ]; do
	v=$(xenstore-read -R $x/report-$i); rep="$rep$v"; lens="$lens ${#v}"; i=$((i + 1))
done
echo "XE_REPORT_PARTS parts=${np:-none} lengths=$lens bytes=${#rep} single=$(xenstore-read $x/report >/dev/null 2>&1 && echo yes || echo no)"
[ "${np:-0}" -ge 2 ] && ! xenstore-read $x/report >/dev/null 2>&1 && ! echo "$rep" | grep -q '"truncated"'
check "the domU's report over xenstore in ${np:-no} parts, whole (no \"truncated\")" $?
echo "XE_STATUS1 $(cat /tmp/status1)"
# dom0's busiest vCPU decides which pCPU it gets (its load is measured with
# the guests' under TCG: either pCPU may win); whichever: both dom0 vCPUs on
# it alone, both guests on the other
pinned() { p=$(aff 0); o=$((1 - p)); [ "$p" = 0 -o "$p" = 1 ] && [ "$(aff 1)" = "$p" ] &&
	[ "$(gaff vtune-domu 0)" = "$o" ] && [ "$(gaff vtune-domu2 0)" = "$o" ]; }
if ! wait_for 60 pinned; then
	check "steal-host-busy gave dom0 one pCPU of its own and moved both guests to the other (xl vcpu-list)" 1
	echo "XE_STATUS2 $(status)"; xl vcpu-list | sed 's/^/XE_VCPU_FAIL /'; diag; kill $b0 $hp; exit 1
fi
check "steal-host-busy gave dom0 pCPU $(aff 0) of its own and moved both guests to pCPU $((1 - $(aff 0))) (xl vcpu-list)" 0
echo "XE_PINNED uptime=$(now)"
xl vcpu-list | sed 's/^/XE_VCPU_PINNED /'
# each netback thread on one dom0 vCPU, both vCPUs used
placed() { nb > /tmp/nb1; [ "$(awk '$3 == "1" || $3 == "2"' /tmp/nb1 | wc -l)" = "$(wc -l < /tmp/nb1)" ] &&
	grep -q ' 1$' /tmp/nb1 && grep -q ' 2$' /tmp/nb1; }
wait_for 30 placed; check "e2e-net-threads placed the netback threads: each on one dom0 vCPU, both used" $?
sed 's/^/XE_NETBACK_PLACED /' /tmp/nb1
echo "XE_NETTHREAD $(status | grep -o '"host.netthread.[a-z]*": *[-0-9.eE+]*' | tr '\n' ' ')"
nf_off() { [ "$(brnf)" = 0 ]; }
wait_for 30 nf_off; check "bridge-nf-call-iptables 0 in dom0" $?
orig=$(dcon | grep '^DOMU_ORIG' | head -n 1 | cut -d' ' -f2-)
echo "XE_DOMU_ORIG $orig"
domu_set() { [ "$(domu_last)" = "8192 10000 60999" ]; }
wait_for 30 domu_set; check "the domU's agent set somaxconn 8192 and the port range 10000 60999 (hostd over xenstore)" $?
guest_applied() { [ "$(grep '"op":"applied"' $J | grep -c '"domain":"vtune-domu"')" = 2 ]; }
wait_for 10 guest_applied; check "hostd's journal: both guest records applied with the agent's values" $?
echo "XE_STATUS2 $(status)"
sed 's/^/XE_JOURNAL /' $J
kill $b0
vtune revert --all --journal $J > /tmp/cli-revert.out 2>&1
echo "XE_CLI_REVERT rc=$? $(tr '\n' ' ' < /tmp/cli-revert.out)"
echo "XE_REVERT $(vtctl $C '{"cmd":"revert","all":true}')"
restored() { [ "$(aff 0)" = "$a0" ] && [ "$(aff 1)" = "$a1" ] && [ "$(brnf)" = "$nf0" ] &&
	[ "$(gaff vtune-domu 0)" = "$g10" ] && [ "$(gaff vtune-domu2 0)" = "$g20" ] && nb | cmp -s - /tmp/nb0; }
wait_for 20 restored; check "revert through hostd: dom0 $a0/$a1, guests $g10/$g20, netback threads and bridge-nf $nf0 exactly as before" $?
nb | sed 's/^/XE_NETBACK_AFTER /'
domu_back() { [ "$(domu_last)" = "$orig" ]; }
wait_for 20 domu_back; check "revert through hostd: the domU's sysctls back to $orig" $?
guest_reverted() { [ "$(grep '"op":"reverted"' $J | grep -c '"domain":"vtune-domu"')" = 2 ]; }
wait_for 10 guest_reverted; check "hostd's journal: both guest records reverted on the agent's ack" $?
echo "XE_DOMU_AFTER $(domu_last)"
xl vcpu-list | sed 's/^/XE_VCPU_AFTER /'
echo "XE_AFTER aff0=$(aff 0) aff1=$(aff 1) domu=$(gaff vtune-domu 0) domu2=$(gaff vtune-domu2 0) bridge-nf-call-iptables=$(brnf)"
sed 's/^/XE_JOURNAL_AFTER /' $J
kill $hp; sleep 1
sed 's/^/XE_HOSTD /' /tmp/hostd.log | grep -v 'debug' | tail -n 60
grep -c 'debug' /tmp/hostd.log | sed 's/^/XE_HOSTD_DEBUG_LINES /'
exit $bad
EOF

start=$(date +%s)
"$H/xen-boot" "$dir" --dom0-script "$dir/dom0-test" --domu-script "$dir/domu-test" \
	--dom0-files "$dir/d0/vtune-hostd $dir/d0/vtune $dir/d0/backend-xen.so $dir/d0/vtctl $dir/d0/e2e-xen.yaml" \
	--domu-files "$dir/du/vtune-agent" --domus 2 --timeout 170
rc=$?
tr -d '\r' < "$dir/console.log" > "$dir/console.txt"
grep -E '^XE_(CHECK|DOMID|BEFORE|AFTER|DOMU_|STEAL_SEEN|REPORT_PARTS|PINNED|HOSTD_START|CLI_REVERT|JOURNAL|VCPU|NETBACK|NETTHREAD|HOSTD |XS )' "$dir/console.txt"
grep '^XE_PROCFILE ' "$dir/console.txt" > "$dir/procfiles.txt"
grep -E 'domU\| (DOMU_|AGENTLOG)' "$dir/console.txt" | head -n 30
echo "timings: $(tr '\n' ' ' < "$dir/timings" 2>/dev/null) ($(( $(date +%s) - start ))s in all)"
[ $rc = 0 ] || { keep=1; fail "xen-boot rc=$rc (console: $dir/console.txt)"; }

python3 - "$dir/console.txt" <<'PY' || { keep=1; fail "checks on hostd's status (console: $dir/console.txt)"; }
import json, re, sys
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
# the kernels' "comm[pid]: segfault at" lines, in dom0 and the domU
died = [l for l in lines if re.search(r"\]: segfault at|general protection", l)]
for l in died:
    print("died: " + l)
check("no vtune process died", not any(re.search(r"vtune[-a-z]*\[\d+\]:", l) for l in died))
check("the agent ran throughout", not any("agent exited" in l for l in lines))
# dom0 sizing: hostd's host.cpus and host.dom0.* as `xl info` / `xl list` tell them
xl = {}
for l in lines:
    m = re.match(r"XE_XLINFO (\w+)\s*: (.*)$", l)
    if m:
        xl[m.group(1)] = m.group(2).strip()
d0 = [l.split() for l in lines if l.startswith("XE_XLLIST Domain-0 ")]
for tag in ("XE_STATUS1", "XE_STATUS2"):
    try:
        st = json.loads(value(tag))
    except Exception:
        st = None
    check(tag + " parses", st is not None, (value(tag) or "(none)")[:200])
    if not st:
        continue
    g = [x for x in st.get("guests", []) if x.get("name") == "vtune-domu"]
    check(tag + ": hostd follows vtune-domu with its agent", bool(g) and g[0].get("agent") is True,
          json.dumps(g)[:300])
    if not g:
        continue
    gm, hm = g[0].get("guest_metrics") or {}, g[0].get("host_metrics") or {}
    # dom0's sizing from the later status: the first one may come before
    # hostd's first host view (its guest's first report only)
    if tag == "XE_STATUS2" and xl and d0:
        check("host.cpus is xl info's nr_cpus", hm.get("host.cpus") == float(xl.get("nr_cpus", -1)),
              "%s vs %s" % (hm.get("host.cpus"), xl.get("nr_cpus")))
        check("host.dom0.vcpus is xl list's", hm.get("host.dom0.vcpus") == float(d0[0][4]),
              "%s vs %s" % (hm.get("host.dom0.vcpus"), d0[0][4]))
        check("host.dom0.mem_fixed from dom0_mem= on the Xen command line",
              hm.get("host.dom0.mem_fixed") == ("dom0_mem=" in xl.get("xen_commandline", "")),
              "%s, %s" % (hm.get("host.dom0.mem_fixed"), xl.get("xen_commandline")))
        check("host.dom0.vcpus_advised within [dom0's, half the CPUs or dom0's]",
              hm.get("host.dom0.vcpus_advised", 0) >= hm.get("host.dom0.vcpus", 1e9))
    steal = gm.get("guest.cpu.steal")
    # after the pinning the domU has pCPU 0 to itself: its steal may well be gone by then
    if tag == "XE_STATUS1":
        check(tag + ": guest.cpu.steal > 0", isinstance(steal, (int, float)) and steal > 0, str(steal))
        # the raw counters are the first metrics a trimmed report loses: hostd
        # has them, so it joined the report's parts whole
        check(tag + ": hostd read the whole report (guest.tcp.passive_opens_total there)",
              "guest.tcp.passive_opens_total" in gm, "%d guest metrics" % len(gm))
        check(tag + ": no invalid message from the guest", g[0].get("invalid") == 0,
              str(g[0].get("invalid")))
    else:
        check(tag + ": guest.cpu.steal reported", isinstance(steal, (int, float)), str(steal))
    print("%s guest-reported: steal %s%% steal_max %s%% busy %s%%; dom0 view: %s; reports %s, "
          "invalid %s, active rules %s" % (tag, steal, gm.get("guest.cpu.steal_max"),
          gm.get("guest.cpu.busy"), json.dumps({k: v for k, v in hm.items()}),
          g[0].get("reports"), g[0].get("invalid"), g[0].get("active_rules")))
rv = value("XE_REVERT")
try:
    r = json.loads(rv)
except Exception:
    r = None
check("revert reply ok", bool(r) and r.get("ok") is True, (rv or "(none)")[:300])
for l in (r or {}).get("lines", []):
    print("revert: " + l)
# the journal before the revert, or after it (which holds the same records and more)
j = [l for l in lines if l.startswith(("XE_JOURNAL ", "XE_JOURNAL_AFTER "))]
check("journal has the xen-vcpupin, task_affinity and bridge-nf records",
      any("xen-vcpupin" in l for l in j) and any("task_affinity" in l for l in j) and
      any("bridge-nf-call-iptables" in l for l in j))
sys.exit(1 if bad else 0)
PY
echo "PASS"
