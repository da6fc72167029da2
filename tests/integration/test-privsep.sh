#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-privsep: vtune-hostd --privsep in a network namespace of its own, on
# the sim backend with fake guests: the daemon process runs as an
# unprivileged user with CapEff 0 under seccomp, the host sysctl its policy
# sets changes through the privileged parent, the guest gets its apply, the
# journal has both, `vtune status` answers and SIGTERM stops both processes.
set -u
B=${VTUNE_BUILD:-$PWD/build}
H=$B/vtune-hostd
V=$B/vtune
HERE=$(cd "$(dirname "$0")" && pwd)
USR=vtune-test

[ -x "$H" ] || { echo "FAIL: test-privsep: no $H: build first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: test-privsep needs root"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: test-privsep needs python3"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: test-privsep needs unshare"; exit 77; }
if [ -z "${VTUNE_PRIVSEP_NETNS:-}" ]; then
	VTUNE_PRIVSEP_NETNS=1 exec unshare -n "$0" "$@"
fi

TMP=$(mktemp -d) || exit 1
PIDS=
HPID=
MADE_USER=

fail() {
	echo "FAIL: test-privsep: $*" >&2
	echo "--- hostd log" >&2; tail -n 40 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $HPID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $HPID $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
	[ -n "$MADE_USER" ] && userdel "$USR" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! getent passwd "$USR" >/dev/null; then
	command -v useradd >/dev/null || { echo "SKIP: test-privsep needs useradd"; exit 77; }
	useradd -r -M -s /usr/sbin/nologin "$USR" || fail "cannot create user $USR"
	MADE_USER=1
fi
UID_T=$(id -u "$USR")

# The daemon reads the policy (SIGHUP) and the sim directory as $USR; the
# journal and the control socket are opened before it drops root.
chmod 755 "$TMP"
mkdir "$TMP/guests"
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: accept-overflow
    when: guest.tcp.listen_overflows > 10/s
    # fake figures: no effect can show; only the guards are checked
    improve: none
    for: 1s
    cooldown: 1h
    host:
      - sysctl: net.core.somaxconn
        set: 1024
    guest:
      - sysctl: net.core.somaxconn
        set: 4096
YAML
chmod 644 "$TMP/policy.yaml"
echo 128 > /proc/sys/net/core/somaxconn || fail "cannot set somaxconn in the test namespace"

# The QEMU side of one guest's channel, and an agent behind it; mode 0777 as
# QEMU's channel: hostd's user may connect.

# --privsep with a user that does not exist: refused at start.
"$H" --privsep no-such-user-vtune --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" \
	--journal "$TMP/j0" --control "$TMP/c0.sock" --metrics off >"$TMP/n.out" 2>&1 \
	&& fail "--privsep with an unknown user started"
grep -q "no such user" "$TMP/n.out" || fail "no clear error for an unknown user: $(cat "$TMP/n.out")"

# what the host saw on the guest's tap backs its overflows (corroborate.h)
echo 'host.tap.tx_packets 2000' > "$TMP/guests/busy.host"
chmod 644 "$TMP/guests/busy.host"
python3 "$HERE/fakeguest.py" --socket "$TMP/guests/busy.sock" --mode 0777 --log "$TMP/busy.log" \
	--period 0.5 --sysctl net.core.somaxconn=128 --metric guest.tcp.listen_overflows=50.0 \
	--metric guest.sysctl.somaxconn=@net.core.somaxconn & PIDS="$PIDS $!"
for i in $(seq 50); do [ -S "$TMP/guests/busy.sock" ] && break; sleep 0.1; done

"$H" --privsep "$USR" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" \
	--interval 0.5 --journal "$TMP/journal" --control "$TMP/ctl.sock" --root / \
	--metrics off -v >"$TMP/hostd.log" 2>&1 & HPID=$!

# The unprivileged process: hostd's child.
CPID=
for i in $(seq 50); do
	CPID=$(pgrep -P "$HPID" | head -n 1)
	[ -n "$CPID" ] && grep -q 'privilege separation: daemon runs as' "$TMP/hostd.log" && break
	sleep 0.1
done
[ -n "$CPID" ] || fail "no unprivileged child of $HPID"
st=/proc/$CPID/status
grep -q "^CapEff:[[:space:]]*0000000000000000$" "$st" || fail "child CapEff: $(grep CapEff "$st")"
grep -q "^CapPrm:[[:space:]]*0000000000000000$" "$st" || fail "child CapPrm: $(grep CapPrm "$st")"
grep -q "^CapBnd:[[:space:]]*0000000000000000$" "$st" || fail "child CapBnd: $(grep CapBnd "$st")"
grep -q "^Uid:[[:space:]]*$UID_T[[:space:]]*$UID_T[[:space:]]*$UID_T[[:space:]]*$UID_T$" "$st" \
	|| fail "child Uid: $(grep Uid "$st")"
grep -q "^Seccomp:[[:space:]]*2$" "$st" || fail "child Seccomp: $(grep Seccomp "$st")"
grep -q "^NoNewPrivs:[[:space:]]*1$" "$st" || fail "child NoNewPrivs: $(grep NoNewPrivs "$st")"
grep -q "^Uid:[[:space:]]*0" "/proc/$HPID/status" || fail "the parent is not root"
# the parent: only the capabilities its requests need (net_admin, sys_admin,
# sys_nice, dac_override, dac_read_search, sys_ptrace, kill), bounding set
# too, under a seccomp filter of its own
pst=/proc/$HPID/status
for c in CapEff CapPrm CapBnd; do
	grep -q "^$c:[[:space:]]*0000000000a81026$" "$pst" || fail "parent $(grep "^$c" "$pst")"
done
grep -q "^Seccomp:[[:space:]]*2$" "$pst" || fail "parent $(grep Seccomp "$pst")"
grep -q "^NoNewPrivs:[[:space:]]*1$" "$pst" || fail "parent $(grep NoNewPrivs "$pst")"
# the child holds no descriptor of the journal: it cannot write it
ls -l "/proc/$CPID/fd" 2>/dev/null | grep -q "$TMP/journal" && fail "the child holds the journal open"
ls -l "/proc/$HPID/fd" 2>/dev/null | grep -q "$TMP/journal" || fail "the parent does not hold the journal"

# The guest gets its apply, the host sysctl changes through the parent.
ok=
for i in $(seq 100); do
	if grep -q '"type": "apply"' "$TMP/busy.log" 2>/dev/null &&
	   [ "$(cat /proc/sys/net/core/somaxconn)" = 1024 ] &&
	   [ "$(grep -c '"op":"applied"' "$TMP/journal" 2>/dev/null)" -ge 2 ]; then ok=1; break; fi
	sleep 0.1
done
[ -n "$ok" ] || fail "apply / host sysctl / journal: somaxconn=$(cat /proc/sys/net/core/somaxconn) $(cat "$TMP/journal" 2>/dev/null)"
grep '"type": "apply"' "$TMP/busy.log" | grep -q '"value": "4096"' || fail "apply has the wrong change"
grep '"op":"set"' "$TMP/journal" | grep '"side":"host"' | grep '"key":"net.core.somaxconn"' \
	| grep '"old":"128"' | grep -q '"new":"1024"' || fail "no host set record: $(cat "$TMP/journal")"
grep '"op":"set"' "$TMP/journal" | grep -q '"domain":"busy"' || fail "no guest set record"

# vtune status through the control socket the child serves.
"$V" status --control "$TMP/ctl.sock" >"$TMP/status" 2>&1 || fail "status: $(cat "$TMP/status")"
grep -q '^busy .* up ' "$TMP/status" || fail "status: $(cat "$TMP/status")"

# A dry run without --control: the journal is in use (the parent holds it),
# so the child is asked, and takes it as its own journal.
VTUNE_CONTROL=$TMP/ctl.sock "$V" revert --all --dry-run --journal "$TMP/journal" >"$TMP/dry" 2>&1 ||
	fail "dry run: $(cat "$TMP/dry")"
grep -q '^would revert sysctl net.core.somaxconn 1024 -> 128' "$TMP/dry" &&
	grep -q '^would ask the guest to revert guest busy' "$TMP/dry" || fail "dry run: $(cat "$TMP/dry")"
# Revert: the host sysctl goes back through the parent's restore.
"$V" revert --all --control "$TMP/ctl.sock" >"$TMP/revert" 2>&1 || fail "revert: $(cat "$TMP/revert")"
for i in $(seq 30); do [ "$(cat /proc/sys/net/core/somaxconn)" = 128 ] && break; sleep 0.1; done
[ "$(cat /proc/sys/net/core/somaxconn)" = 128 ] || fail "revert did not restore the host sysctl: $(cat "$TMP/revert")"

grep -q 'privops: refused\|corrupt' "$TMP/hostd.log" && fail "the parent refused a request of the daemon"
# the records went through the parent, which logged each change
grep -q 'privops: journal record [0-9]*: host sysctl net.core.somaxconn 128 -> 1024 (rule accept-overflow, for guest busy)' \
	"$TMP/hostd.log" || fail "the parent did not log the host record"
grep -q 'privops: write sysctl  net.core.somaxconn = 1024: done' "$TMP/hostd.log" || fail "write not logged"
grep -q 'privops: restore sysctl  net.core.somaxconn = 128: done' "$TMP/hostd.log" || fail "restore not logged"

# SIGTERM to the parent: both stop, cleanly, the control socket is gone.
kill -TERM "$HPID"
wait "$HPID"; rc=$?
HPID=
[ "$rc" = 0 ] || fail "hostd exited $rc on SIGTERM"
kill -0 "$CPID" 2>/dev/null && fail "the unprivileged process is still running"
[ -e "$TMP/ctl.sock" ] && fail "control socket left behind"
grep -q 'ERROR\|AddressSanitizer\|runtime error' "$TMP/hostd.log" && fail "errors in the log"
echo "PASS: test-privsep"
exit 0
