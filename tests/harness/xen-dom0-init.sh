#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the Xen test dom0 that xen-boot builds: load the Xen modules, start xenstored,
# xen-init-dom0 and xenconsoled, bridge xenbr0, start the PV domUs of /etc/xen/vtune-domu*.cfg,
# run /bin/dom0-test and print VTUNE_XEN_DONE rc=N (xen-boot then stops QEMU).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null || mount -t tmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmp /tmp
mkdir -p /run/xen /run/xenstored /var/lib/xenstored /var/lib/xen /var/log/xen/console
rm -rf /var/run && ln -s /run /var/run
up() { cut -d' ' -f1 /proc/uptime; }
done_rc() { echo "VTUNE_XEN_DONE rc=$1 uptime=$(up)"; sync; sleep 1; poweroff -f; }
echo "VTUNE_XEN_DOM0_INIT uptime=$(up)"

while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/$m.ko" || echo "VTUNE_WARN insmod $m failed"
done < /lib/modules/load-order

mount -t xenfs xenfs /proc/xen || { echo "VTUNE_XEN_ERR no xenfs: not a Xen dom0?"; done_rc 125; }
xenstored --pid-file /run/xenstored.pid || { echo "VTUNE_XEN_ERR xenstored failed"; done_rc 125; }
i=0
while ! xenstore-exists / 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
xen-init-dom0 >/dev/null || { echo "VTUNE_XEN_ERR xen-init-dom0 failed"; done_rc 125; }
xenconsoled --log=guest --log-dir=/var/log/xen/console ||
	{ echo "VTUNE_XEN_ERR xenconsoled failed"; done_rc 125; }
ip link set lo up
brctl addbr xenbr0 && ip addr add 10.30.0.1/24 dev xenbr0 && ip link set xenbr0 up ||
	echo "VTUNE_WARN bridge xenbr0 failed"
echo "VTUNE_XEN_DOM0_READY uptime=$(up)"

log=/var/log/xen/console/guest-vtune-domu.log
for cfg in /etc/xen/vtune-domu.cfg /etc/xen/vtune-domu2.cfg; do
	[ -f "$cfg" ] || continue
	if ! xl create "$cfg" >/tmp/xl-create.log 2>&1; then
		cat /tmp/xl-create.log
		echo "VTUNE_XEN_ERR xl create $cfg failed"
		done_rc 125
	fi
done
for name in vtune-domu vtune-domu2; do
	[ -f "/etc/xen/$name.cfg" ] || continue
	l=/var/log/xen/console/guest-$name.log
	i=0
	while ! grep -q VTUNE_READY "$l" 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
	if ! grep -q VTUNE_READY "$l" 2>/dev/null; then
		echo "VTUNE_XEN_ERR $name not ready after 120 s; its console:"
		sed 's/^/domU| /' "$l" 2>/dev/null
		done_rc 125
	fi
done
echo "VTUNE_XEN_DOMU_READY domid=$(xl domid vtune-domu 2>/dev/null) uptime=$(up)"

rc=0
/bin/dom0-test || rc=$?
echo "=== domU console"
tr -d '\r' < "$log" | sed 's/^/domU| /'
done_rc $rc
