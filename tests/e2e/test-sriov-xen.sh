#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-sriov-xen: SR-IOV passthrough on a real Xen 4.17 under QEMU TCG. The machine is a
# q35 with an emulated Intel IOMMU (Xen boots with iommu=1 and does VT-d) and an NVMe
# SR-IOV PF that dom0 drives; vtune-hostd (Xen backend) in dom0 does `vtune sriov attach
# vtune-domu`: it creates a VF, makes it assignable (pci-driver to pciback) and gives it
# to the PV domU (created with passthrough="enabled") through libxl (xen-pci), each step
# journaled; the domU must find it (1b36:0010) through pcifront. Also: a refusal (a
# domain xl migrate is moving), hostd (the test build BUILD/tests/fault/vtune-hostd, with
# the VTUNE_FAULT hook) SIGKILLed once the VF is assignable and right
# after the assignment, and reverts (`vtune sriov detach`, `vtune revert`) through a new
# hostd that must put everything back.
# timeout: 180
set -u

S=${VTUNE_SRC:-$(pwd)}
B=${VTUNE_BUILD:-$S/build}
H=$S/tests/harness
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
for f in vtune tests/fault/vtune-hostd backends/backend-xen.so; do
	[ -e "$B/$f" ] || fail "build first (make all): $B/$f"
done
"$H/xen-packages" >/dev/null 2>&1 || skip "Xen packages cannot be downloaded (xen-packages failed)"
"$H/guest-kernel" generic >/dev/null 2>&1 || skip "no generic kernel (guest-kernel generic failed)"

dir=$(mktemp -d /tmp/vt-sriovx.XXXXXX)
cleanup() {
	"$H/stop-guest" "$dir" 2>/dev/null
	if [ "${keep:-0}" = 1 ] || [ -n "${VTUNE_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
truncate -s 64M "$dir/nvme.img"

# domU: list its PCI devices now and whenever they change (pcifront hotplug)
cat > "$dir/domu-test" <<'EOF'
#!/bin/sh
(
prev='' gen=0
while :; do
	now=$(for d in /sys/bus/pci/devices/*; do
		v=$(cat "$d/vendor" "$d/device" "$d/class" 2>/dev/null | tr '\n' ' ')
		# a device half gone (its files already removed) is not listed
		[ "$(echo $v | wc -w)" = 3 ] && echo "$(basename "$d") ${v% }"; done)
	if [ "$now" != "$prev" ] || [ $gen = 0 ]; then
		gen=$((gen + 1))
		[ -n "$now" ] && echo "$now" | sed 's/^/DOMUPCI /'
		echo "DOMULIST n=$(echo "$now" | grep -c .) gen=$gen"
		# the same through xenstore (what dom0 checks: no console buffering)
		xenstore-write data/pci/list "$now" && xenstore-write data/pci/gen $gen
		prev=$now
	fi
	sleep 1
done
) &
EOF

# dom0: vtune-hostd with a policy whose (disabled) sriov-attach rule allows the PF;
# SRIOV_ATTACH / SRIOV_DETACH go through its control socket
cat > "$dir/dom0-test" <<'EOF'
#!/bin/sh
PF=0000:00:03.0 VF0=0000:00:03.1 J=/var/lib/vtune/journal P=/sys/bus/pci/devices
export VTUNE_BACKEND_DIR=/bin VTUNE_CONTROL=/run/vtune/hostd.sock VTUNE_JOURNAL=$J
cat > /tmp/policy.yaml <<Y
version: 1
rules:
  - name: sriov-attach
    enabled: false
    backends: [xen]
    when: host.sriov.free_vfs > 0
    host:
      - sriov: { pfs: [$PF] }
Y
HPID=
# hostd [ENV=V...]: start vtune-hostd (its own journal), wait for its control socket
hostd() {
	env "$@" /bin/vtune-hostd --backend xen --policy /tmp/policy.yaml --journal $J \
		--control $VTUNE_CONTROL --metrics off --no-privsep --interval 1 >> /tmp/hostd.log 2>&1 &
	HPID=$!
	i=0; while ! /bin/vtune status > /dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ $i -lt 100 ] || { echo "  hostd did not answer in 10 s:"; tail -n 8 /tmp/hostd.log | sed 's/^/  hostd| /'; }
}
hostd_stop() { [ -z "$HPID" ] || { kill $HPID 2>/dev/null; wait $HPID 2>/dev/null; HPID=; }; }
hostd_rc() { # at most 30 s: a hostd that was not killed is stopped, and says 1
	i=0; while kill -0 $HPID 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 $HPID 2>/dev/null && { kill $HPID; echo "  hostd still running: stopped"; tail -n 5 /tmp/hostd.log; }
	wait $HPID; r=$?; HPID=; return $r
}
SRIOV_ATTACH="/bin/vtune sriov attach vtune-domu"
SRIOV_DETACH="/bin/vtune sriov detach vtune-domu"
bad=0
up() { cut -d' ' -f1 /proc/uptime; }
check() { if [ "$2" = 0 ]; then echo "SRIOV_CHECK ok $1"; else echo "SRIOV_CHECK FAIL $1"; bad=$((bad + 1)); fi; }
phase() { echo "SRIOV_PHASE $1 uptime=$(up)"; }
drv() { if [ -e $P/$1/driver ]; then basename "$(readlink $P/$1/driver)"; else echo -; fi; }
numvfs() { cat $P/$PF/sriov_numvfs; }
D=$(xl domid vtune-domu)
# the domU writes its PCI list (and a generation number) to its data/pci in xenstore
gen() { timeout 5 xenstore-read /local/domain/$D/data/pci/gen 2>/dev/null; }
domu_list() { timeout 5 xenstore-read /local/domain/$D/data/pci/list 2>/dev/null | sed '/^$/d'; }
domu_has_vf() { domu_list | grep -q ' 0x1b36 0x0010 0x010802$'; }
# wait_vf yes|no SECONDS: until the domU's latest list has (not) the VF
wait_vf() {
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		if domu_has_vf; then [ $1 = yes ] && return 0; else [ $1 = no ] && [ -n "$(gen)" ] && return 0; fi
		sleep 0.2; i=$((i + 1))
	done
	return 1
}
assigned() { timeout 20 xl pci-list vtune-domu 2>/dev/null | grep -c "$VF0"; }
restored() {
	[ "$(numvfs)" = 0 ] && [ ! -e $P/$VF0 ] && [ "$(cat $P/$PF/sriov_drivers_autoprobe)" = 1 ] &&
		[ "$(assigned)" = 0 ]
}

phase start
xl info | grep -E '^virt_caps'
xl dmesg | grep -E 'I/O virtualisation|Intel VT-d iommu'
echo "dom0 PF $PF driver $(drv $PF) sriov_totalvfs $(cat $P/$PF/sriov_totalvfs) sriov_numvfs $(numvfs)"
xl info | grep -q 'virt_caps.*directio'; check "Xen has an IOMMU for passthrough (directio)" $?
i=0; while [ -z "$(gen)" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
[ -n "$(gen)" ]; check "domU listed its PCI devices" $?
echo "domU before:"; domu_list | sed 's/^/  /'
! domu_has_vf; check "domU has no VF before" $?

phase refusal
# while xl migrate moves a domain it is called NAME--incoming / NAME--migratedaway
xl rename vtune-domu vtune-domu--migratedaway
hostd
/bin/vtune sriov attach vtune-domu--migratedaway > /tmp/out 2>&1; rc=$?
hostd_stop
xl rename vtune-domu--migratedaway vtune-domu
sed 's/^/  /' /tmp/out
[ $rc = 3 ] && grep -q 'is migrating' /tmp/out && [ "$(numvfs)" = 0 ] && ! grep -qs '"op":' $J
check "refused for a migrating domain, nothing changed (rc=$rc)" $?
rm -f $J

phase kill-assignable
# killed once the VF is on pciback (marked), before the assignment: it is assignable
# (vtune revert --rule through the new hostd)
hostd VTUNE_FAULT=after_mark:3
$SRIOV_ATTACH > /tmp/out 2>&1
hostd_rc; rc=$?
xl pci-assignable-list | grep -q "^$VF0"; listed=$?
mid="numvfs=$(numvfs) vf0=$(drv $VF0)"
hostd
/bin/vtune revert --rule vtune-sriov-attach > /tmp/rev 2>&1; rrc=$?
hostd_stop
[ $rc = 137 ] && [ $listed = 0 ] && [ $rrc = 0 ] && restored && ! xl pci-assignable-list | grep -q "$VF0"
check "killed with VF0 on pciback (rc=$rc, $mid): xl pci-assignable-list had it; revert rc=$rrc: all back" $?
rm -f $J

phase kill-assign
# killed right after libxl assigned it (intent, no mark): revert takes it all back
hostd VTUNE_FAULT=after_write:4
$SRIOV_ATTACH > /tmp/out 2>&1
hostd_rc; rc=$?
sed 's/^/  /' /tmp/out
wait_vf yes 30; seen=$?
mid="numvfs=$(numvfs) vf0=$(drv $VF0) pci-list=$(assigned)"
hostd
$SRIOV_DETACH > /tmp/rev 2>&1; rrc=$?
hostd_stop
sed 's/^/  revert| /' /tmp/rev
wait_vf no 30; gone=$?
[ $rc = 137 ] && [ $seen = 0 ] && [ $rrc = 0 ] && [ $gone = 0 ] && restored
check "killed after the assignment (rc=$rc, $mid): domU saw the VF, revert rc=$rrc took it back" $?
rm -f $J

phase assign
hostd
$SRIOV_ATTACH --dry-run > /tmp/out 2>&1; rc=$?
sed 's/^/  dry-run| /' /tmp/out
[ $rc = 0 ] && [ "$(numvfs)" = 0 ] && grep -q "would set xen-pci $D $VF0 -> assigned" /tmp/out
check "attach --dry-run rc=$rc: the plan, nothing changed" $?
$SRIOV_ATTACH > /tmp/out 2>&1; rc=$?
sed 's/^/  /' /tmp/out
wait_vf yes 30
check "attach rc=$rc: the domU finds the VF through pcifront" $?
echo "domU after assign:"; domu_list | sed 's/^/  /'
[ "$(assigned)" = 1 ] && [ "$(drv $VF0)" = pciback ]
check "xl pci-list shows it; dom0: VF0 on pciback" $?
xl pci-list vtune-domu | sed 's/^/  xl pci-list| /'
/bin/vtune sriov list | sed 's/^/  list| /'
/bin/vtune sriov list | grep -q "VF 0 $VF0 assigned driver pciback .* guest vtune-domu"
check "vtune sriov list: VF0 assigned to vtune-domu" $?
echo "journal:"; sed 's/^/  /' $J

phase revert
$SRIOV_DETACH > /tmp/rev 2>&1; rrc=$?
sed 's/^/  /' /tmp/rev
wait_vf no 30
check "revert rc=$rrc: the domU lost the VF" $?
echo "domU after revert:"; domu_list | sed 's/^/  /'
restored && [ "$(drv $PF)" = nvme ]
check "restored: sriov_numvfs $(numvfs), autoprobe on, not assigned, PF on $(drv $PF)" $?
hostd_stop
phase end
if [ $bad != 0 ]; then
	echo "domU console (tail):"
	tr -d '\r' < /var/log/xen/console/guest-vtune-domu.log | tail -n 60 | sed 's/^/  domU| /'
	timeout 10 xl list
fi
exit $bad
EOF

qargs="-machine q35 -device intel-iommu,caching-mode=on
 -drive file=$dir/nvme.img,if=none,id=d0,format=raw -device nvme-subsys,id=subsys0
 -device nvme,serial=vtsriov,id=nvme0,subsys=subsys0,addr=03.0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=4
 -device nvme-ns,drive=d0,bus=nvme0"
start=$(date +%s)
"$H/xen-boot" "$dir" --dom0-script "$dir/dom0-test" --domu-script "$dir/domu-test" \
	--dom0-files "$B/tests/fault/vtune-hostd $B/vtune $B/backends/backend-xen.so" --dom0-modules 'nvme xen-pciback' \
	--domu-modules xen-pcifront --domu-cfg 'passthrough = "enabled"' \
	--qemu-args "$qargs" --xen-args 'iommu=1' --timeout 165
rc=$?
tr -d '\r' < "$dir/console.log" | sed -n '/SRIOV_PHASE start/,/VTUNE_XEN_DONE/p' |
	grep -v -e '^\[ *[0-9.]*\]' -e '^(XEN)' -e '^domU|' -e '^$' -e '^=== domU console'
echo "timings: $(tr '\n' ' ' < "$dir/timings" 2>/dev/null) ($(( $(date +%s) - start ))s in all)"
[ $rc = 0 ] || { keep=1; fail "xen-boot rc=$rc (console: $dir/console.log)"; }
echo "PASS"
