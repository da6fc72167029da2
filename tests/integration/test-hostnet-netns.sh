#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 150
# bridge_nf and offload knobs on the live kernel: two namespaces A and B,
# each with a bridge, a tap (held open with offloads on, as QEMU would) and
# a veth. bridge-nf off in A only; tso and sg off on A's tap through the
# journal; journal_revert restores both exactly; the ioctl fallback once.
# Then the default offloads-hurt / offloads-help pair driven through
# vtune-hostd (sim backend, A's tap and bridge as a guest's path): checksum
# errors reported by the guest turn TSO/GSO/GRO/SG and tx checksumming off
# on the tap and the bridge; packets to the guest dropped on its tap with no
# more errors turn them back on; revert restores.
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

echo "--- offloads through hostd"
S=${VTUNE_SRC:-$PWD}
HERE=$(cd "$(dirname "$0")" && pwd)
python3 - "$S/policies/default.yaml" "$W/policy.yaml" <<'PY' || fail "cannot cut the offload pair out of default.yaml"
import re, sys
text = open(sys.argv[1]).read()
rules = re.split(r"\n(?=  - name: )", text.split("\nrules:\n", 1)[1].split("\nbaseline:", 1)[0])
keep = [r for r in rules if re.match(r"\s*- name: offloads-(hurt|help)\n", r)]
assert len(keep) == 2, len(keep)
out = "version: 1\nrules:\n" + "\n".join(keep)
out = re.sub(r"for: \w+", "for: 1s", out)
out = re.sub(r"cooldown: \w+", "cooldown: 2s", out)
open(sys.argv[2], "w").write(out + "\n")
PY
mkdir "$W/guests"
printf 'tap vtap0\nbridge br0\nnetns /run/netns/%s\n' "$A" > "$W/guests/vm1.host"
printf 'guest.tcp.csum_errors 5.0\n' > "$W/load"
python3 "$HERE/fakeguest.py" --socket "$W/guests/vm1.sock" --period 0.3 --metric-file "$W/load" \
	> /dev/null 2>&1 & FG=$!
for i in $(seq 50); do [ -S "$W/guests/vm1.sock" ] && break; sleep 0.1; done
offs() { # IF -> "tso gso gro sg txcsum" states
	echo "$(feat "$A" "$1" tx-tcp-segmentation) $(feat "$A" "$1" generic-segmentation-offload) $(feat "$A" "$1" generic-receive-offload) $(feat "$A" "$1" tx-scatter-gather) $(feat "$A" "$1" tx-checksumming)"; }
tap0=$(offs vtap0) br0=$(offs br0)
echo "before: vtap0 $tap0, br0 $br0 (tso gso gro sg txcsum)"
"$B/vtune-hostd" --backend sim --uri "$W/guests" --policy "$W/policy.yaml" --interval 0.3 \
	--journal "$W/hjournal" --control "$W/ctl.sock" --metrics off --no-privsep > "$W/hostd.log" 2>&1 & HD=$!
stop() { kill $HD $FG 2>/dev/null; wait $HD $FG 2>/dev/null; }
waitfor() { for i in $(seq 150); do "$@" && return 0; sleep 0.1; done; return 1; }
alloff() { [ "$(offs vtap0)" = "off off off off off" ] && [ "$(offs br0 | cut -d' ' -f1,4,5)" = "off off off" ]; }
waitfor alloff || { stop; tail "$W/hostd.log"; fail "offloads-hurt: vtap0 $(offs vtap0), br0 $(offs br0)"; }
echo "checksum errors 5/s: vtap0 $(offs vtap0), br0 $(offs br0) (rule offloads-hurt)"
# no more errors; packets to the guest dropped on its tap (nobody reads it)
printf 'guest.tcp.csum_errors 0.0\n' > "$W/load"
ip netns exec "$A" python3 -c '
import socket, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("veth1", 0))
f = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + b"x" * 60
end = time.time() + 12
while time.time() < end:
    for i in range(200):
        s.send(f)
    time.sleep(0.02)' & FL=$!
allon() { [ "$(offs vtap0)" = "$tap0" ] && [ "$(offs br0)" = "$br0" ]; }
waitfor allon; on=$?
kill $FL 2>/dev/null; wait $FL 2>/dev/null
[ $on = 0 ] || { stop; tail "$W/hostd.log"; fail "offloads-help: vtap0 $(offs vtap0), br0 $(offs br0)"; }
echo "tap tx drops, no errors: vtap0 $(offs vtap0), br0 $(offs br0) (rule offloads-help)"
stop
grep -c '"kind":"offload"' "$W/hjournal" > /dev/null || fail "no offload records"
"$B/vtune" revert --all --journal "$W/hjournal" > "$W/revert.out" 2>&1 || fail "revert: $(cat "$W/revert.out")"
[ "$(offs vtap0)" = "$tap0" ] && [ "$(offs br0)" = "$br0" ] || fail "revert: vtap0 $(offs vtap0), br0 $(offs br0)"
echo "revert: vtap0 $(offs vtap0), br0 $(offs br0)"

echo "ok: bridge-nf per namespace, tap offloads through the journal, exact revert, ioctl fallback, offloads-hurt / offloads-help through hostd"
