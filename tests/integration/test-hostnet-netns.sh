#!/bin/sh
# timeout: 120
# bridge_nf and offload knobs on the live kernel: two namespaces A and B,
# each with a bridge, a tap (held open with offloads on, as QEMU would) and
# a veth. bridge-nf off in A only; tso and sg off on A's tap through the
# journal; journal_revert restores both exactly; the ioctl fallback once.
set -u
B=${VTUNE_BUILD:-$PWD/build}
T=$B/tests/test_hostnet_live
A=vthn-a-$$
NB=vthn-b-$$
W=$(mktemp -d)
HOLDER=
cleanup() {
	[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
	for ns in "$A" "$NB"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$T" ] || fail "$T not built"
command -v ethtool >/dev/null || { echo "SKIP: ethtool not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

for ns in "$A" "$NB"; do
	ip netns add "$ns" || fail "ip netns add $ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link add br0 type bridge || fail "bridge in $ns"
	ip -n "$ns" tuntap add dev vtap0 mode tap vnet_hdr || fail "tap in $ns"
	ip -n "$ns" link add veth0 type veth peer name veth1 || fail "veth in $ns"
	for l in vtap0 veth0; do ip -n "$ns" link set "$l" master br0 up; done
	ip -n "$ns" link set veth1 up
	ip -n "$ns" link set br0 up
done

# br_netfilter may be a module or built in; bridge-nf-* are per namespace.
ip netns exec "$A" sh -c '[ -d /proc/sys/net/bridge ]' || modprobe br_netfilter 2>/dev/null
for i in 1 2 3 4 5; do
	ip netns exec "$A" sh -c '[ -d /proc/sys/net/bridge ]' && break
	sleep 0.2
done
ip netns exec "$A" sh -c '[ -d /proc/sys/net/bridge ]' ||
	{ echo "SKIP: /proc/sys/net/bridge never appeared (no br_netfilter)"; exit 77; }
for ns in "$A" "$NB"; do
	ip netns exec "$ns" sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
		net.bridge.bridge-nf-call-ip6tables=1 || fail "sysctl in $ns"
done

# Hold A's tap open with TSO offload enabled (TUNSETOFFLOAD), like QEMU:
# a tap nobody opened keeps TSO off whatever is requested.
cat > "$W/holder.py" <<'PY'
import fcntl, os, struct, sys, time
TUNSETIFF, TUNSETOFFLOAD = 0x400454ca, 0x400454d0
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", b"vtap0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
fcntl.ioctl(fd, TUNSETOFFLOAD, 0x01 | 0x02 | 0x04)   # CSUM, TSO4, TSO6
print("ready", flush=True)
time.sleep(110)
PY
ip netns exec "$A" python3 "$W/holder.py" > "$W/holder.out" 2>&1 &
HOLDER=$!
for i in $(seq 1 25); do grep -q ready "$W/holder.out" 2>/dev/null && break; sleep 0.2; done
grep -q ready "$W/holder.out" || { cat "$W/holder.out"; fail "tap holder did not start"; }

feat() { # NS IF FEATURE -> on/off
	ip netns exec "$1" ethtool -k "$2" | sed -n "s/^[[:space:]]*$3: \([a-z]*\).*/\1/p"
}
brnf() { ip netns exec "$1" cat /proc/sys/net/bridge/bridge-nf-call-iptables; }

[ "$(feat "$A" vtap0 tx-tcp-segmentation)" = on ] || fail "tap TSO not on at start"
[ "$(feat "$A" vtap0 tx-scatter-gather)" = on ] || fail "tap SG not on at start"

export VTUNE_LIVE_NETNS=$A VTUNE_LIVE_NETNS_B=$NB VTUNE_LIVE_TAP=vtap0 \
	VTUNE_LIVE_VETH=veth1 VTUNE_LIVE_JOURNAL=$W/journal

echo "--- apply"
VTUNE_LIVE_PHASE=apply "$T" || fail "apply phase"
[ "$(brnf "$A")" = 0 ] || fail "A bridge-nf-call-iptables is $(brnf "$A"), want 0"
[ "$(brnf "$NB")" = 1 ] || fail "B bridge-nf-call-iptables is $(brnf "$NB"), want 1"
[ "$(feat "$A" vtap0 tx-tcp-segmentation)" = off ] || fail "tap TSO still on"
[ "$(feat "$A" vtap0 tx-scatter-gather)" = off ] || fail "tap SG still on"
[ "$(feat "$NB" vtap0 tx-scatter-gather)" = on ] || fail "B's tap SG changed"
grep -q '"op":"applied"' "$W/journal" || fail "no applied record in the journal"

echo "--- revert"
VTUNE_LIVE_PHASE=revert "$T" || fail "revert phase"
[ "$(brnf "$A")" = 1 ] || fail "A bridge-nf-call-iptables not restored"
[ "$(ip netns exec "$A" cat /proc/sys/net/bridge/bridge-nf-call-arptables)" = \
  "$(ip netns exec "$NB" cat /proc/sys/net/bridge/bridge-nf-call-arptables)" ] ||
	fail "A bridge-nf-call-arptables not restored"
[ "$(feat "$A" vtap0 tx-tcp-segmentation)" = on ] || fail "tap TSO not restored"
[ "$(feat "$A" vtap0 tx-scatter-gather)" = on ] || fail "tap SG not restored"

echo "--- ioctl fallback"
g0=$(feat "$A" veth1 rx-gro)
VTUNE_LIVE_PHASE=ioctl "$T" || fail "ioctl phase"
[ "$(feat "$A" veth1 rx-gro)" = "$g0" ] || fail "veth1 GRO not back to $g0"

echo "ok: bridge-nf per namespace, tap offloads through the journal, exact revert, ioctl fallback"
