#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the L2 guest that sriov-boot puts into the L1 image (/l2/initrd.gz): list the
# PCI devices ("L2PCI addr vendor device class" lines, then "L2LIST n=N gen=G"), and list
# them again each time the set changes (a hot-plugged or removed VF), until powered off.
# Built with modules and /bin/vtune-agent (mkinitramfs), it also runs the agent.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "L2UP uptime=$(cut -d' ' -f1 /proc/uptime)"
# an initramfs built with modules and vtune-agent (test-sriov-kvm's L2 with the agent
# channel): load them, and report to the host daemon over virtio-serial
if [ -f /lib/modules/load-order ]; then
	while read -r m; do [ -z "$m" ] || insmod "/lib/modules/$m.ko" 2>/dev/null; done < /lib/modules/load-order
fi
if [ -x /bin/vtune-agent ]; then
	mkdir -p /var/lib/vtune
	/bin/vtune-agent run --interval 1 --fallback off --no-netlink > /agent.log 2>&1 &
	echo "L2AGENT started"
fi
list() {
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/vendor" ] || continue
		echo "$(basename "$d") $(cat "$d/vendor") $(cat "$d/device") $(cat "$d/class")"
	done
}
prev='' gen=0
while :; do
	now=$(list)
	if [ "$now" != "$prev" ]; then
		gen=$((gen + 1))
		echo "$now" | sed 's/^/L2PCI /'
		echo "L2LIST n=$(echo "$now" | grep -c .) gen=$gen uptime=$(cut -d' ' -f1 /proc/uptime)"
		prev=$now
	fi
	sleep 1
done
