#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-hostd-sim: vtune-hostd on the sim backend with fake guests (python3
# playing QEMU's side of the agent channel): one overflows its accept queue,
# hostd journals and sends an apply raising somaxconn, the ack is journaled,
# `vtune status` / `vtune apply --dry-run` answer, SIGTERM stops it cleanly.
set -u
B=${VTUNE_BUILD:-$PWD/build}
H=$B/vtune-hostd
V=$B/vtune
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d) || exit 1
PIDS=
HPID=

fail() {
	echo "FAIL: test-hostd-sim: $*" >&2
	echo "--- hostd log" >&2; tail -n 40 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $HPID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $HPID $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$H" ] || fail "no $H: build first (make)"
command -v python3 >/dev/null || { echo "SKIP: test-hostd-sim needs python3"; exit 77; }

mkdir "$TMP/guests"
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: accept-overflow
    when: guest.tcp.listen_overflows > 10/s
    for: 1s
    cooldown: 1h
    guest:
      - sysctl: net.core.somaxconn
        set: 4096
YAML

# The QEMU side of one guest's channel, and an agent behind it:
# fakeguest GUEST OVERFLOWS LOG &  (exec: $! is the guest itself)
fakeguest() {
	exec python3 "$HERE/fakeguest.py" --socket "$TMP/guests/$1.sock" --log "$3" --period 0.5 \
		--sysctl net.core.somaxconn=128 \
		--metric guest.tcp.listen_overflows="$2.0" --metric guest.cpu.steal=1.5 \
		--metric guest.sysctl.somaxconn=@net.core.somaxconn --metric guest.future.metric=3 \
		--field extra=true
}

# -n: the configuration check.
"$H" -n --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" | grep -qx 'configuration OK' \
	|| fail "-n did not say configuration OK"
printf 'version: 1\nrules:\n  - name: x\n    when: guest.nope > 1\n' > "$TMP/bad.yaml"
"$H" -n --backend sim --uri "$TMP/guests" --policy "$TMP/bad.yaml" >"$TMP/n.out" 2>&1 \
	&& fail "-n accepted a broken policy"
grep -q "bad.yaml:[0-9]*:[0-9]*:" "$TMP/n.out" || fail "-n gave no file:line:col: $(cat "$TMP/n.out")"

# The control socket is not there yet: a clear error.
"$V" status --control "$TMP/ctl.sock" >/dev/null 2>"$TMP/err" && fail "status without a daemon succeeded"
grep -q "cannot reach vtune-hostd at $TMP/ctl.sock" "$TMP/err" || fail "no clear error: $(cat "$TMP/err")"

fakeguest busy 50 "$TMP/busy.log" & PIDS="$PIDS $!"
fakeguest calm 0 "$TMP/calm.log" & PIDS="$PIDS $!"
for i in $(seq 50); do [ -S "$TMP/guests/busy.sock" ] && [ -S "$TMP/guests/calm.sock" ] && break; sleep 0.1; done

"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.5 \
	--journal "$TMP/journal" --control "$TMP/ctl.sock" --root "$TMP/root" -v \
	>"$TMP/hostd.log" 2>&1 & HPID=$!

# A third guest that appears while hostd runs (inotify).
sleep 0.5
fakeguest late 0 "$TMP/late.log" & PIDS="$PIDS $!"

# The busy guest gets an apply for somaxconn 4096, and hostd journals it.
ok=
for i in $(seq 100); do
	if grep -q '"type": "apply"' "$TMP/busy.log" 2>/dev/null &&
	   grep -q '"applied"' "$TMP/journal" 2>/dev/null; then ok=1; break; fi
	sleep 0.1
done
[ -n "$ok" ] || fail "no apply sent / journaled"
grep '"type": "apply"' "$TMP/busy.log" | grep '"key": "net.core.somaxconn"' | grep -q '"value": "4096"' \
	|| fail "apply has the wrong change: $(grep apply "$TMP/busy.log")"
grep -q '"type": "apply"' "$TMP/calm.log" && fail "the calm guest got an apply"
grep '"op":"set"' "$TMP/journal" | grep -q '"domain":"busy"' || fail "no set record for busy"
grep '"op":"set"' "$TMP/journal" | grep '"key":"net.core.somaxconn"' | grep -q '"old":"128"' \
	|| fail "set record without the old value: $(cat "$TMP/journal")"
grep '"op":"set"' "$TMP/journal" | grep -q '"new":"4096"' || fail "set record without the new value"
[ "$(grep -c '"op":"set"' "$TMP/journal")" = 1 ] || fail "more than one change journaled"
grep -q 'hello' "$TMP/busy.log" || fail "hostd sent no hello"

# vtune status: the guests, the agent, the active rule.
for i in $(seq 50); do
	"$V" status --control "$TMP/ctl.sock" >"$TMP/status" 2>&1 && grep -q '^late ' "$TMP/status" && break
	sleep 0.1
done
grep -q '^busy .* up ' "$TMP/status" || fail "status: $(cat "$TMP/status")"
grep -q '^calm ' "$TMP/status" || fail "status lacks calm: $(cat "$TMP/status")"
grep -q '^late ' "$TMP/status" || fail "status lacks the late guest: $(cat "$TMP/status")"
grep '^busy ' "$TMP/status" | grep -q 'accept-overflow' || fail "status: no active rule on busy"
"$V" status --json --control "$TMP/ctl.sock" | python3 -c '
import json, sys
d = json.load(sys.stdin)
g = {x["name"]: x for x in d["guests"]}
assert g["busy"]["guest_metrics"]["guest.tcp.listen_overflows"] == 50, g["busy"]
assert g["busy"]["reports"] > 0 and g["busy"]["unknown_metrics"] > 0
assert g["busy"]["bad_reports"] == 0
assert d["journal"]["records"] >= 2
' || fail "status --json is wrong"

# vtune apply --dry-run: the plan on the current views; nothing sent.
napply=$(grep -c '"type": "apply"' "$TMP/busy.log")
"$V" apply --dry-run --control "$TMP/ctl.sock" >"$TMP/plan" 2>&1 || fail "apply --dry-run: $(cat "$TMP/plan")"
# (the guest already has 4096 now, so the plan says so instead of a change)
grep -q 'guest busy: .*net.core.somaxconn.*rule accept-overflow\|guest busy: note (rule accept-overflow): net.core.somaxconn' "$TMP/plan" || fail "plan: $(cat "$TMP/plan")"
grep -q 'guest calm' "$TMP/plan" && fail "plan has the calm guest"
sleep 1
[ "$(grep -c '"type": "apply"' "$TMP/busy.log")" = "$napply" ] || fail "apply --dry-run sent something"

# SIGHUP with a broken policy: refused, the old one kept, still running.
cp "$TMP/policy.yaml" "$TMP/policy.good"
cp "$TMP/bad.yaml" "$TMP/policy.yaml"
kill -HUP "$HPID"
for i in $(seq 30); do grep -q 'refused: keeping the old one' "$TMP/hostd.log" && break; sleep 0.1; done
grep -q 'refused: keeping the old one' "$TMP/hostd.log" || fail "broken policy not refused on SIGHUP"
cp "$TMP/policy.good" "$TMP/policy.yaml"
kill -HUP "$HPID"
for i in $(seq 30); do grep -q 'reloaded: 1 rules' "$TMP/hostd.log" && break; sleep 0.1; done
grep -q 'reloaded: 1 rules' "$TMP/hostd.log" || fail "good policy not reloaded on SIGHUP"
"$V" status --control "$TMP/ctl.sock" >/dev/null || fail "hostd died on SIGHUP"

# Revert through the control socket: the guest is asked to put 128 back.
python3 - "$TMP/ctl.sock" >"$TMP/revert.out" <<'PY' || fail "revert request failed: $(cat "$TMP/revert.out")"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"cmd":"revert","all":true}\n')
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(65536)
    if not d: break
    buf += d
r = json.loads(buf)
print(r)
assert r["ok"] and r["not_restored"] == 0, r
assert any("reverted" in l for l in r["lines"]), r
PY
for i in $(seq 30); do grep '"type": "apply"' "$TMP/busy.log" | grep -q '"value": "128"' && break; sleep 0.1; done
grep '"type": "apply"' "$TMP/busy.log" | grep -q '"value": "128"' || fail "the guest was not asked to revert"
grep -q '"op":"reverted"' "$TMP/journal" || fail "no reverted record"

# A guest that goes away and comes back: hostd reconnects.
kill "$(echo $PIDS | cut -d' ' -f2)"; rm -f "$TMP/guests/calm.sock"
sleep 0.5
fakeguest calm 0 "$TMP/calm2.log" & PIDS="$PIDS $!"
for i in $(seq 50); do grep -q hello "$TMP/calm2.log" 2>/dev/null && break; sleep 0.1; done
grep -q hello "$TMP/calm2.log" 2>/dev/null || fail "no reconnect to a guest that came back"

# SIGTERM: clean exit, control socket gone.
kill -TERM "$HPID"
wait "$HPID"; rc=$?
HPID=
[ "$rc" = 0 ] || fail "hostd exited $rc on SIGTERM"
[ -e "$TMP/ctl.sock" ] && fail "control socket left behind"
grep -q 'ERROR\|AddressSanitizer\|runtime error' "$TMP/hostd.log" && fail "errors in the log"
echo "PASS: test-hostd-sim"
exit 0
