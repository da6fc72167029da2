# SPDX-License-Identifier: GPL-2.0-or-later
# kvm-e2e-lib.sh: shell helpers for the end-to-end tests against a private
# libvirtd (sourced, not a test). A private network namespace with a bridge
# br0, and libvirtd in it and in a private mount namespace that holds its own
# /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt,
# /var/cache/libvirt, /etc/passwd and /etc/group (with the libvirt-qemu
# user), so the machine's own libvirt setup is never touched
# (/work/shared/TESTENV.md, "libvirt with that guest"; the same recipe as
# tests/integration/test-kvm-libvirt.sh).
#
#   ke_init PREFIX          KE_W (work dir, short path), KE_NS (netns), KE_URI
#   ke_libvirt_start        netns + br0 (10.10.0.1/24) + libvirtd; KE_LPID
#   ke_in_ns CMD...         run CMD in libvirtd's mount and network namespaces
#   ke_libvirt_restart      stop libvirtd (guests keep running), start it again
#                           in the same namespaces; KE_LPID is the new one
#   ke_virsh ARGS...        virsh against the private libvirtd
#   ke_wait_until T DESC CMD...   poll CMD every 0.2 s for up to T seconds
#   ke_phase NAME           print the time the previous phase took, start NAME
#   ke_cleanup              stop everything ke_* started (idempotent)
#
# Every process is stopped by its own id; the caller adds its own (hostd) to
# KE_PIDS so ke_cleanup stops it first.

KE_W= KE_NS= KE_URI= KE_LPID= KE_PIDS= KE_DOMS=
KE_T0= KE_PHASE= KE_PHASE_T=

ke_now() { date +%s.%N; }

# ke_phase NAME: close the current phase (print its duration), start NAME.
ke_phase() {
	_t=$(ke_now)
	[ -n "$KE_T0" ] || KE_T0=$_t
	if [ -n "$KE_PHASE" ]; then
		awk -v a="$KE_PHASE_T" -v b="$_t" -v t0="$KE_T0" -v n="$KE_PHASE" \
			'BEGIN { printf "TIME %-28s %6.1fs  (total %6.1fs)\n", n, b - a, b - t0 }'
	fi
	KE_PHASE=$1 KE_PHASE_T=$_t
}

# ke_wait_until TIMEOUT_S DESCRIPTION CMD...: 0 as soon as CMD succeeds,
# 1 (with a message) after TIMEOUT_S seconds.
ke_wait_until() {
	_lim=$1 _desc=$2; shift 2
	_end=$(awk -v n="$(ke_now)" -v l="$_lim" 'BEGIN { printf "%.0f", n + l }')
	while :; do
		"$@" && return 0
		[ "$(date +%s)" -lt "$_end" ] || { echo "timed out after ${_lim}s waiting for: $_desc"; return 1; }
		sleep 0.2
	done
}

ke_init() {
	KE_NS=$1-$$
	KE_W=$(mktemp -d "/tmp/$1.XXXXXX") || return 1
	KE_URI="qemu:///system?socket=$KE_W/run/libvirt-sock"
}

ke_virsh() { virsh -q -c "$KE_URI" "$@"; }

ke_in_ns() {
	nsenter --mount="/proc/$KE_LPID/ns/mnt" --net="/run/netns/$KE_NS" "$@"
}

ke_libvirt_start() {
	ip netns add "$KE_NS" || return 1
	ip -n "$KE_NS" link set lo up &&
	ip -n "$KE_NS" link add br0 type bridge &&
	ip -n "$KE_NS" addr add 10.10.0.1/24 dev br0 &&
	ip -n "$KE_NS" link set br0 up || return 1

	mkdir -p "$KE_W/etc/qemu" "$KE_W/run" "$KE_W/lib/qemu" "$KE_W/log/qemu" \
		"$KE_W/cache/qemu" || return 1
	cat > "$KE_W/etc/qemu.conf" <<'C'
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
namespaces = [ ]
C
	cat > "$KE_W/etc/libvirtd.conf" <<'C'
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
C
	cp /etc/passwd "$KE_W/passwd" && cp /etc/group "$KE_W/group" || return 1
	grep -q '^kvm:' "$KE_W/group" || echo 'kvm:x:990:' >> "$KE_W/group"
	grep -q '^libvirt-qemu:' "$KE_W/group" || echo 'libvirt-qemu:x:991:' >> "$KE_W/group"
	grep -q '^libvirt-qemu:' "$KE_W/passwd" ||
		echo 'libvirt-qemu:x:991:990::/var/lib/libvirt:/usr/sbin/nologin' >> "$KE_W/passwd"

	# nsenter, not `ip netns exec` (which remounts /sys and hides the cgroup
	# mounts: pinning would fail).
	unshare -m --propagation private sh -c "
		mount --bind '$KE_W/etc' /etc/libvirt &&
		mkdir -p /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt &&
		mount --bind '$KE_W/run' /run/libvirt &&
		mount --bind '$KE_W/lib' /var/lib/libvirt &&
		mount --bind '$KE_W/log' /var/log/libvirt &&
		mount --bind '$KE_W/cache' /var/cache/libvirt &&
		mount --bind '$KE_W/passwd' /etc/passwd &&
		mount --bind '$KE_W/group' /etc/group &&
		exec nsenter --net=/run/netns/$KE_NS libvirtd -d -p '$KE_W/libvirtd.pid'" || return 1
	KE_LPID=$(cat "$KE_W/libvirtd.pid" 2>/dev/null)
	[ -n "$KE_LPID" ] || return 1
	# the first start probes QEMU's capabilities (about 9 s, more when loaded)
	ke_wait_until 90 "libvirtd answering" ke_virsh version >/dev/null 2>&1
}

ke_libvirt_restart() {
	# fd 9 holds the mount namespace while no libvirtd is in it
	exec 9<"/proc/$KE_LPID/ns/mnt" || return 1
	ke_stop "$KE_LPID" 10
	rm -f "$KE_W/libvirtd.pid"
	nsenter --mount=/dev/fd/9 --net="/run/netns/$KE_NS" libvirtd -d -p "$KE_W/libvirtd.pid"
	_rc=$?
	exec 9<&-
	[ "$_rc" = 0 ] || return 1
	KE_LPID=$(cat "$KE_W/libvirtd.pid" 2>/dev/null)
	[ -n "$KE_LPID" ] || return 1
	ke_wait_until 60 "libvirtd answering again" ke_virsh version >/dev/null 2>&1
}

# ke_alive PID: the process exists (and is not a zombie).
ke_alive() {
	[ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# ke_stop PID [SECONDS]: SIGTERM, wait, then SIGKILL.
ke_stop() {
	ke_alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	_i=0
	while ke_alive "$1" && [ $_i -lt $((${2:-5} * 10)) ]; do sleep 0.1; _i=$((_i + 1)); done
	ke_alive "$1" && kill -KILL "$1" 2>/dev/null
	return 0
}

ke_cleanup() {
	for _p in $KE_PIDS; do ke_stop "$_p" 5; done
	KE_PIDS=
	if [ -n "$KE_LPID" ] && ke_alive "$KE_LPID"; then
		for _d in $KE_DOMS; do
			_qp=$(cat "$KE_W/run/qemu/$_d.pid" 2>/dev/null)
			timeout 20 virsh -q -c "$KE_URI" destroy "$_d" >/dev/null 2>&1
			[ -n "$_qp" ] && ke_stop "$_qp" 5
		done
		ke_stop "$KE_LPID" 10
	fi
	KE_LPID=
	if [ -n "$KE_NS" ] && [ -e "/run/netns/$KE_NS" ]; then
		for _p in $(ip netns pids "$KE_NS" 2>/dev/null); do ke_stop "$_p" 3; done
		ip netns del "$KE_NS" 2>/dev/null
	fi
	if [ -n "$KE_W" ] && [ -d "$KE_W" ]; then
		if [ -n "${VTUNE_KEEP:-}" ]; then echo "kept $KE_W"; else rm -rf "$KE_W"; fi
	fi
	KE_W=
}
