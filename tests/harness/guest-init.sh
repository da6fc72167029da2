#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init template for vtune test guests (busybox-static + Debian kernel modules): mount the
# pseudo file systems, load /lib/modules in load-order, set up lo and eth0 (vtune.ip=),
# print VTUNE_READY, run /bin/guest-test if present (VTUNE_TEST_RC=N), power off.
# Note: busybox sh prefers its applets over /bin files of the same name: call yours by path.
# busybox applet links are made by mkinitramfs (a FILE in /bin wins over an applet)
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null || mount -t tmpfs dev /dev
mkdir -p /dev/pts /dev/shm /dev/virtio-ports
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmp /tmp
up() { cut -d' ' -f1 /proc/uptime; }
echo "VTUNE_INIT uptime=$(up)"

if [ -f /lib/modules/load-order ]; then
	while read -r m; do
		[ -n "$m" ] || continue
		insmod "/lib/modules/$m.ko" || echo "VTUNE_WARN insmod $m failed"
	done < /lib/modules/load-order
fi

# kernel arguments: vtune.ip=ADDR/PLEN, vtune.gw=ADDR, vtune.shell (stay up with a
# console shell instead of powering off)
IP='' GW='' SHELL_AFTER=''
for a in $(cat /proc/cmdline); do
	case $a in
	vtune.ip=*) IP=${a#vtune.ip=} ;;
	vtune.gw=*) GW=${a#vtune.gw=} ;;
	vtune.shell) SHELL_AFTER=1 ;;
	esac
done

# virtio-serial ports by name, as udev would link them (the vportNpM number varies);
# if a virtio-serial device (virtio id 3) exists, give its ports a moment to appear
if grep -qx 0x0003 /sys/bus/virtio/devices/*/device 2>/dev/null; then
	i=0
	while ! ls /sys/class/virtio-ports/vport* >/dev/null 2>&1 && [ $i -lt 20 ]; do
		sleep 0.05; i=$((i + 1))
	done
fi
for p in /sys/class/virtio-ports/vport*; do
	[ -e "$p/name" ] || continue
	n=$(cat "$p/name"); d=$(cat "$p/dev"); node=/dev/${p##*/}
	[ -e "$node" ] || mknod "$node" c "${d%%:*}" "${d##*:}"
	[ -n "$n" ] && ln -sf "$node" "/dev/virtio-ports/$n"
	echo "VTUNE_PORT name=$n node=$node"
done

ip link set lo up
if [ -n "$IP" ]; then
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
	if [ -e /sys/class/net/eth0 ]; then
		ip addr add "$IP" dev eth0 && ip link set eth0 up
		[ -n "$GW" ] && ip route add default via "$GW"
		echo "VTUNE_NET eth0 $IP"
	else
		echo "VTUNE_WARN vtune.ip=$IP given but no eth0"
	fi
fi

echo "VTUNE_READY uptime=$(up)"
if [ -x /bin/guest-test ]; then
	rc=0
	/bin/guest-test || rc=$?
	echo "VTUNE_TEST_RC=$rc"
fi
if [ -n "$SHELL_AFTER" ]; then
	echo "VTUNE_SHELL"
	setsid cttyhack sh || true
fi
sync
echo "VTUNE_POWEROFF uptime=$(up)"
poweroff -f
