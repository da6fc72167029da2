#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-guest-seeds: the seeds' guest actions over protocol 2, end to end, in a real
# Debian 6.1 guest under QEMU TCG (2 vCPUs, a virtio-net NIC with 2 queue pairs on a
# multiqueue tap) with `vtune-agent run` on its virtio-serial port and vtune-hostd (sim
# backend, the port as its guest's channel) asking for actions (policy e2e-seeds.yaml),
# `vtune bench crr` loading the guest from the host throughout:
#  1. channels: the guest uses 1 queue pair of 2 (ethtool -L); hostd asks
#     "channels: max", the agent sets 2 through ethtool netlink;
#  2. irq: both virtio input IRQs are then put on CPU 0; hostd asks "irq: spread",
#     the agent gives each its own CPU (smp_affinity_list);
#  3. tcp_mem "4 8 16": memory pressure; hostd asks "tcp_mem scale 2", the agent
#     plans three numbers within its own memory bound;
#  4. nf_conntrack_max 64 with an nftables ct rule: "table full" in the guest's
#     kernel log, read by the agent (vtune report shows the line); hostd raises
#     nf_conntrack_max;
#  then, the load stopped and hostd's policy emptied (SIGHUP), `vtune revert --all`
#  through hostd puts every one back in the guest.
# timeout: 180
set -u

B=${VTUNE_BUILD:?VTUNE_BUILD not set}
S=${VTUNE_SRC:-$(pwd)}
H=$S/tests/harness
V=$B/vtune
skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*"
	[ -f "$dir/console.log" ] && tr -d '\r' < "$dir/console.log" | grep -v '^[A-Za-z0-9+/=]*$' | tail -n 40
	[ -f "$dir/hostd.log" ] && { echo "--- hostd"; tail -n 30 "$dir/hostd.log"; }
	exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root (network namespace, tap)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
for t in nft ethtool python3; do command -v $t >/dev/null || skip "$t not installed"; done
for f in vtune-agent.static tests/tools/holdsrv.static; do
	[ -x "$B/$f" ] || make -C "$S" -s B="$B" "$B/$f" >/dev/null 2>&1 || skip "cannot build $B/$f"
done
"$H/guest-kernel" cloud >/dev/null 2>&1 || skip "no guest kernel (guest-kernel cloud failed)"

dir=$(mktemp -d /tmp/vt-seeds.XXXXXX)
ns=vtseg$$
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	"$H/stop-guest" "$dir" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	if [ -n "${VTUNE_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cp "$B/vtune-agent.static" "$dir/vtune-agent"
cp "$B/tests/tools/holdsrv.static" "$dir/holdsrv"
cp "$S/tests/fixtures/policies/e2e-seeds.yaml" "$dir/policy.yaml"
cat > "$dir/guest-test" <<'EOF'
#!/bin/sh
mkdir -p /www && echo hello > /www/index.html
httpd -p 8080 -h /www
/bin/ethtool -L eth0 combined 1 || echo "VTUNE_WARN ethtool -L"
comb() { /bin/ethtool -l eth0 | awk '/^Current/ { c = 1 } c && /^Combined/ { print $2; exit }'; }
inputs() { awk '/virtio[0-9]*-input/ { sub(":", "", $1); print $1 }' /proc/interrupts; }
aff() { for i in $(inputs); do printf '%s ' "$(cat /proc/irq/$i/smp_affinity_list)"; done; }
waitfor() { # WHAT COMMAND VALUE: up to 60 s
	i=0
	until [ "$(eval "$2")" = "$3" ]; do
		i=$((i + 1)); [ $i -lt 300 ] || { echo "VTUNE_TIMEOUT $1: $(eval "$2")"; return 1; }; sleep 0.2
	done
	echo "VTUNE_$1 $(eval "$2")"
}
/bin/vtune-agent run --interval 1 --journal /var/lib/vtune/j > /tmp/agent.log 2>&1 &
echo "VTUNE_QUEUES $(comb)"
waitfor CHANNELS comb 2 || exit 1
for i in $(inputs); do echo 0 > /proc/irq/$i/smp_affinity_list; done
echo "VTUNE_PINNED $(aff)"
waitfor SPREAD aff "0 1 " || exit 1
tcpmem() { tr '\t' ' ' < /proc/sys/net/ipv4/tcp_mem; }
# 4 MiB sent on loopback to a server that never reads: TCP memory held
/bin/holdsrv --port 9300 --for 300 > /dev/null &
HOLD=$!
sleep 0.5
dd if=/dev/zero bs=65536 count=64 2>/dev/null | nc 127.0.0.1 9300 &
FILL=$!
sysctl -qw net.ipv4.tcp_mem="4 8 16"
waitfor TCPMEM tcpmem "1024 1024 1024" || exit 1
kill $FILL $HOLD 2>/dev/null
/bin/nft add table ip vt && /bin/nft add chain ip vt in '{ type filter hook input priority 0; }' &&
	/bin/nft add rule ip vt in ct state new,established accept
ctmax() { cat /proc/sys/net/netfilter/nf_conntrack_max; }
sysctl -qw net.netfilter.nf_conntrack_max=64
waitfor CTMAX ctmax 16384 || exit 1
echo "VTUNE_ASK_REVERT"
# the IRQs' affinity is put back before the channels (newest first), and
# going back to one queue pair sets it again: the journals say it was
waitfor REVERTED 'echo $(comb) $(tcpmem) $(ctmax)' "1 4 8 16 64" || exit 1
grep -c '"op":"reverted"' /var/lib/vtune/j | sed 's/^/VTUNE_AGENT_REVERTED /'
grep '"op":"reverted"' /var/lib/vtune/j | grep -q '"kind":"irq"' || { echo "VTUNE_NO_IRQ_REVERT"; exit 1; }
sed 's/^/GUEST_AGENT_LOG: /' /tmp/agent.log | grep -v ': sample' | tail -n 30
EOF
chmod +x "$dir/guest-test"

VTUNE_EXTRA_MODULES="nf_tables nft_ct inet_diag tcp_diag" "$H/mkinitramfs" "$dir/initramfs.gz" \
	"$H/guest-init.sh" "$dir/guest-test" "$dir/vtune-agent" "$dir/holdsrv" "$(command -v nft)" \
	"$(command -v ethtool)" > "$dir/mkinitramfs.log" 2>&1 || fail "mkinitramfs: $(tail -n 3 "$dir/mkinitramfs.log")"
ip netns add "$ns" || fail "cannot add namespace $ns"
ip -n "$ns" link set lo up
t0=$(date +%s)
"$H/boot-guest" "$dir" --netns "$ns" --tap vtsg0 --queues 2 --smp 2 \
	--append 'vtune.ip=10.94.0.2/24' --wait 90 || fail "the guest did not boot"
ip -n "$ns" addr add 10.94.0.1/24 dev vtsg0

# hostd, its guest's channel the guest's virtio-serial port (a hard link: sim
# takes every DIR/NAME.sock)
mkdir "$dir/sim"
ln "$dir/agent.sock" "$dir/sim/g1.sock" || fail "cannot link the agent socket"
"$B/vtune-hostd" --backend sim --uri "$dir/sim" --policy "$dir/policy.yaml" \
	--interval 1 --journal "$dir/hjournal" --control "$dir/ctl.sock" --metrics off --no-privsep \
	> "$dir/hostd.log" 2>&1 &
hostd=$!
pids="$pids $hostd"
# load from the host until the revert
ip netns exec "$ns" "$V" bench crr -t 1 -c 4 -d 170 --timeout 1 10.94.0.2:8080 > "$dir/load.log" 2>&1 &
load=$!
pids="$pids $load"

w() { "$H/wait-for" "$dir/console.log" "$1" "$2" "$dir/qemu.pid" > /dev/null || fail "no '$1' from the guest"; }
w '^VTUNE_CHANNELS 2' 60
w '^VTUNE_SPREAD 0 1' 60
w '^VTUNE_TCPMEM' 60
w '^VTUNE_CTMAX' 60
t1=$(date +%s)
# the guest's kernel log, as its agent read it, in vtune report
"$V" report --json --control "$dir/ctl.sock" > "$dir/report.json" 2>&1 || fail "vtune report: $(head -c 300 "$dir/report.json")"
python3 - "$dir/report.json" <<'PY' || fail "report: no 'table full' line: $(head -c 2000 "$dir/report.json")"
import json, sys
g = json.load(open(sys.argv[1]))["guests"][0]
assert "table full, dropping packet" in g["kmsg"]["latest"], g.get("kmsg")
row = [r for r in g["side_by_side"] if r["what"] == "kernel log"][0]
assert "table full" in row["guest"], row
PY
w VTUNE_ASK_REVERT 10
# nothing fires again: no load, no rule
kill "$load" 2>/dev/null
printf 'version: 1\nrules: []\n' > "$dir/policy.yaml"
kill -HUP "$hostd"
sleep 2
grep -q "reloaded: 0 rules" "$dir/hostd.log" || fail "hostd did not reload the empty policy"
"$V" revert --all --control "$dir/ctl.sock" > "$dir/revert.out" 2>&1 || fail "revert: $(cat "$dir/revert.out")"
w '^VTUNE_REVERTED' 60
w '^VTUNE_TEST_RC=' 30
tr -d '\r' < "$dir/console.log" | grep -qx 'VTUNE_TEST_RC=0' || fail "the guest's test failed"

# the host's journal: one applied record per action, each reverted by the guest
python3 - "$dir/hjournal" <<'PY' || fail "host journal: $(cat "$dir/hjournal")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sets = {r["seq"]: r for r in recs if r.get("op") == "set"}
done = {r["ref"]: r for r in recs if r.get("op") == "applied"}
back = {r["ref"] for r in recs if r.get("op") == "reverted"}
want = {("channels", "max"), ("irq", "spread"), ("sysctl", "net.ipv4.tcp_mem"),
        ("sysctl", "net.netfilter.nf_conntrack_max")}
have = {(sets[s]["kind"], sets[s]["key"]) for s in done}
assert want <= have, (want, have)
assert all(s in back for s in done), "not all reverted"
tm = [done[s] for s in done if sets[s]["key"] == "net.ipv4.tcp_mem"][0]
assert "4 8 16" in tm.get("detail", "") or tm.get("old") == "4 8 16", tm
PY
grep -q 'table full' "$dir/console.log" || true
echo "PASS: channels 1->2, IRQs on CPU 0 -> spread, tcp_mem 4 8 16 -> 1024 1024 1024, nf_conntrack_max 64 -> 16384 in $((t1 - t0)) s over protocol 2; all reverted through hostd"
