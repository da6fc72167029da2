#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-agent-vport: a real Debian 6.1 guest under QEMU TCG runs `vtune-agent run` on the
# virtio-serial port; a python host on DIR/agent.sock checks hello, reports, a disconnect
# and reconnect, an apply of net.core.somaxconn (4096 -> 8192) and a revert, in the guest.
# The python host speaks protocol 1 only: the agent (which offers 1..2) must agree on 1 and
# serve an older host daemon exactly as before.
# timeout: 240
set -u

B=${VTUNE_BUILD:?VTUNE_BUILD not set}
S=${VTUNE_SRC:-$(pwd)}
H=$S/tests/harness
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
command -v python3 >/dev/null || skip "python3 not installed"
agent=$B/vtune-agent.static
if [ ! -x "$agent" ]; then
	make -C "$S" -s B="$B" "$B/vtune-agent.static" >/dev/null 2>&1 || skip "cannot build $agent"
fi
"$H/guest-kernel" cloud >/dev/null 2>&1 || skip "no guest kernel (guest-kernel cloud failed)"

# short path: unix socket names are limited
dir=$(mktemp -d /tmp/vt-vport.XXXXXX)
cleanup() {
	"$H/stop-guest" "$dir" 2>/dev/null
	if [ "${keep:-0}" = 1 ] || [ -n "${VTUNE_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The guest: the agent in the background, and a watcher that prints every value
# net.core.somaxconn takes (SOMAXCONN=V), so the host can wait for each step; done
# after 4096 -> 8192 -> 4096, or after 150 s.
cat > "$dir/guest-test" <<'EOF'
#!/bin/sh
/bin/vtune-agent run --interval 1 --journal /tmp/j > /tmp/agent.log 2>&1 &
echo "GUEST_AGENT_PID=$!"
last='' seen='' i=0
while [ $i -lt 750 ]; do
	v=$(cat /proc/sys/net/core/somaxconn)
	if [ "$v" != "$last" ]; then
		echo "SOMAXCONN=$v"
		last=$v seen="$seen $v"
	fi
	case "$seen" in *" 4096 8192 4096"*) break ;; esac
	sleep 0.2
	i=$((i + 1))
done
echo "GUEST_FINAL: $(sysctl net.core.somaxconn)"
sed 's/^/GUEST_AGENT_LOG: /' /tmp/agent.log
case "$seen" in *" 4096 8192 4096"*) exit 0 ;; esac
exit 1
EOF
chmod 755 "$dir/guest-test"

# the agent goes in as /bin/vtune-agent
cp "$agent" "$dir/vtune-agent"
"$H/mkinitramfs" "$dir/initramfs.gz" "$H/guest-init.sh" "$dir/guest-test" "$dir/vtune-agent" \
	>"$dir/mkinitramfs.log" 2>&1 || { cat "$dir/mkinitramfs.log"; fail "mkinitramfs"; }

"$H/boot-guest" "$dir" --wait 60 || fail "guest did not boot"
"$H/wait-for" "$dir/console.log" '^GUEST_AGENT_PID=' 30 "$dir/qemu.pid" || fail "agent not started"

cat > "$dir/host.py" <<'EOF'
# The host side of the channel: a minimal vtune-hostd speaking protocol 1 only.
import json, os, socket, subprocess, sys, time

d = sys.argv[1]
harness = sys.argv[2]
sock_path = os.path.join(d, "agent.sock")
console = os.path.join(d, "console.log")

def fail(msg):
    print("host: FAIL: " + msg, flush=True)
    sys.exit(1)

class Chan:
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(sock_path)
        self.buf = b""

    def line(self, deadline):
        while b"\n" not in self.buf:
            if time.time() > deadline:
                fail("timed out waiting for a line from the agent")
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                fail("agent channel closed")
            self.buf += chunk
        l, self.buf = self.buf.split(b"\n", 1)
        return l

    def msg(self, timeout=30, skip_junk=False):
        deadline = time.time() + timeout
        while True:
            l = self.line(deadline)
            if b"\xff" in l:          # resync: drop what came before it
                l = l.rsplit(b"\xff", 1)[1]
            if not l.strip():
                continue
            try:
                return json.loads(l)
            except ValueError:
                if skip_junk:
                    continue
                fail("not JSON: %r" % l[:200])

    def until(self, typ, timeout=30):
        deadline = time.time() + timeout
        while True:
            m = self.msg(max(1, deadline - time.time()), skip_junk=True)
            if m.get("type") == typ:
                return m
            if time.time() > deadline:
                fail("no %s message" % typ)

    def send(self, obj):
        self.s.sendall(json.dumps(obj, separators=(",", ":")).encode() + b"\n")

    def close(self):
        self.s.close()

HELLO = {"v": 1, "type": "hello", "role": "host", "version": "0.1.0",
         "min_v": 1, "max_v": 1, "caps": ["sysctl"]}

def handshake(c):
    h = c.until("hello", 60)
    if h.get("role") != "agent" or h.get("min_v") != 1 or h.get("max_v", 0) < 1 \
            or "sysctl" not in h.get("caps", []):
        fail("bad hello %r" % h)
    print("host: agent hello %s caps %s" % (h["version"], h["caps"]), flush=True)
    c.s.sendall(b"\xff\n")
    c.send(HELLO)

def reports(c, n):
    last = None
    for _ in range(n):
        r = c.until("report", 30)
        m = r["sample"].get("metrics", {})
        if "guest.tcp.passive_opens" not in m:
            fail("report without guest.tcp.passive_opens: %r" % sorted(m)[:20])
        if m.get("guest.cpus") != 2:
            fail("guest.cpus is %r, not 2" % m.get("guest.cpus"))
        if last is not None and r["seq"] <= last:
            fail("seq not increasing: %d after %d" % (r["seq"], last))
        last = r["seq"]
        print("host: report seq %d interval %.2fs passive_opens %r" %
              (r["seq"], r["interval_s"], m["guest.tcp.passive_opens"]), flush=True)

def wait_console(pattern, t=60):
    if subprocess.call([os.path.join(harness, "wait-for"), console, pattern, str(t),
                        os.path.join(d, "qemu.pid")]) != 0:
        fail("console never showed /%s/" % pattern)

c = Chan()
handshake(c)
reports(c, 2)

# the host goes away mid-run and comes back: the agent must say hello again and resume
c.close()
print("host: disconnected", flush=True)
time.sleep(2)
c = Chan()
handshake(c)
reports(c, 2)

c.send({"v": 1, "type": "apply", "id": 7, "rule": "e2e-test",
        "changes": [{"kind": "sysctl", "key": "net.core.somaxconn", "value": "8192"}]})
a = c.until("ack")
if a.get("id") != 7 or a.get("results") != [{"key": "net.core.somaxconn", "old": "4096", "new": "8192"}]:
    fail("bad apply ack %r" % a)
print("host: apply ack %r" % a["results"], flush=True)
wait_console("^SOMAXCONN=8192")

c.send({"v": 1, "type": "revert", "id": 8, "all": True})
a = c.until("ack")
if a.get("id") != 8 or a.get("results") != [{"key": "net.core.somaxconn", "old": "8192", "new": "4096"}]:
    fail("bad revert ack %r" % a)
print("host: revert ack %r" % a["results"], flush=True)
wait_console("^GUEST_FINAL: ")
c.close()
print("host: OK", flush=True)
EOF

python3 "$dir/host.py" "$dir" "$H"; rc=$?
"$H/wait-for" "$dir/console.log" '^VTUNE_TEST_RC=' 30 "$dir/qemu.pid"
tr -d '\r' < "$dir/console.log" | grep -E '^(SOMAXCONN|GUEST_|VTUNE_TEST_RC)' | head -40
[ $rc -eq 0 ] || { keep=1; fail "host side"; }

log=$(tr -d '\r' < "$dir/console.log")
seq=$(echo "$log" | sed -n 's/^SOMAXCONN=//p' | tr '\n' ' ')
[ "$seq" = "4096 8192 4096 " ] || fail "somaxconn in the guest went '$seq', want '4096 8192 4096'"
echo "$log" | grep -q '^GUEST_FINAL: net.core.somaxconn = 4096' || fail "final somaxconn is not 4096"
echo "$log" | grep -q '^VTUNE_TEST_RC=0' || fail "guest test failed"
echo "$log" | grep -q 'GUEST_AGENT_LOG: .*host gone' || fail "the agent did not notice the host going away"
# two host connections: a handful of "host there" lines, not a spin on POLLHUP
n=$(echo "$log" | grep -c 'GUEST_AGENT_LOG: .*host there')
[ "$n" -le 10 ] || fail "the agent saw the host $n times: it spins while the host is away"
echo "PASS: agent over virtio-serial: hello, reports, reconnect, apply 4096 -> 8192, revert"
exit 0
