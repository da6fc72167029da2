#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# test-kvm-restarts: everything reconnects by itself. A private libvirtd
# (kvm-e2e-lib.sh) runs one type='qemu' (TCG) guest with the static
# vtune-agent on the org.vtune.agent.0 channel; vtune-hostd --backend kvm runs
# in the same namespaces with a policy whose rule never fires. Once `vtune
# status --json` shows the guest connected with reports and host metrics:
#   1. libvirtd restarted (stopped, started again in the same namespaces; the
#      guest's QEMU keeps running): hostd logs the lost connection and
#      reconnects by itself; the guest stays listed and connected, reports keep
#      arriving, and host.vcpu.delay (libvirt's domain stats) comes back;
#   2. the guest rebooted (virsh destroy + virsh start): hostd sees it go and
#      come back, connects to the new channel, reports start again (the
#      report count restarts) with host metrics;
#   3. hostd restarted (SIGTERM, started again) with the guest running: it
#      finds the guest, reports and host metrics resume.
# Prints the time of each phase and the time to reconnect for each restart.
# Everything started is stopped in a trap. Skips (77) without qemu, libvirtd,
# root.
set -u
S=${VTUNE_SRC:-$(pwd)}
B=${VTUNE_BUILD:-$S/build}
H=$S/tests/harness
. "$S/tests/e2e/kvm-e2e-lib.sh"

T=test-kvm-restarts
skip() { echo "SKIP: $T: $*"; exit 77; }

for c in qemu-system-x86_64 libvirtd virsh unshare nsenter ip python3; do
	command -v $c >/dev/null 2>&1 || skip "$c missing"
done
[ "$(id -u)" = 0 ] || skip "needs root"
for f in vtune-hostd vtune; do [ -x "$B/$f" ] || skip "$B/$f not built"; done
agent=$B/vtune-agent.static
if [ ! -x "$agent" ]; then
	make -C "$S" -s B="$B" "$B/vtune-agent.static" >/dev/null 2>&1 || skip "cannot build $agent"
fi
KDIR=$("$H/guest-kernel" cloud 2>/dev/null) || skip "no guest kernel (guest-kernel cloud failed)"
KERNEL=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$KERNEL" ] || skip "no vmlinuz in $KDIR"

DOM=vtune-rst-$$          # unique: libvirt's cgroup names carry it
HPID=
W=

diag() {
	[ -n "$W" ] && [ -d "$W" ] || return 0
	echo "--- vtune status"; "$B/vtune" status --control "$W/ctl.sock" 2>&1
	echo "--- hostd log (tail)"; tail -n 40 "$W/hostd.log" 2>/dev/null
	echo "--- guest console (tail)"; tr -d '\r' < "$W/guest/console.log" 2>/dev/null | tail -n 20
	echo "--- qemu log (tail)"; tail -n 15 "$W/log/qemu/$DOM.log" 2>/dev/null
	echo "--- libvirtd log (tail)"; tail -n 15 "$W/log/libvirtd.log" 2>/dev/null
}
fail() { echo "FAIL: $T: $*"; diag; exit 1; }
cleanup() {
	ke_phase cleanup
	ke_cleanup
	ke_phase end
}
trap cleanup EXIT
trap 'echo "$T: interrupted"; exit 1' INT TERM HUP

# ---- phase: guest image, policy ----
ke_phase prepare
ke_init vt-kvmrst || fail "mktemp"
W=$KE_W
mkdir -p "$W/guest"
POLICY=$W/policy.yaml
cat > "$POLICY" <<'EOF'
# TEST ONLY: a rule that never fires (this test changes nothing)
version: 1
rules:
  - name: restarts-never
    description: never true
    when: guest.tcp.listen_overflows > 1000000000/s
    for: 1h
    guest:
      - sysctl: net.core.somaxconn
        set: 8192
EOF
"$B/vtune-hostd" -n --backend kvm --policy "$POLICY" >/dev/null 2>&1 ||
	skip "vtune-hostd has no kvm backend or refuses $POLICY"
cat > "$W/guest-test" <<'EOF'
#!/bin/sh
# the guest side of test-kvm-restarts (busybox sh): the agent, and nothing else
echo "GUEST_BOOT $(cat /proc/sys/kernel/random/boot_id)"
/bin/vtune-agent run --interval 1 --journal /tmp/j 2>&1 |
	while IFS= read -r l; do echo "GUEST_AGENT: $l"; done
echo "GUEST_AGENT_EXITED"
while :; do sleep 3600; done
EOF
chmod 755 "$W/guest-test"
cp "$agent" "$W/vtune-agent"
"$H/mkinitramfs" "$W/initramfs.gz" "$H/guest-init.sh" "$W/guest-test" "$W/vtune-agent" \
	>"$W/mkinitramfs.log" 2>&1 || { cat "$W/mkinitramfs.log"; fail "mkinitramfs"; }

cat > "$W/guest.xml" <<X
<domain type='qemu'>
  <name>$DOM</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$KERNEL</kernel>
    <initrd>$W/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <serial type='file'><source path='$W/guest/console.log' append='on'/><target port='0'/></serial>
    <channel type='unix'>
      <source mode='bind' path='$W/guest/agent.sock'/>
      <target type='virtio' name='org.vtune.agent.0'/>
    </channel>
    <memballoon model='none'/>
  </devices>
</domain>
X

# ---- phase: libvirtd ----
ke_phase libvirtd
ke_libvirt_start || fail "private libvirtd did not start"

# ---- phase: guest ----
ke_phase guest-boot
ke_virsh define "$W/guest.xml" >/dev/null || fail "virsh define"
KE_DOMS=$DOM
ke_virsh start "$DOM" >/dev/null || fail "virsh start"
con() { tr -d '\r' < "$W/guest/console.log" 2>/dev/null; }
boots() { con | grep -c '^GUEST_BOOT '; }
booted() { [ "$(boots)" -ge "$1" ]; }
ke_wait_until 120 "guest boots (console GUEST_BOOT)" booted 1 || fail "guest did not come up"
QPID=$(cat "$W/run/qemu/$DOM.pid" 2>/dev/null)
ke_alive "$QPID" || fail "no QEMU pid"

# ---- phase: hostd finds the guest ----
ke_phase hostd-connect
CTL=$W/ctl.sock J=$W/journal
start_hostd() {
	# nsenter execs hostd (no fork for mount/net namespaces): $! is hostd
	# (not through ke_in_ns: $! would be the subshell running the function)
	nsenter --mount="/proc/$KE_LPID/ns/mnt" --net="/run/netns/$KE_NS" "$B/vtune-hostd" --backend kvm --uri qemu:///system --policy "$POLICY" \
		--journal "$J" --control "$CTL" --interval 1 -v >>"$W/hostd.log" 2>&1 &
	HPID=$!
	KE_PIDS=$HPID
}
start_hostd
status_json() { "$B/vtune" status --json --control "$CTL" 2>/dev/null; }
# gstat KEY: one field of the guest in `vtune status --json` ("" when absent)
gstat() {
	status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
g = [x for x in d["guests"] if x["name"] == sys.argv[1]]
if not g: sys.exit(0)
g = g[0]
print(g[sys.argv[2]])
' "$DOM" "$1" 2>/dev/null
}
# guest_ok MIN_REPORTS: listed, connected, hello seen, at least MIN_REPORTS
# reports, none bad, and host.vcpu.delay in its host metrics
guest_ok() {
	ke_alive "$HPID" || fail "vtune-hostd exited"
	status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
g = [x for x in d["guests"] if x["name"] == sys.argv[1]]
assert g, "no guest"
g = g[0]
assert g["connected"] and g["agent"] and g["protocol"] == 2, "channel"
assert g["reports"] >= int(sys.argv[2]) and g["bad_reports"] == 0, "reports"
assert g["report_age_s"] is not None and g["report_age_s"] < 3, "report age"
assert "host.vcpu.delay" in (g["host_metrics"] or {}), "host view"
' "$DOM" "$1" 2>/dev/null
}
ke_wait_until 60 "vtune status: guest connected, reports, host.vcpu.delay" guest_ok 2 ||
	fail "hostd does not see the guest's agent"
grep -q "guest $DOM: found (channel $W/guest/agent.sock)" "$W/hostd.log" ||
	fail "hostd did not log the guest's channel"
"$B/vtune" status --control "$CTL" | sed -n "/^$DOM /p"

# elapsed T0: seconds since T0 (ke_now)
elapsed() { awk -v a="$1" -v b="$(ke_now)" 'BEGIN { printf "%.1f", b - a }'; }
RESULTS=

# ---- phase 1: libvirtd restarted ----
ke_phase libvirtd-restart
R0=$(gstat reports)
D0=$(gstat disconnects)
loglines=$(wc -l < "$W/hostd.log")
t0=$(ke_now)
ke_libvirt_restart || fail "libvirtd did not start again"
t_up=$(elapsed "$t0")
ke_alive "$QPID" || fail "the guest's QEMU died with libvirtd"
ke_virsh domstate "$DOM" | grep -q running || fail "libvirt lost the guest: $(ke_virsh domstate "$DOM")"
newlog() { tail -n +"$((loglines + 1))" "$W/hostd.log"; }
reconnected() { newlog | grep -q 'kvm: reconnected to'; }
ke_wait_until 30 "hostd logs its reconnection to libvirt" reconnected ||
	fail "hostd did not reconnect to the restarted libvirtd"
t_rc=$(elapsed "$t0")
newlog | grep -q 'kvm: connection to libvirt lost' || fail "hostd did not notice libvirtd going"
# host.vcpu.delay comes from libvirt's domain stats, through the new
# connection: the host view is rebuilt every interval, without a working
# connection it has no delay
delay_fresh() { guest_ok $((R0 + 3)); }
ke_wait_until 30 "reports continue, host.vcpu.delay again" delay_fresh ||
	fail "no reports / host.vcpu.delay after the libvirtd restart"
t_ok=$(elapsed "$t0")
[ "$(gstat disconnects)" = "$D0" ] || fail "the guest's channel was dropped by the libvirtd restart"
newlog | grep -q "guest $DOM: gone" && fail "hostd dropped the guest during the libvirtd restart"
echo "libvirtd restart: libvirtd answering after ${t_up}s, hostd reconnected after ${t_rc}s, host view back after ${t_ok}s"
RESULTS="$RESULTS
RECONNECT libvirtd-restart: hostd reconnected ${t_rc}s after the stop (libvirtd up after ${t_up}s), reports + host.vcpu.delay at ${t_ok}s"

# ---- phase 2: the guest rebooted ----
ke_phase guest-reboot
loglines=$(wc -l < "$W/hostd.log")
R0=$(gstat reports)
t0=$(ke_now)
ke_virsh destroy "$DOM" >/dev/null || fail "virsh destroy"
# by `vtune status`: hostd's log limits identical lines to one a minute
listed() { [ -n "$(gstat name)" ]; }
gone() { ke_alive "$HPID" && ! listed; }
ke_wait_until 15 "hostd sees the guest go" gone || fail "hostd did not see the guest stop"
t_gone=$(elapsed "$t0")
ke_virsh start "$DOM" >/dev/null || fail "virsh start (again)"
t_start=$(elapsed "$t0")
ke_wait_until 15 "hostd finds the guest again" listed || fail "hostd did not see the guest start"
t_found=$(elapsed "$t0")
ke_wait_until 120 "guest boots again" booted 2 || fail "the guest did not boot again"
QPID=$(cat "$W/run/qemu/$DOM.pid" 2>/dev/null)
t_boot=$(elapsed "$t0")
restarted() {
	_r=$(gstat reports)
	[ -n "$_r" ] && [ "$_r" -lt "$R0" ] && guest_ok 2
}
ke_wait_until 60 "guest connected again, reports from the new boot" restarted ||
	fail "no reports after the guest's reboot"
t_ok=$(elapsed "$t0")
echo "guest reboot: gone after ${t_gone}s, found after ${t_found}s, booted after ${t_boot}s, reports after ${t_ok}s ($(gstat reports) reports, was $R0)"
RESULTS="$RESULTS
RECONNECT guest-reboot: gone ${t_gone}s, found again ${t_found}s (virsh start returned ${t_start}s), reports ${t_ok}s; $(awk -v a="$t_ok" -v b="$t_boot" 'BEGIN { printf "%.1f", a - b }')s after the guest's boot marker"

# ---- phase 3: hostd restarted ----
ke_phase hostd-restart
t0=$(ke_now)
kill -TERM "$HPID"
hostd_gone() { ! ke_alive "$HPID"; }
ke_wait_until 15 "hostd exit" hostd_gone || fail "hostd did not stop on SIGTERM"
wait "$HPID"; rc=$?
[ "$rc" = 0 ] || fail "hostd exited $rc on SIGTERM"
[ -e "$CTL" ] && fail "control socket left behind"
t_stop=$(elapsed "$t0")
loglines=$(wc -l < "$W/hostd.log")
t1=$(ke_now)
start_hostd
ke_wait_until 60 "the new hostd: guest connected, reports, host.vcpu.delay" guest_ok 2 ||
	fail "the restarted hostd does not see the guest's agent"
t_ok=$(elapsed "$t1")
newlog | grep -q "guest $DOM: found (channel $W/guest/agent.sock)" ||
	fail "the new hostd did not log the guest"
echo "hostd restart: stopped in ${t_stop}s, guest reporting ${t_ok}s after the new start"
RESULTS="$RESULTS
RECONNECT hostd-restart: old hostd stopped in ${t_stop}s, the new one has reports + host.vcpu.delay after ${t_ok}s"

# ---- phase: checks on the whole run, hostd stops ----
ke_phase hostd-stop
kill -TERM "$HPID"
ke_wait_until 15 "hostd exit" hostd_gone || fail "hostd did not stop on SIGTERM"
wait "$HPID"; rc=$?
KE_PIDS=
[ "$rc" = 0 ] || fail "hostd exited $rc on SIGTERM"
grep -Eq 'AddressSanitizer|runtime error|: error: ' "$W/hostd.log" && fail "errors in the hostd log"
grep -q '"op":"set"' "$J" 2>/dev/null && fail "something was changed: $(cat "$J")"

# ---- cleanup, checked ----
ns=$KE_NS lpid=$KE_LPID w=$KE_W
ke_phase cleanup
ke_cleanup
ke_phase end
trap - EXIT
echo "$RESULTS" | sed '/^$/d'
[ ! -e "/run/netns/$ns" ] || { echo "FAIL: $T: netns $ns left behind"; exit 1; }
! ke_alive "$lpid" || { echo "FAIL: $T: libvirtd $lpid still running"; exit 1; }
! ke_alive "$QPID" || { echo "FAIL: $T: QEMU $QPID still running"; exit 1; }
[ -n "${VTUNE_KEEP:-}" ] || [ ! -e "$w" ] || { echo "FAIL: $T: $w left behind"; exit 1; }
echo "PASS: $T: libvirtd restart, guest reboot, hostd restart: hostd reconnected by itself each time"
exit 0
