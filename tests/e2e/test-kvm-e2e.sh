#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# test-kvm-e2e: the host daemon and the KVM side, end to end. A private
# libvirtd (own netns with a bridge br0, own mount namespace for its state:
# kvm-e2e-lib.sh) runs a type='qemu' (TCG) guest: Debian cloud kernel, an
# initramfs with the static vtune-agent on the org.vtune.agent.0 channel, a
# tap on br0, and a guest test that overflows an accept queue (a listener
# with backlog 1 that is stopped, so it never accepts, and a connect loop)
# until somaxconn changes, printing `sysctl net.core.somaxconn`, the port
# range and the RPS masks and flow counts of its virtio-net NIC (3 queue
# pairs on a multiqueue tap) every second.
# vtune-hostd --backend kvm --uri qemu:///system runs in the same namespaces
# with tests/fixtures/policies/e2e-kvm.yaml. Checks:
#   - hostd finds the guest and its channel: `vtune status` shows the agent
#     up, reports arriving, guest.cpus == 2;
#   - the listen-overflow rule fires and, through protocol 2, changes in the
#     guest (console) a catalogue sysctl (somaxconn), one no report carries
#     (ip_local_port_range) and RPS on all 3 rx queues; the journal has each
#     guest record set + applied with the values the agent found and left;
#   - the pin rule pins: `virsh vcpupin` / `virsh emulatorpin` change, the
#     journal has the kvm-vcpupin / kvm-emulatorpin records;
#   - `vtune revert --all --journal J` finds the journal held by hostd and
#     hands the revert to it (only it can reach the guest): the agent undoes
#     its own records; somaxconn, the port range and every RPS mask and flow
#     count are back in the guest (console), and the original affinities;
#   - SIGTERM stops hostd cleanly. Everything started is stopped in a trap.
# Prints the time of each phase. Skips (77) without qemu, libvirtd, root.
set -u
S=${VTUNE_SRC:-$(pwd)}
B=${VTUNE_BUILD:-$S/build}
H=$S/tests/harness
POLICY=$S/tests/fixtures/policies/e2e-kvm.yaml
. "$S/tests/e2e/kvm-e2e-lib.sh"

skip() { echo "SKIP: test-kvm-e2e: $*"; exit 77; }

for c in qemu-system-x86_64 libvirtd virsh unshare nsenter ip python3; do
	command -v $c >/dev/null 2>&1 || skip "$c missing"
done
[ "$(id -u)" = 0 ] || skip "needs root"
for f in vtune-hostd vtune; do [ -x "$B/$f" ] || skip "$B/$f not built"; done
agent=$B/vtune-agent.static
if [ ! -x "$agent" ]; then
	make -C "$S" -s B="$B" "$B/vtune-agent.static" >/dev/null 2>&1 || skip "cannot build $agent"
fi
"$B/vtune-hostd" -n --backend kvm --policy "$POLICY" >/dev/null 2>&1 ||
	skip "vtune-hostd has no kvm backend or refuses $POLICY"
KDIR=$("$H/guest-kernel" cloud 2>/dev/null) || skip "no guest kernel (guest-kernel cloud failed)"
KERNEL=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$KERNEL" ] || skip "no vmlinuz in $KDIR"

DOM=vtune-e2e-$$          # unique: libvirt's cgroup names carry it
HPID=
W=

diag() {
	[ -n "$W" ] && [ -d "$W" ] || return 0
	echo "--- hostd log (tail)"; tail -n 40 "$W/hostd.log" 2>/dev/null
	echo "--- journal"; tail -n 20 "$W/journal" 2>/dev/null
	echo "--- guest console (tail)"; tr -d '\r' < "$W/guest/console.log" 2>/dev/null | tail -n 40
	echo "--- qemu log (tail)"; tail -n 15 "$W/log/qemu/$DOM.log" 2>/dev/null
	echo "--- libvirtd log (tail)"; tail -n 15 "$W/log/libvirtd.log" 2>/dev/null
}
fail() { echo "FAIL: test-kvm-e2e: $*"; diag; exit 1; }
cleanup() {
	ke_phase cleanup
	ke_cleanup
	ke_phase end
}
trap cleanup EXIT
trap 'echo "test-kvm-e2e: interrupted"; exit 1' INT TERM HUP

# ---- phase: guest image ----
ke_phase prepare
ke_init vt-kvme2e || fail "mktemp"
W=$KE_W
mkdir -p "$W/guest"
cat > "$W/guest-test" <<'EOF'
#!/bin/sh
# the guest side of test-kvm-e2e (busybox sh; applets by name)
rps() { for q in /sys/class/net/eth0/queues/rx-*; do printf '%s:%s/%s ' "${q##*/}" \
	"$(cat $q/rps_cpus)" "$(cat $q/rps_flow_cnt)"; done; }
( while :; do echo "GUEST_SYSCTL $(sysctl net.core.somaxconn)"
	echo "GUEST_PORTS $(cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' ' ')"
	echo "GUEST_RPS $(rps)"; sleep 1; done ) &
( /bin/vtune-agent run --interval 1 --journal /tmp/j 2>&1 |
	while IFS= read -r l; do echo "GUEST_AGENT: $l"; done ) &
orig=$(cat /proc/sys/net/core/somaxconn)
echo "GUEST_ORIG_SOMAXCONN=$orig"
echo "GUEST_ORIG_PORTS=$(cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' ' ')"
echo "GUEST_ORIG_RPS=$(rps)"
# A listener with backlog 1 (busybox nc, on :: so in tcp6), stopped once it listens: it never
# accepts, so its accept queue stays full and every further SYN counts in
# ListenOverflows. A new connection attempt every 1/4 s (each retried by the
# kernel until timeout kills it) while somaxconn has its original value.
nc -l -p 5000 </dev/null >/dev/null 2>&1 &
lpid=$!
i=0
until cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -Eq ':1388 [0-9A-F]+:0000 0A'; do
	i=$((i + 1)); [ $i -lt 300 ] || { echo "GUEST_FAIL: no listener on 5000"; exit 1; }
	sleep 0.1
done
kill -STOP $lpid
echo "GUEST_FLOOD_START"
while [ "$(cat /proc/sys/net/core/somaxconn)" = "$orig" ]; do
	for i in 1 2 3 4; do timeout 3 nc 127.0.0.1 5000 </dev/null >/dev/null 2>&1 & done
	sleep 1
done
echo "GUEST_FLOOD_STOP somaxconn=$(cat /proc/sys/net/core/somaxconn)"
kill -KILL $lpid
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
  <vcpu placement='static'>3</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$KERNEL</kernel>
    <initrd>$W/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 vtune.ip=10.10.0.12/24</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <serial type='file'><source path='$W/guest/console.log'/><target port='0'/></serial>
    <channel type='unix'>
      <source mode='bind' path='$W/guest/agent.sock'/>
      <target type='virtio' name='org.vtune.agent.0'/>
    </channel>
    <interface type='bridge'>
      <source bridge='br0'/>
      <target dev='vt-e2e0'/>
      <mac address='52:54:00:12:34:61'/>
      <model type='virtio'/>
      <driver name='qemu' queues='3'/>
    </interface>
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
con_has() { con | grep -Eq "$1"; }
ke_wait_until 120 "guest flood running (console GUEST_FLOOD_START)" con_has '^GUEST_FLOOD_START' ||
	fail "guest did not come up"
ORIG=$(con | sed -n 's/^GUEST_ORIG_SOMAXCONN=//p' | head -n 1)
[ -n "$ORIG" ] && [ "$ORIG" != 8192 ] || fail "bad original somaxconn '$ORIG'"
PORTS0=$(con | sed -n 's/^GUEST_ORIG_PORTS=//p' | head -n 1)
RPS0=$(con | sed -n 's/^GUEST_ORIG_RPS=//p' | head -n 1)
[ "$PORTS0" != "10000 60999" ] || fail "bad original port range '$PORTS0'"
# virtio-net with 3 queue pairs and 3 vCPUs: three rx queues, RPS off
[ "$RPS0" = "rx-0:0/0 rx-1:0/0 rx-2:0/0 " ] || fail "rx queues in the guest: '$RPS0'"
echo "guest up: somaxconn $ORIG, ports $PORTS0, rps $RPS0"
ping_guest() { ip netns exec "$KE_NS" busybox ping -c 1 -W 1 10.10.0.12 >/dev/null 2>&1; }
ke_wait_until 30 "the guest answers on br0" ping_guest || fail "guest not reachable over br0"
ke_virsh domiflist "$DOM" | grep -q 'vt-e2e0 .*bridge .*br0' ||
	fail "tap: $(ke_virsh domiflist "$DOM")"

# the offloads of the real tap (QEMU holds it) and the bridge, before vtune
offs() { ip netns exec "$KE_NS" ethtool -k "$1" | awk -F': ' '
	/^tcp-segmentation-offload:|^generic-segmentation-offload:|^generic-receive-offload:|^scatter-gather:|^tx-checksumming:/ {
	split($2, v, " "); printf "%s ", v[1] }'; }
OFF_TAP0=$(offs vt-e2e0) OFF_BR0=$(offs br0)
echo "offloads before (tso gso gro sg txcsum): vt-e2e0 '$OFF_TAP0' br0 '$OFF_BR0'"
case $OFF_TAP0 in *on*) ;; *) fail "the tap has no offload on to turn off: '$OFF_TAP0'" ;; esac

# the affinities before vtune touches them
vcpupin() { ke_virsh vcpupin "$DOM" | awk 'NF >= 2 { printf "%s=%s ", $1, $2 }'; }
emupin() { ke_virsh emulatorpin "$DOM" | awk 'NF { v = $NF } END { print v }'; }
PIN0=$(vcpupin) EMU0=$(emupin)
echo "affinity before: vcpupin '$PIN0' emulatorpin '$EMU0'"
[ -n "$PIN0" ] && [ -n "$EMU0" ] || fail "virsh vcpupin / emulatorpin gave nothing"
NCPU=$(nproc)

# ---- phase: hostd finds the guest ----
ke_phase hostd-connect
CTL=$W/ctl.sock J=$W/journal
# nsenter execs hostd (no fork for mount/net namespaces): $! is hostd
nsenter --mount="/proc/$KE_LPID/ns/mnt" --net="/run/netns/$KE_NS" \
	"$B/vtune-hostd" --backend kvm --uri qemu:///system --policy "$POLICY" \
	--journal "$J" --control "$CTL" --interval 1 -v >"$W/hostd.log" 2>&1 &
HPID=$!
KE_PIDS=$HPID
status_json() { "$B/vtune" status --json --control "$CTL" 2>/dev/null; }
guest_ok() {
	ke_alive "$HPID" || fail "vtune-hostd exited"
	status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
g = [x for x in d["guests"] if x["name"] == sys.argv[1]]
assert g, "no guest"
g = g[0]
assert g["connected"] and g["agent"] and g["protocol"] == 2, "channel"
assert g["reports"] >= 2 and g["bad_reports"] == 0, "reports"
assert (g["guest_metrics"] or {}).get("guest.cpus") == 3, "guest.cpus"
assert not g["unserved"], "unserved"
' "$DOM" 2>/dev/null
}
ke_wait_until 60 "vtune status: guest connected (protocol 2), reports with guest.cpus 3" guest_ok || {
	"$B/vtune" status --control "$CTL"; fail "hostd does not see the guest's agent"
}
"$B/vtune" status --control "$CTL" > "$W/status.txt" || fail "vtune status"
grep -Eq "^$DOM +up +v2 " "$W/status.txt" || fail "status: $(cat "$W/status.txt")"
grep -q "guest $DOM: found (channel $W/guest/agent.sock)" "$W/hostd.log" ||
	fail "hostd did not log the guest's channel"
sed -n "/^$DOM /p" "$W/status.txt"

# ---- phase: the listen-overflow rule changes the guest ----
ke_phase rule-fires
ke_wait_until 90 "somaxconn 8192 in the guest (console)" \
	con_has '^GUEST_SYSCTL net.core.somaxconn = 8192' || fail "somaxconn never changed in the guest"
con_has '^GUEST_FLOOD_STOP somaxconn=8192' ||
	ke_wait_until 10 "the guest noticing" con_has '^GUEST_FLOOD_STOP somaxconn=8192' ||
	fail "the guest did not see the change"
# the same rule changed the port range (no report carries it) and RPS
ke_wait_until 30 "port range 10000 60999 in the guest (console)" \
	con_has '^GUEST_PORTS 10000 60999' || fail "port range never changed in the guest"
# 3 vCPUs: mask 7; 32768 flow entries over 3 queues: 8192 each (a power of two)
ke_wait_until 30 "RPS on all 3 rx queues (console)" \
	con_has '^GUEST_RPS rx-0:7/8192 rx-1:7/8192 rx-2:7/8192 ' || fail "RPS never changed in the guest"
jhas() { grep "\"op\":\"$1\"" "$J" 2>/dev/null | grep -q "$2"; }
guest_applied() { jhas applied '"domain":"'"$DOM"'"'; }
ke_wait_until 20 "journal: guest record applied" guest_applied || fail "no applied record for the guest"
grep '"op":"set"' "$J" | grep "\"domain\":\"$DOM\"" | grep '"key":"net.core.somaxconn"' |
	grep "\"old\":\"$ORIG\"" | grep '"new":"8192"' | grep -q '"rule":"e2e-listen-overflow"' ||
	fail "guest set record wrong: $(grep '"op":"set"' "$J")"
grep '"op":"applied"' "$J" | grep "\"domain\":\"$DOM\"" | grep -q "old $ORIG new 8192" ||
	fail "applied record without the guest's ack: $(grep '"op":"applied"' "$J")"
grep -q "guest $DOM: sysctl net.core.somaxconn applied" "$W/hostd.log" || fail "no 'applied' in the log"
applied3() { [ "$(grep '"op":"applied"' "$J" | grep -c "\"domain\":\"$DOM\"")" = 3 ]; }
ke_wait_until 20 "journal: all 3 guest records applied" applied3 || fail "guest records: $(grep "$DOM" "$J")"
grep '"op":"applied"' "$J" | grep '"key":"net.ipv4.ip_local_port_range"' |
	grep -q "\"old\":\"$PORTS0\",\"new\":\"10000 60999\"" ||
	fail "port range mark: $(grep ip_local_port_range "$J")"
grep '"op":"applied"' "$J" | grep '"kind":"rps"' | grep -q '7 knob(s)' ||
	fail "rps mark: $(grep '"kind":"rps"' "$J")"

# ---- phase: the pin rule pins ----
ke_phase pinning
if [ "$NCPU" -ge 2 ]; then
	pinned() { [ "$(vcpupin)" != "$PIN0" ] && [ "$(emupin)" != "$EMU0" ]; }
	ke_wait_until 30 "virsh vcpupin / emulatorpin changed" pinned || {
		echo "vcpupin '$(vcpupin)' emulatorpin '$(emupin)'"; fail "no pinning"; }
	PIN1=$(vcpupin) EMU1=$(emupin)
	echo "affinity after: vcpupin '$PIN1' emulatorpin '$EMU1'"
	# vcpus-spread: vCPU i on online CPU i (mod n); emulator-away: one CPU left
	on=$(awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-");
		if (n == 1) r[2] = r[1]; for (c = r[1]; c <= r[2]; c++) printf "%d ", c } }' \
		/sys/devices/system/cpu/online)
	want=$(echo "$on" | awk '{ for (v = 0; v < 3; v++) printf "%d=%s ", v, $((v % NF) + 1) }')
	[ "$PIN1" = "$want" ] || fail "vcpupin is '$PIN1', want '$want' (vcpus-spread)"
	echo "$EMU1" | grep -Eq '^[0-9]+$' || fail "emulatorpin '$EMU1' is not one CPU (emulator-away)"
	for k in kvm-vcpupin kvm-emulatorpin; do
		grep '"op":"set"' "$J" | grep "\"kind\":\"$k\"" | grep -q '"rule":"e2e-pin"' ||
			fail "no $k set record"
	done
else
	echo "NOTE: $NCPU host CPU: nothing to pin apart, pinning checks skipped"
fi

# ---- phase: offloads off on the real tap and bridge ----
ke_phase offloads
# tso, gro, sg and tx checksumming off on both; gso is printed, not required:
# on this QEMU tap (vnet_hdr, 3 queues) it was seen on again after vtune set
# it off (vtune journaled "gso on -> off, applied"), which a tap held by a
# plain process does not do (test-hostnet-netns)
four() { echo "$1" | awk '{ print $1, $3, $4, $5 }'; }
offs_off() { [ "$(four "$(offs vt-e2e0)")" = "off off off off" ] && [ "$(four "$(offs br0)")" = "off off off off" ]; }
ke_wait_until 30 "offloads off on vt-e2e0 and br0 (ethtool -k)" offs_off ||
	fail "offloads: vt-e2e0 '$(offs vt-e2e0)' br0 '$(offs br0)'"
echo "offloads after e2e-offloads-hurt: vt-e2e0 '$(offs vt-e2e0)' br0 '$(offs br0)'"
grep '"op":"set"' "$J" | grep '"kind":"offload"' | grep -q '"target":"vt-e2e0"' || fail "no offload record for the tap"

# ---- phase: revert ----
ke_phase revert
# hostd holds the journal's lock and is the only one that can reach the
# guest: `vtune revert` hands the request to it over the control socket.
"$B/vtune" revert --all --dry-run --control "$CTL" >"$W/cli-dry.out" 2>&1 ||
	fail "vtune revert --dry-run through hostd: $(cat "$W/cli-dry.out")"
grep -q "guest $DOM sysctl net.core.somaxconn" "$W/cli-dry.out" ||
	fail "vtune revert --dry-run: $(cat "$W/cli-dry.out")"
n=$(wc -l < "$W/guest/console.log")
VTUNE_CONTROL="$CTL" "$B/vtune" revert --all --journal "$J" > "$W/revert.out" 2>&1 ||
	{ cat "$W/revert.out"; fail "vtune revert through hostd"; }
cat "$W/revert.out"
grep -q "asked the guest to revert guest $DOM sysctl net.core.somaxconn 8192 -> $ORIG" "$W/revert.out" ||
	fail "no guest revert line"
since() { tail -n +"$((n + 1))" "$W/guest/console.log" | tr -d '\r' | grep -q "$1"; }
ke_wait_until 30 "somaxconn $ORIG again in the guest (console)" \
	since "^GUEST_SYSCTL net.core.somaxconn = $ORIG\$" || fail "somaxconn not reverted in the guest"
ke_wait_until 30 "port range $PORTS0 again in the guest" since "^GUEST_PORTS $PORTS0\$" ||
	fail "port range not reverted in the guest"
ke_wait_until 30 "RPS off again on all 3 rx queues" since "^GUEST_RPS $RPS0\$" ||
	fail "RPS not reverted in the guest"
reverted3() { [ "$(grep '"op":"reverted"' "$J" | grep -c "\"domain\":\"$DOM\"")" = 3 ]; }
ke_wait_until 10 "hostd marks the 3 guest records reverted on the agent's acks" reverted3 ||
	fail "guest records not marked reverted: $(grep "$DOM" "$J" | tail -n 6)"
grep -q "guest $DOM: reverted sysctl net.core.somaxconn" "$W/hostd.log" || fail "no ack of the revert"
if [ "$NCPU" -ge 2 ]; then
	[ "$(vcpupin)" = "$PIN0" ] || fail "vcpupin is '$(vcpupin)' after revert, want '$PIN0'"
	[ "$(emupin)" = "$EMU0" ] || fail "emulatorpin is '$(emupin)' after revert, want '$EMU0'"
	echo "affinity after revert: vcpupin '$(vcpupin)' emulatorpin '$(emupin)'"
fi
[ "$(offs vt-e2e0)" = "$OFF_TAP0" ] && [ "$(offs br0)" = "$OFF_BR0" ] ||
	fail "offloads after revert: vt-e2e0 '$(offs vt-e2e0)' br0 '$(offs br0)', want '$OFF_TAP0' '$OFF_BR0'"
echo "offloads after revert: vt-e2e0 '$(offs vt-e2e0)' br0 '$(offs br0)'"
grep '"op":"reverted"' "$J" | grep -q "\"domain\":\"$DOM\"" || fail "no reverted record for the guest"
# nothing fires again (cooldown), nothing is left open
sleep 2
con_has "^GUEST_SYSCTL net.core.somaxconn = $ORIG\$" || fail "console"
[ "$(tail -n 3 "$W/guest/console.log" | tr -d '\r' | grep -c 'somaxconn = 8192')" = 0 ] ||
	fail "somaxconn changed again after the revert"

# ---- phase: hostd stops ----
ke_phase hostd-stop
kill -TERM "$HPID"
hostd_gone() { ! ke_alive "$HPID"; }
ke_wait_until 15 "hostd exit" hostd_gone || fail "hostd did not stop on SIGTERM"
wait "$HPID"; rc=$?
KE_PIDS=
[ "$rc" = 0 ] || fail "hostd exited $rc on SIGTERM"
[ -e "$CTL" ] && fail "control socket left behind"
"$B/vtune" revert --all --dry-run --journal "$J" > "$W/cli-after.out" 2>&1 ||
	fail "revert left something open: $(cat "$W/cli-after.out")"
grep -q 'nothing to revert' "$W/cli-after.out" || fail "journal: $(cat "$W/cli-after.out")"
[ "$(grep '"op":"set"' "$J" | grep -c '"side":"guest"')" = 3 ] || fail "the guest rule fired more than once"
grep -Eq 'AddressSanitizer|runtime error|: error: ' "$W/hostd.log" && fail "errors in the hostd log"

# ---- cleanup, checked ----
ns=$KE_NS lpid=$KE_LPID w=$KE_W
ke_phase cleanup
ke_cleanup
ke_phase end
trap - EXIT
[ ! -e "/run/netns/$ns" ] || { echo "FAIL: test-kvm-e2e: netns $ns left behind"; exit 1; }
! ke_alive "$lpid" || { echo "FAIL: test-kvm-e2e: libvirtd $lpid still running"; exit 1; }
[ -n "${VTUNE_KEEP:-}" ] || [ ! -e "$w" ] || { echo "FAIL: test-kvm-e2e: $w left behind"; exit 1; }
echo "PASS: test-kvm-e2e: libvirt guest found, overflow rule (somaxconn, port range, RPS on 3 queues) applied in the guest over protocol 2, pinned, offloads off on the real tap and bridge, all reverted through hostd"
exit 0
