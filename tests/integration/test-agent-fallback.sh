#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-agent-fallback: `vtune-agent run` in a guest with no host daemon (a
# cloud: no vtune channel, or nobody on it) falls back to the guest rules
# standalone after --fallback seconds, within a bounded time, applies them
# (journaled) and looks for the host again after --recheck; with a host that
# answers it stays with the host; --fallback off waits for the host for ever.
# In a network namespace of its own (the rule sets net.core.somaxconn there).
# timeout: 90
set -u
B=${VTUNE_BUILD:-$PWD/build}
A=$B/vtune-agent
[ -x "$A" ] || { echo "FAIL: build first ($A)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: test-agent-fallback needs root (a network namespace)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: test-agent-fallback needs python3"; exit 77; }
if [ -z "${VTUNE_FALLBACK_NETNS:-}" ]; then
	VTUNE_FALLBACK_NETNS=1 exec unshare -n "$0" "$@"
fi
TMP=$(mktemp -d) || exit 1
HOSTPID=
trap '[ -n "$HOSTPID" ] && kill $HOSTPID 2>/dev/null; rm -rf "$TMP"' EXIT
fail=0
ok()  { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: raise-somaxconn
    when: guest.cpus > 0
    for: 0s
    cooldown: 1h
    guest:
      - sysctl: net.core.somaxconn
        set: 4096
YAML

# 1. no channel at all: standalone after 1 s, the rule applied, journaled,
# the host looked for again after 2 s; the whole run bounded by --duration
echo 128 > /proc/sys/net/core/somaxconn
t0=$(date +%s%N)
"$A" run --device "$TMP/no-such-channel" --fallback 1 --recheck 2 --duration 5 --interval 0.5 \
	--journal "$TMP/j1" --policy "$TMP/policy.yaml" > "$TMP/1.log" 2>&1; rc=$?
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ $rc = 0 ] || bad "no channel: exit $rc: $(tail -3 "$TMP/1.log")"
[ $ms -lt 8000 ] || bad "no channel: ran ${ms} ms for --duration 5"
grep -q 'no host daemon answered within 1 s: running the guest rules standalone' "$TMP/1.log" ||
	bad "no fallback: $(cat "$TMP/1.log")"
grep -q 'looking for the host daemon again' "$TMP/1.log" || bad "the host was not looked for again"
[ "$(cat /proc/sys/net/core/somaxconn)" = 4096 ] && ok "no channel: fell back, somaxconn 128 -> 4096 (${ms} ms in all)" ||
	bad "standalone fallback did not apply the rule: $(cat /proc/sys/net/core/somaxconn)"
grep -q '"op":"set"' "$TMP/j1" && grep -q 'raise-somaxconn' "$TMP/j1" && ok "fallback change journaled" ||
	bad "no journal record of the fallback change"

# 2. --fallback off: no standalone, ever
echo 128 > /proc/sys/net/core/somaxconn
"$A" run --device "$TMP/no-such-channel" --fallback off --duration 2 --interval 0.5 \
	--journal "$TMP/j2" --policy "$TMP/policy.yaml" > "$TMP/2.log" 2>&1
grep -q 'standalone' "$TMP/2.log" && bad "--fallback off fell back"
[ "$(cat /proc/sys/net/core/somaxconn)" = 128 ] && ok "--fallback off: waited for the host, changed nothing" ||
	bad "--fallback off changed somaxconn"

# 3. a host that answers (the host side of the channel: a unix socket that
# says hello back): no fallback, reports flow
python3 - "$TMP/ch.sock" "$TMP/host.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
log = open(sys.argv[2], "w")
c.sendall(b'{"v":1,"type":"hello","role":"host","version":"0.1.0","min_v":1,"max_v":1,"caps":[]}\n')
c.settimeout(0.5)
end = time.time() + 8
while time.time() < end:
    try:
        d = c.recv(65536)
    except socket.timeout:
        continue
    if not d:
        break
    log.write(d.decode(errors="replace")); log.flush()
PY
HOSTPID=$!
for i in $(seq 50); do [ -S "$TMP/ch.sock" ] && break; sleep 0.1; done
echo 128 > /proc/sys/net/core/somaxconn
"$A" run --device "$TMP/ch.sock" --fallback 1 --duration 3 --interval 0.5 \
	--journal "$TMP/j3" --policy "$TMP/policy.yaml" > "$TMP/3.log" 2>&1
grep -q 'standalone' "$TMP/3.log" && bad "fell back with a host answering: $(cat "$TMP/3.log")"
n=$(grep -c '"type":"report"' "$TMP/host.log" 2>/dev/null)
[ "${n:-0}" -ge 2 ] && [ "$(cat /proc/sys/net/core/somaxconn)" = 128 ] &&
	ok "host answering: no fallback, $n reports sent" || bad "host answering: $n reports; $(tail -3 "$TMP/3.log")"

[ $fail = 0 ] && echo "test-agent-fallback: all good"
exit $fail
