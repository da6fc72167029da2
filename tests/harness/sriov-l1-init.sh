#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the emulated SR-IOV "host" (L1) that sriov-boot builds: load nvme and vfio-pci,
# start libvirtd (monolithic, qemu driver only, config from /etc/libvirt), print
# VTUNE_SRIOV_L1_READY, run /bin/l1-test and print VTUNE_SRIOV_DONE rc=N, power off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null || mount -t tmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
up() { cut -d' ' -f1 /proc/uptime; }
done_rc() { echo "VTUNE_SRIOV_DONE rc=$1 uptime=$(up)"; sync; poweroff -f; }
echo "VTUNE_SRIOV_L1_INIT uptime=$(up)"

while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/$m.ko" || echo "VTUNE_WARN insmod $m failed"
done < /lib/modules/load-order
ip link set lo up

# libvirtd: its state under /run and /var (tmpfs here), qemu.conf runs QEMU as root
# without namespaces or a security driver (TESTENV.md, "libvirt with that guest")
mkdir -p /run/libvirt /var/lib/libvirt/qemu /var/log/libvirt/qemu /var/cache/libvirt/qemu \
	/var/lib/libvirt/images
rm -rf /var/run && ln -s /run /var/run
libvirtd -d -p /run/libvirtd.pid || { echo "VTUNE_SRIOV_ERR libvirtd failed to start"; done_rc 125; }
i=0
while ! virsh -q -c qemu:///system version >/dev/null 2>&1 && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
if ! virsh -q -c qemu:///system version >/dev/null 2>&1; then
	echo "VTUNE_SRIOV_ERR libvirtd not answering; its log:"
	tail -n 30 /var/log/libvirt/libvirtd.log 2>/dev/null
	done_rc 125
fi
echo "VTUNE_SRIOV_L1_READY uptime=$(up)"

rc=0
/bin/l1-test || rc=$?
done_rc $rc
