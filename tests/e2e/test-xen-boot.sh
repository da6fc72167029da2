#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-xen-boot: Xen 4.17 boots under QEMU TCG (tests/harness/xen-boot) with a PV dom0 and
# a PV domU; checks xenstore both ways (the domU's data/vtune, dom0's control/vtune that
# the domU may read but not write), `xl vcpu-pin` of dom0, the domU's vif on xenbr0, ping.
# timeout: 180
set -u

S=${VTUNE_SRC:-$(pwd)}
H=$S/tests/harness
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
"$H/xen-packages" >/dev/null 2>&1 || skip "Xen packages cannot be downloaded (xen-packages failed)"
"$H/guest-kernel" generic >/dev/null 2>&1 || skip "no generic kernel (guest-kernel generic failed)"

dir=$(mktemp -d /tmp/vt-xen.XXXXXX)
cleanup() {
	"$H/stop-guest" "$dir" 2>/dev/null
	if [ "${keep:-0}" = 1 ] || [ -n "${VTUNE_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# domU: report through its own xenstore tree, then wait for dom0's command
cat > "$dir/domu-test" <<'EOF'
#!/bin/sh
xenstore-write data/vtune/report '{"v":1,"type":"report","seq":1}' &&
	xenstore-write data/vtune/seq 1 && echo "DOMU wrote data/vtune"
i=0
while ! xenstore-read control/vtune/seq >/dev/null 2>&1 && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
echo "DOMU_CMD=$(xenstore-read control/vtune/apply 2>&1)"
if xenstore-write control/vtune/apply forged 2>/dev/null; then echo "DOMU_CTL_WRITABLE"; else echo "DOMU_CTL_READONLY"; fi
EOF

# dom0: the checks; XEN_CHECK lines, rc = number of failures
cat > "$dir/dom0-test" <<'EOF'
#!/bin/sh
bad=0
check() { if [ "$2" = 0 ]; then echo "XEN_CHECK ok $1"; else echo "XEN_CHECK FAIL $1"; bad=$((bad + 1)); fi; }
d=$(xl domid vtune-domu)
i=0
while [ "$(xenstore-read /local/domain/$d/data/vtune/seq 2>/dev/null)" != 1 ] && [ $i -lt 300 ]; do
	sleep 0.2; i=$((i + 1))
done
r=$(xenstore-read /local/domain/$d/data/vtune/report 2>/dev/null)
[ "$r" = '{"v":1,"type":"report","seq":1}' ]; check "domU report read by dom0: $r" $?
p=/local/domain/$d/control/vtune
xenstore-write $p/apply '{"v":1,"type":"apply","id":1}' && xenstore-chmod $p n0 r$d &&
	xenstore-chmod $p/apply n0 r$d && xenstore-write $p/seq 1 && xenstore-chmod $p/seq n0 r$d
check "control/vtune written, read-only to domU" $?
log=/var/log/xen/console/guest-vtune-domu.log
i=0
while ! grep -q 'DOMU_CTL_' $log && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
grep -q 'DOMU_CMD={"v":1,"type":"apply","id":1}' $log; check "domU read the command" $?
grep -q DOMU_CTL_READONLY $log; check "domU cannot write control/vtune" $?
xl vcpu-pin 0 0 1 && xl vcpu-list 0 | awk '$3 == 0 { print; exit !($7 == "1") }'
check "xl vcpu-pin 0 0 1" $?
xl vcpu-pin 0 0 all >/dev/null
[ -e /sys/class/net/xenbr0/brif/vif$d.0 ]; check "vif$d.0 on xenbr0" $?
[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; check "bridge-nf sysctl in dom0" $?
ping -c 2 -W 5 10.30.0.2 >/dev/null; check "ping domU" $?
exit $bad
EOF

start=$(date +%s)
"$H/xen-boot" "$dir" --dom0-script "$dir/dom0-test" --domu-script "$dir/domu-test" --timeout 160
rc=$?
tr -d '\r' < "$dir/console.log" | grep -E 'XEN_CHECK|DOMU_' | grep -v '^domU| .*XEN_CHECK'
echo "timings: $(tr '\n' ' ' < "$dir/timings" 2>/dev/null) ($(( $(date +%s) - start ))s in all)"
[ $rc = 0 ] || { keep=1; fail "xen-boot rc=$rc (console: $dir/console.log)"; }
echo "PASS"
