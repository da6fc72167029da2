#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-sriov-kvm: SR-IOV passthrough end to end on emulated hardware. An L1 "host" under
# QEMU TCG (tests/harness/sriov-boot: q35, emulated Intel IOMMU, an NVMe SR-IOV PF, a
# libvirtd) runs vtune-hostd (KVM backend); `vtune sriov attach l2` gives a VF to an L2
# guest through that libvirtd (sriov-numvfs, pci-driver, kvm-hostdev, each journaled by
# hostd, and once by the sriov-attach rule firing under hostd on the reports of L2's
# vtune-agent), `vtune sriov detach l2` / `vtune revert` take it back; L2 lists its PCI
# devices and must see the VF (1b36:0010) come and go. Before that: a refusal (a domain
# marked migratable), and vtune-hostd SIGKILLed at each journal step (VTUNE_FAULT: L1 runs
# the test build BUILD/tests/fault/vtune-hostd, mk/testtools.mk)
# followed by a revert through a new hostd that must restore sriov_numvfs, the VF's
# driver and the attachment.
# timeout: 180
set -u

S=${VTUNE_SRC:-$(pwd)}
B=${VTUNE_BUILD:-$S/build}
H=$S/tests/harness
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

for t in qemu-system-x86_64 libvirtd virsh; do command -v $t >/dev/null || skip "$t not installed"; done
for f in vtune tests/fault/vtune-hostd backends/backend-kvm.so vtune-agent.static; do
	[ -e "$B/$f" ] || fail "build first (make all): $B/$f"
done
"$H/guest-kernel" cloud >/dev/null 2>&1 || skip "no cloud kernel (guest-kernel cloud failed)"

dir=$(mktemp -d /tmp/vt-sriov.XXXXXX)
cleanup() {
	"$H/stop-guest" "$dir" 2>/dev/null
	if [ "${keep:-0}" = 1 ] || [ -n "${VTUNE_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The L1 side: vtune-hostd with a policy whose (disabled) sriov-attach rule allows the
# PF; SRIOV_ATTACH / SRIOV_DETACH go through its control socket.
cat > "$dir/l1-test" <<'EOF'
#!/bin/sh
PF=0000:00:03.0 VF0=0000:00:03.1 VF1=0000:00:03.2 J=/var/lib/vtune/journal
P=/sys/bus/pci/devices
export VTUNE_BACKEND_DIR=/bin VTUNE_CONTROL=/run/vtune/hostd.sock VTUNE_JOURNAL=$J
cat > /tmp/policy.yaml <<Y
version: 1
rules:
  - name: sriov-attach
    enabled: false
    backends: [kvm]
    when: host.sriov.free_vfs > 0
    host:
      - sriov: { pfs: [$PF], vfs: 2 }
Y
HPID=
# hostd [ENV=V...]: start vtune-hostd (its own journal), wait for its control socket
hostd() {
	env "$@" /bin/vtune-hostd --backend kvm --uri qemu:///system --policy /tmp/policy.yaml \
		--journal $J --control $VTUNE_CONTROL --metrics off --no-privsep --interval 1 \
		>> /tmp/hostd.log 2>&1 &
	HPID=$!
	i=0; while ! /bin/vtune status > /dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ $i -lt 100 ] || { echo "  hostd did not answer in 10 s:"; tail -n 8 /tmp/hostd.log | sed 's/^/  hostd| /'; }
}
hostd_stop() { [ -z "$HPID" ] || { kill $HPID 2>/dev/null; wait $HPID 2>/dev/null; HPID=; }; }
# hostd_rc: wait for hostd and give its exit status (137: SIGKILL)
hostd_rc() { # at most 30 s: a hostd that was not killed is stopped, and says 1
	i=0; while kill -0 $HPID 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 $HPID 2>/dev/null && { kill $HPID; echo "  hostd still running: stopped"; tail -n 5 /tmp/hostd.log; }
	wait $HPID; r=$?; HPID=; return $r
}
SRIOV_ATTACH="/bin/vtune sriov attach l2"
SRIOV_DETACH="/bin/vtune sriov detach l2"
bad=0
up() { cut -d' ' -f1 /proc/uptime; }
check() { if [ "$2" = 0 ]; then echo "SRIOV_CHECK ok $1"; else echo "SRIOV_CHECK FAIL $1"; bad=$((bad + 1)); fi; }
phase() { echo "SRIOV_PHASE $1 uptime=$(up)"; }
drv() { if [ -e $P/$1/driver ]; then basename "$(readlink $P/$1/driver)"; else echo -; fi; }
numvfs() { cat $P/$PF/sriov_numvfs; }
hostdevs() { virsh -q -c qemu:///system dumpxml "$@" l2 2>/dev/null | grep -c "<hostdev"; }
l2log() { tr -d '\r' < /tmp/l2.log 2>/dev/null; }
gen() { l2log | sed -n 's/.*L2LIST n=[0-9]* gen=\([0-9]*\).*/\1/p' | tail -n 1; }
wait_gen() { # N SECONDS: L2 printed its list for the Nth time
	i=0; while [ "$(gen)" != "$1" ] && [ $i -lt $(($2 * 5)) ]; do sleep 0.2; i=$((i + 1)); done
	[ "$(gen)" = "$1" ]
}
l2_list() { l2log | awk -v g="$1" '/^L2PCI /{buf = buf $0 "\n"; next} /L2LIST/{ if ($3 == "gen=" g) { printf "%s", buf; exit } buf = "" }'; }
l2_has_vf() { l2_list "$1" | grep -q ' 0x1b36 0x0010 0x010802$'; }
# restored: no VFs, autoprobe back on, no hostdev live or persistent
restored() {
	[ "$(numvfs)" = 0 ] && [ ! -e $P/$VF0 ] && [ "$(cat $P/$PF/sriov_drivers_autoprobe)" = 1 ] &&
		[ "$(hostdevs)" = 0 ] && [ "$(hostdevs --inactive)" = 0 ]
}

phase start
echo "L1 PF $PF driver $(drv $PF) sriov_totalvfs $(cat $P/$PF/sriov_totalvfs) sriov_numvfs $(numvfs)"
cat > /tmp/l2.xml <<X
<domain type='qemu'><name>l2</name><memory unit='MiB'>192</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/l2/vmlinuz</kernel>
    <initrd>/bin/l2-agent.gz</initrd><cmdline>console=ttyS0 quiet panic=-1</cmdline></os>
  <features><acpi/></features><on_reboot>destroy</on_reboot>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='/tmp/l2.log'/><target port='0'/></serial>
    <channel type='unix'><source mode='bind' path='/run/vtune/l2.agent'/>
      <target type='virtio' name='org.vtune.agent.0'/></channel>
    <memballoon model='none'/></devices></domain>
X
mkdir -p /run/vtune
virsh -q -c qemu:///system define /tmp/l2.xml >/dev/null && virsh -q -c qemu:///system start l2 >/dev/null
check "L2 defined and started through L1's libvirtd" $?

phase refusal
# a domain marked as one that must stay migratable: refused, nothing changed
virsh -q -c qemu:///system metadata l2 urn:vtune:libvirt:1 --key vtune --set '<migratable/>' --config --live
hostd
$SRIOV_ATTACH > /tmp/out 2>&1; rc=$?
sed 's/^/  /' /tmp/out
[ $rc = 3 ] && grep -q 'must stay migratable' /tmp/out && [ "$(numvfs)" = 0 ] && ! grep -qs '"op":' $J
check "refused for a domain marked migratable, nothing changed (rc=$rc)" $?
/bin/vtune status --json | grep -q 'must stay migratable'
check "vtune status shows the refusal" $?
hostd_stop
rm -f $J
virsh -q -c qemu:///system metadata l2 urn:vtune:libvirt:1 --remove --config --live

phase kill-matrix
# SIGKILL at each journal step of the sysfs changes (1 = sriov_drivers_autoprobe 0,
# 2 = sriov_numvfs 2, 3 = pci-driver vfio-pci, 4 = kvm-hostdev before its write), then
# revert: everything back (L2 boots meanwhile)
# (hostd is killed; a new one reverts: `vtune sriov detach`, or `vtune revert --all`
# through it at the points before the hostdev)
for pt in after_intent:1 after_write:1 after_write:2 after_mark:2 after_intent:3 after_write:3 \
	after_mark:3 after_intent:4; do
	hostd VTUNE_FAULT=$pt
	$SRIOV_ATTACH > /tmp/out 2>&1; arc=$?
	hostd_rc; rc=$?
	state="autoprobe=$(cat $P/$PF/sriov_drivers_autoprobe) numvfs=$(numvfs) vf0=$(drv $VF0)"
	hostd
	case $pt in after_write:2|after_mark:3) how="vtune revert --all"; /bin/vtune revert --all > /tmp/rev 2>&1 ;;
	*) how="vtune sriov detach"; $SRIOV_DETACH > /tmp/rev 2>&1 ;; esac
	rrc=$?
	hostd_stop
	restored && [ $rc = 137 ] && [ $arc = 1 ] && [ $rrc = 0 ]
	check "hostd killed at $pt (rc=$rc, attach rc=$arc, then $state), $how rc=$rrc: all back" $?
	[ $pt = after_write:3 ] && sed 's/^/  revert| /' /tmp/rev
	rm -f $J
done

phase admin-vfs
# VFs the administrator made: only the driver and the attachment are vtune's; killed
# right after binding VF1 to vfio-pci, revert puts its driver and override back
echo 2 > $P/$PF/sriov_numvfs; sleep 1
before="$(drv $VF1) $(cat $P/$VF1/driver_override)"
hostd VTUNE_FAULT=after_write:1
$SRIOV_ATTACH --vf $VF1 > /tmp/out 2>&1
hostd_rc; rc=$?
mid="$(drv $VF1) $(cat $P/$VF1/driver_override)"
hostd
$SRIOV_DETACH > /tmp/rev 2>&1; rrc=$?
hostd_stop
after="$(drv $VF1) $(cat $P/$VF1/driver_override)"
sed 's/^/  revert| /' /tmp/rev
[ $rc = 137 ] && [ "$mid" = "vfio-pci vfio-pci" ] && [ "$after" = "$before" ] && [ "$(numvfs)" = 2 ]
check "VF1 driver+override '$before' -> '$mid' -> (killed, revert) '$after', numvfs stays 2" $?
rm -f $J; echo 0 > $P/$PF/sriov_numvfs

phase l2-boot
wait_gen 1 100; check "L2 booted and listed its PCI devices" $?
echo "L2 before:"; l2_list 1 | sed 's/^/  /'
! l2_has_vf 1; check "L2 has no VF before" $?

phase kill-attach
# killed right after the hotplug (journal: intent, no mark): revert detaches it
hostd VTUNE_FAULT=after_write:4
$SRIOV_ATTACH > /tmp/out 2>&1
hostd_rc; rc=$?
wait_gen 2 30 && l2_has_vf 2; seen=$?
hostd
$SRIOV_DETACH > /tmp/rev 2>&1; rrc=$?
wait_gen 3 30 && ! l2_has_vf 3; gone=$?
sed 's/^/  revert| /' /tmp/rev
[ $rc = 137 ] && [ $seen = 0 ] && [ $rrc = 0 ] && [ $gone = 0 ] && restored
check "killed after the attach (rc=$rc): L2 saw the VF, revert rc=$rrc detached it, all restored" $?
hostd_stop
rm -f $J

phase attach
hostd
/bin/vtune sriov attach l2 --persistent --dry-run > /tmp/out 2>&1; rc=$?
sed 's/^/  dry-run| /' /tmp/out
[ $rc = 0 ] && [ "$(numvfs)" = 0 ] && grep -q 'would set kvm-hostdev l2 0000:00:03.1 -> attached-persistent' /tmp/out
check "attach --dry-run rc=$rc: the plan, nothing changed" $?
hostd_stop
# the real thing through the policy, persistent too (numvfs, vfio-pci, hostdev live +
# config): a drop-in turns the sriov-attach rule on; L2's agent reports over its
# channel, so hostd steps it, and the rule fires on host.sriov.free_vfs > 0
mkdir -p /tmp/policy.d
cat > /tmp/policy.d/sriov.yaml <<Y
version: 1
rules:
  - name: sriov-attach
    enabled: true
    for: 1s
    host:
      - sriov: { pfs: [$PF], vfs: 2, persistent: true }
Y
t0=$(up)
hostd
i=0; while ! grep -q '"op":"applied".*"kind":"kvm-hostdev"' $J 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1)); done
grep 'sriov\|agent' /tmp/hostd.log | tail -n 8 | sed 's/^/  hostd| /'
grep -q '"op":"applied".*"kind":"kvm-hostdev".*"rule":"sriov-attach"' $J
check "the sriov-attach rule fired under vtune-hostd (from uptime $t0 to $(up)): hostdev applied" $?
rc=0
wait_gen 4 30 && l2_has_vf 4
check "attach by the rule: L2 sees the VF" $?
echo "L2 after attach:"; l2_list 4 | sed 's/^/  /'
[ "$(hostdevs)" = 1 ] && [ "$(hostdevs --inactive)" = 1 ] && [ "$(drv $VF0)" = vfio-pci ]
check "libvirt: hostdev in the live and the persistent XML; VF0 on vfio-pci" $?
qpid=$(cat /run/libvirt/qemu/l2.pid)
g=$(basename "$(readlink $P/$VF0/iommu_group)")
ls -l /proc/$qpid/fd 2>/dev/null | grep -q "/dev/vfio/$g\$"
check "L2's QEMU (pid $qpid) holds /dev/vfio/$g (VF0's IOMMU group)" $?
/bin/vtune sriov list | sed 's/^/  list| /'
/bin/vtune sriov list | grep -q "VF 0 $VF0 assigned driver vfio-pci .* guest l2"
check "vtune sriov list: VF0 assigned to l2" $?
$SRIOV_ATTACH > /tmp/out 2>&1; rc=$?
[ $rc = 0 ] && grep -q 'nothing to do' /tmp/out
check "a second attach: nothing to do (rc=$rc)" $?
echo "journal:"; sed 's/^/  /' $J

phase detach
$SRIOV_DETACH > /tmp/rev 2>&1; rrc=$?
sed 's/^/  /' /tmp/rev
wait_gen 5 30 && ! l2_has_vf 5
check "revert rc=$rrc: L2 lost the VF" $?
echo "L2 after revert:"; l2_list 5 | sed 's/^/  /'
restored && [ "$(drv $PF)" = nvme ]
check "restored: sriov_numvfs $(numvfs), no hostdev live or persistent, PF still on $(drv $PF)" $?
/bin/vtune sriov list | sed 's/^/  list| /'
$SRIOV_DETACH > /tmp/rev 2>&1; rrc=$?
[ $rrc = 0 ] && grep -q 'nothing to detach' /tmp/rev
check "a second detach: nothing to detach (rc=$rrc)" $?
hostd_stop
phase end
virsh -q -c qemu:///system destroy l2 >/dev/null 2>&1
exit $bad
EOF

start=$(date +%s)
# L2's initramfs with vtune-agent and the virtio-serial modules (the image's own has none)
cp "$B/vtune-agent.static" "$dir/vtune-agent"
VTUNE_KERNEL_DIR=$("$H/guest-kernel" cloud) VTUNE_MODULES="virtio_ring virtio virtio_pci_legacy_dev
 virtio_pci_modern_dev virtio_pci virtio_console" \
	"$H/mkinitramfs" "$dir/l2-agent.gz" "$H/sriov-l2-init.sh" "$dir/vtune-agent" ||
	fail "L2 initramfs with the agent"
"$H/sriov-boot" "$dir" --l1-script "$dir/l1-test" \
	--l1-files "$B/tests/fault/vtune-hostd $B/vtune $B/backends/backend-kvm.so $dir/l2-agent.gz" --timeout 170
rc=$?
tr -d '\r' < "$dir/console.log" | sed -n '/SRIOV_PHASE start/,/VTUNE_SRIOV_DONE/p' |
	grep -v -e '^\[ *[0-9.]*\]' -e '^$'
echo "timings: $(tr '\n' ' ' < "$dir/timings" 2>/dev/null) ($(( $(date +%s) - start ))s in all)"
[ $rc = 0 ] || { keep=1; fail "sriov-boot rc=$rc (console: $dir/console.log)"; }
echo "PASS"
