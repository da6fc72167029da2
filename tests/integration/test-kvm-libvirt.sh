#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 240
# The KVM backend against a real libvirtd: a TCG guest with the vtune channel
# and a tap on a bridge, in a network namespace and a private mount namespace
# (own /etc/libvirt, /run/libvirt, /var/lib/libvirt..., /etc/passwd with the
# libvirt-qemu user) so the machine's own libvirt setup is not touched. The
# live test in test_kvm checks list, host view, pinning and events; then
# `virsh vcpupin` must show the pin.
set -u
B=${VTUNE_BUILD:-$PWD/build}
for c in qemu-system-x86_64 libvirtd virsh unshare nsenter ip; do
	command -v $c >/dev/null 2>&1 || { echo "SKIP: $c missing"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$B/tests/test_kvm" ] || { echo "SKIP: $B/tests/test_kvm not built"; exit 77; }
KDIR=$(tests/harness/guest-kernel cloud) || { echo "SKIP: no guest kernel"; exit 77; }
KERNEL=$(ls "$KDIR"/boot/vmlinuz-* | head -1)

NS=vtkvm-$$
W=$(mktemp -d /tmp/vtune-kvm-XXXXXX)
URI="qemu:///system?socket=$W/run/libvirt-sock"
V="virsh -c $URI"
cleanup() {
	$V destroy vtune-guest >/dev/null 2>&1
	[ -f "$W/libvirtd.pid" ] && kill "$(cat "$W/libvirtd.pid")" 2>/dev/null && sleep 1
	ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -20 "$W/log/libvirtd.log" "$W/log/qemu/vtune-guest.log" 2>/dev/null; exit 1; }

ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" link add br0 type bridge && ip -n "$NS" link set br0 up || fail "bridge"

# Private libvirt state.
mkdir -p "$W/etc/qemu" "$W/run" "$W/lib/qemu" "$W/log/qemu" "$W/cache/qemu" "$W/guest"
cat > "$W/etc/qemu.conf" <<'C'
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
namespaces = [ ]
C
cat > "$W/etc/libvirtd.conf" <<C
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
C
cp /etc/passwd "$W/passwd"; cp /etc/group "$W/group"
grep -q '^kvm:' "$W/group" || echo 'kvm:x:990:' >> "$W/group"
grep -q '^libvirt-qemu:' "$W/group" || echo 'libvirt-qemu:x:991:' >> "$W/group"
grep -q '^libvirt-qemu:' "$W/passwd" ||
	echo 'libvirt-qemu:x:991:990::/var/lib/libvirt:/usr/sbin/nologin' >> "$W/passwd"

# The guest: busybox initramfs whose test just stays up.
printf '#!/bin/sh\nsleep 3600\n' > "$W/guest-test"; chmod +x "$W/guest-test"
tests/harness/mkinitramfs "$W/initramfs.gz" tests/harness/guest-init.sh "$W/guest-test" \
	>/dev/null 2>&1 || fail "mkinitramfs"
cat > "$W/guest.xml" <<X
<domain type='qemu'>
  <name>vtune-guest</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$KERNEL</kernel>
    <initrd>$W/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 vtune.ip=10.10.0.12/24</cmdline>
  </os>
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
      <target dev='vt-tap0'/>
      <mac address='52:54:00:12:34:60'/>
      <model type='virtio'/>
    </interface>
    <memballoon model='none'/>
  </devices>
</domain>
X

# libvirtd in the netns (nsenter keeps /sys and the cgroup mounts) and in a
# private mount namespace holding its state.
unshare -m --propagation private sh -c "
	mount --bind '$W/etc' /etc/libvirt &&
	mkdir -p /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt &&
	mount --bind '$W/run' /run/libvirt &&
	mount --bind '$W/lib' /var/lib/libvirt &&
	mount --bind '$W/log' /var/log/libvirt &&
	mount --bind '$W/cache' /var/cache/libvirt &&
	mount --bind '$W/passwd' /etc/passwd &&
	mount --bind '$W/group' /etc/group &&
	exec nsenter --net=/run/netns/$NS libvirtd -d -p '$W/libvirtd.pid'" || fail "libvirtd"
i=0
until $V version >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 60 ] || fail "libvirtd not answering"; sleep 0.5
done
$V define "$W/guest.xml" >/dev/null || fail "define"
$V start vtune-guest >/dev/null || fail "start"

# An nwfilter binding on the guest's tap, as libvirt makes for a guest whose
# interface has <filterref>: the backend must report it (bridge netfilter
# stays on for such a guest).
cat > "$W/filter.xml" <<'F'
<filter name='vtune-test-filter' chain='root'>
  <rule action='accept' direction='inout' priority='500'><all/></rule>
</filter>
F
cat > "$W/binding.xml" <<'F'
<filterbinding>
  <owner><name>vtune-guest</name><uuid>d1c5a0c4-86c2-4bd7-8d4e-3c1b7d0f2a11</uuid></owner>
  <portdev name='vt-tap0'/>
  <mac address='52:54:00:12:34:60'/>
  <filterref filter='vtune-test-filter'/>
</filterbinding>
F
$V nwfilter-define "$W/filter.xml" >/dev/null || fail "nwfilter-define"
$V nwfilter-binding-create "$W/binding.xml" >/dev/null || fail "nwfilter-binding-create"

VTUNE_KVM_LIVE_URI=$URI VTUNE_KVM_LIVE_GUEST=vtune-guest VTUNE_KVM_LIVE_FILTER=vtune-test-filter \
VTUNE_KVM_LIVE_CHANNEL=$W/guest/agent.sock VTUNE_KVM_LIVE_TAP=vt-tap0 \
	"$B/tests/test_kvm" > "$W/test.log" 2>&1
rc=$?
# VTUNE_KVM_DUMPXML=FILE keeps the running guest's live XML (how
# tests/fixtures/libvirt/qemu-live.xml was captured)
[ -z "${VTUNE_KVM_DUMPXML:-}" ] || $V dumpxml vtune-guest > "$VTUNE_KVM_DUMPXML" || fail "dumpxml"
grep -E '^live:|ERROR|FAILED|PASSED|SKIPPED' "$W/test.log"
[ $rc = 0 ] || { cat "$W/test.log"; fail "test_kvm live"; }
grep -q 'test_live' "$W/test.log" && ! grep -q 'SKIPPED.*test_live' "$W/test.log" ||
	fail "live test did not run"
$V vcpupin vtune-guest 0 | grep -Eq '^ *0 +0 *$' || { $V vcpupin vtune-guest; fail "virsh vcpupin"; }
echo "PASS: list, host view, pinning, events, nwfilter bindings against libvirtd"
exit 0
