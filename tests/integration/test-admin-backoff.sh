#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-admin-backoff: vtune-hostd never fights an administrator, on the host
# side too. A namespace with a bridge and a tap (held open with offloads on,
# as QEMU holds one) is a guest's network path (sim backend); two host rules
# keep firing: bridge-nf off, TSO off on the tap. Once both are made
# (journaled), an administrator turns bridge-nf-call-iptables and TSO back
# on by hand: hostd leaves them alone (no new record, the values stay),
# says so once in its log, and `vtune status` and `vtune report` list them
# under "left alone". A revert then finds the administrator's values (the
# originals) and writes nothing over them.
set -u
B=${VTUNE_BUILD:-$PWD/build}
HERE=$(cd "$(dirname "$0")" && pwd)
H=$B/vtune-hostd
V=$B/vtune
NS=vtab-$$
TMP=$(mktemp -d) || exit 1
PIDS=

fail() {
	echo "FAIL: test-admin-backoff: $*" >&2
	echo "--- hostd log" >&2; tail -n 30 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$H" ] || fail "build first (make)"
command -v ethtool >/dev/null || { echo "SKIP: ethtool not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

ip netns add "$NS" || fail "ip netns add"
ip -n "$NS" link set lo up
ip -n "$NS" link add br0 type bridge || fail bridge
ip -n "$NS" tuntap add dev vtap0 mode tap vnet_hdr || fail tap
ip -n "$NS" link set vtap0 master br0 up
ip -n "$NS" link set br0 up
ip netns exec "$NS" sh -c '[ -d /proc/sys/net/bridge ]' || modprobe br_netfilter 2>/dev/null
for i in 1 2 3 4 5; do ip netns exec "$NS" sh -c '[ -d /proc/sys/net/bridge ]' && break; sleep 0.2; done
ip netns exec "$NS" sh -c '[ -d /proc/sys/net/bridge ]' || { echo "SKIP: no br_netfilter"; exit 77; }
ip netns exec "$NS" sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
	net.bridge.bridge-nf-call-ip6tables=1 net.bridge.bridge-nf-call-arptables=1 || fail sysctl

# hold the tap open with TSO on (a tap nobody opened keeps TSO off)
cat > "$TMP/holder.py" <<'PY'
import fcntl, os, struct, time
TUNSETIFF, TUNSETOFFLOAD = 0x400454ca, 0x400454d0
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", b"vtap0", 0x0002 | 0x1000 | 0x4000))
fcntl.ioctl(fd, TUNSETOFFLOAD, 0x01 | 0x02 | 0x04)
print("ready", flush=True)
time.sleep(110)
PY
ip netns exec "$NS" python3 "$TMP/holder.py" > "$TMP/holder.out" 2>&1 & PIDS="$PIDS $!"
for i in $(seq 25); do grep -q ready "$TMP/holder.out" 2>/dev/null && break; sleep 0.2; done
grep -q ready "$TMP/holder.out" || fail "tap holder did not start"
tso() { ip netns exec "$NS" ethtool -k vtap0 | sed -n 's/^[[:space:]]*tx-tcp-segmentation: \([a-z]*\).*/\1/p'; }
brnf() { ip netns exec "$NS" cat /proc/sys/net/bridge/bridge-nf-call-iptables; }
[ "$(tso)" = on ] || fail "TSO not on at start"

mkdir "$TMP/guests"
printf 'tap vtap0\nbridge br0\nnetns /run/netns/%s\n' "$NS" > "$TMP/guests/vm1.host"
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: nf-off
    when: host.bridge_nf == 1
    cooldown: 1s
    host:
      - bridge_nf: off
  - name: tso-off
    when: guest.cpu.steal >= 0
    cooldown: 1s
    host:
      - offload: { features: [tso], state: off, on: tap }
YAML
python3 "$HERE/fakeguest.py" --socket "$TMP/guests/vm1.sock" --period 0.3 \
	--metric guest.cpu.steal=1.5 > /dev/null 2>&1 & PIDS="$PIDS $!"
for i in $(seq 50); do [ -S "$TMP/guests/vm1.sock" ] && break; sleep 0.1; done
"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.3 \
	--journal "$TMP/journal" --control "$TMP/ctl.sock" --metrics off --no-privsep \
	> "$TMP/hostd.log" 2>&1 & PIDS="$PIDS $!"

wait_until() { # SECONDS what CMD...
	t=$1 what=$2; shift 2
	for i in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done
	fail "$what"
}
is() { [ "$($1)" = "$2" ]; }
wait_until 10 "hostd never turned bridge-nf off" is brnf 0
wait_until 10 "hostd never turned TSO off" is tso off
grep -q '"kind":"bridge_nf".*"guest":"vm1"' "$TMP/journal" || fail "host record does not name its guest"
sets=$(grep -c '"op":"set"' "$TMP/journal")
echo "hostd made them: bridge-nf 0, tso off ($sets records)"

# the administrator takes them back
ip netns exec "$NS" sysctl -qw net.bridge.bridge-nf-call-iptables=1
ip netns exec "$NS" ethtool -K vtap0 tso on > /dev/null 2>&1
said() { [ "$(grep -c 'changed by someone else' "$TMP/hostd.log")" -ge 2 ]; }
wait_until 10 "hostd did not say it leaves them alone" said
sleep 2 # several more firings
[ "$(brnf)" = 1 ] || fail "hostd fought the administrator over bridge-nf"
[ "$(tso)" = on ] || fail "hostd fought the administrator over TSO"
[ "$(grep -c '"op":"set"' "$TMP/journal")" = "$sets" ] || fail "new records after the administrator's change"
grep -q 'bridge_nf /run/netns/.* bridge-nf-call-iptables changed by someone else (now 1): left alone' \
	"$TMP/hostd.log" || fail "bridge-nf back-off not said"
grep -q 'offload vtap0@/run/netns/.* tso changed by someone else (now on): left alone' \
	"$TMP/hostd.log" || fail "offload back-off not said"
# said once each: later firings plan nothing for what the engine no longer manages
[ "$(grep -c 'changed by someone else' "$TMP/hostd.log")" = 2 ] || fail "said more than once"
"$V" status --json --control "$TMP/ctl.sock" > "$TMP/status.json" || fail status
python3 - "$TMP/status.json" <<'PY' || fail "status: $(head -c 900 "$TMP/status.json")"
import json, sys
g = json.load(open(sys.argv[1]))["guests"][0]
la = {x["what"]: x["now"] for x in g["left_alone"]}
assert la == {"bridge_nf": "1", "offload tap": "on"}, la
PY
"$V" report --control "$TMP/ctl.sock" > "$TMP/report.txt" || fail report
grep -q 'left alone' "$TMP/report.txt" && grep -q 'bridge_nf: changed by someone else (now 1): left alone' \
	"$TMP/report.txt" || fail "report: $(cat "$TMP/report.txt")"
# "policies did" lists the host changes made for this guest (lines wrap at 100 columns)
tr '\n' ' ' < "$TMP/report.txt" | tr -s ' ' > "$TMP/report.one"
grep -q 'host bridge_nf /run/netns/[^ ]* bridge-nf-call-iptables 1 -> 0 (rule nf-off)' "$TMP/report.one" &&
	grep -q 'host offload vtap0@[^ ]* tso on -> off (rule tso-off)' "$TMP/report.one" ||
	fail "report does not list the host changes: $(cat "$TMP/report.txt")"
# and what it would do now leaves out what the administrator took over
sed -n '/policies would do/,/left alone/p' "$TMP/report.txt" | grep -q 'bridge_nf off' &&
	fail "the dry plan still plans what the administrator took over"
# a revert finds the administrator's values where the originals were
"$V" revert --all --control "$TMP/ctl.sock" > "$TMP/revert.out" 2>&1
grep -q "reverted offload vtap0@.* tso already on" "$TMP/revert.out" &&
	grep -q "reverted bridge_nf .* bridge-nf-call-iptables already 1" "$TMP/revert.out" ||
	fail "revert: $(cat "$TMP/revert.out")"
[ "$(tso)" = on ] && [ "$(brnf)" = 1 ] || fail "revert changed the administrator's values"
echo "ok: test-admin-backoff"
