#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# test-unit-privsep: vtune-hostd started exactly as the shipped unit starts it
# (the unit `make install` writes, run by unit_exec.py: its capability
# bounding set, no ambient capabilities, no_new_privs, umask and its seccomp
# settings — SystemCallFilter, RestrictAddressFamilies, RestrictNamespaces,
# MemoryDenyWriteExecute — with the options of /etc/default/vtune-hostd in
# $VTUNE_HOSTD_OPTS) and a user made by systemd-sysusers from the shipped
# sysusers.d file (the name changed to vtune-ut: a real `vtune` user would
# turn privilege separation on in every other vtune-hostd on this machine,
# other worktrees' tests included, so --privsep names it): the daemon process has
# CapEff 0, CapBnd 0, the vtune uid and a seccomp filter of its own on top of
# the unit's; a host sysctl still changes (through the root parent) and
# reverts; `systemd-analyze security` rates the unit 3.7 or better.
set -u
B=${VTUNE_BUILD:-$PWD/build}
SRC=${VTUNE_SRC:-$PWD}
HERE=$(cd "$(dirname "$0")" && pwd)
MAX_EXPOSURE=3.7

[ -x "$B/vtune-hostd" ] || { echo "FAIL: test-unit-privsep: build first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: test-unit-privsep needs root"; exit 77; }
for c in python3 setpriv unshare systemd-analyze systemd-sysusers; do
	command -v $c >/dev/null || { echo "SKIP: test-unit-privsep needs $c"; exit 77; }
done
python3 -c 'import ctypes; ctypes.CDLL("libseccomp.so.2")' 2>/dev/null ||
	{ echo "SKIP: test-unit-privsep needs libseccomp2"; exit 77; }
if [ -z "${VTUNE_UNIT_NETNS:-}" ]; then
	VTUNE_UNIT_NETNS=1 exec unshare -n "$0" "$@"
fi

TMP=$(mktemp -d) || exit 1
PIDS= HPID= MADE_USER= USR=
fail() {
	echo "FAIL: test-unit-privsep: $*" >&2
	echo "--- hostd log" >&2; tail -n 30 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $HPID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $HPID $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
	if [ -n "$MADE_USER" ]; then userdel "$USR" 2>/dev/null; groupdel "$USR" 2>/dev/null; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The unit and the sysusers file as installed (PREFIX=/usr, as the package).
make -s --no-print-directory -C "$SRC" B="$B" install PREFIX=/usr DESTDIR="$TMP/root" \
	>"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; fail "make install"; }
UNIT=$TMP/root/lib/systemd/system/vtune-hostd.service
SYSUSERS=$TMP/root/usr/lib/sysusers.d/vtune.conf
[ -f "$UNIT" ] && [ -f "$SYSUSERS" ] || fail "make install wrote no unit or no sysusers.d/vtune.conf"

# 1. the exposure systemd-analyze gives the unit
score=$(systemd-analyze security --offline=yes "$UNIT" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "systemd-analyze security gave no score: $(systemd-analyze security --offline=yes "$UNIT" 2>&1 | tail -3)"
awk "BEGIN { exit !($score <= $MAX_EXPOSURE) }" || fail "systemd-analyze security: $score > $MAX_EXPOSURE"
echo "ok: systemd-analyze security --offline=yes vtune-hostd.service: $score"

# 2. the user, from the shipped sysusers.d file
USR=vtune-ut
grep -q '^u vtune ' "$SYSUSERS" || fail "$SYSUSERS does not make the user vtune"
if ! getent passwd $USR >/dev/null; then
	sed "s/^u vtune /u $USR /" "$SYSUSERS" > "$TMP/$USR.conf"
	systemd-sysusers "$TMP/$USR.conf" >/dev/null 2>&1 || fail "systemd-sysusers $TMP/$USR.conf"
	MADE_USER=1
fi
getent passwd $USR >/dev/null || fail "no user $USR after systemd-sysusers"
UID_T=$(id -u $USR)

# 3. hostd as the unit runs it: sim backend, one fake guest whose overflows
# make the policy set a host sysctl (in this test's network namespace)
chmod 755 "$TMP"
mkdir "$TMP/guests" "$TMP/state"
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: accept-overflow
    when: guest.tcp.listen_overflows > 10/s
    for: 1s
    cooldown: 1h
    host:
      - sysctl: net.core.somaxconn
        set: 1024
YAML
chmod 644 "$TMP/policy.yaml"
echo 128 > /proc/sys/net/core/somaxconn || fail "cannot set somaxconn in the test namespace"
python3 "$HERE/fakeguest.py" --socket "$TMP/guests/busy.sock" --mode 0777 --log "$TMP/busy.log" \
	--period 0.5 --metric guest.tcp.listen_overflows=50.0 & PIDS="$PIDS $!"
for i in $(seq 50); do [ -S "$TMP/guests/busy.sock" ] && break; sleep 0.1; done

VTUNE_HOSTD_OPTS="--backend sim --uri $TMP/guests --policy $TMP/policy.yaml --interval 0.5 \
--journal $TMP/state/host-journal --control $TMP/ctl.sock --metrics off --privsep $USR -v" \
	python3 "$HERE/unit_exec.py" "$UNIT" --map "/usr/sbin/vtune-hostd=$B/vtune-hostd" \
	>"$TMP/hostd.log" 2>&1 & HPID=$!

CPID=
for i in $(seq 80); do
	CPID=$(pgrep -P "$HPID" | head -n 1)
	[ -n "$CPID" ] && grep -q "privilege separation: daemon runs as $USR" "$TMP/hostd.log" && break
	grep -q 'privilege separation\(:\| off\)' "$TMP/hostd.log" && ! grep -q 'daemon runs as' "$TMP/hostd.log" &&
		fail "privilege separation did not start"
	kill -0 "$HPID" 2>/dev/null || fail "hostd exited"
	sleep 0.1
done
grep -q "privilege separation: daemon runs as $USR" "$TMP/hostd.log" || fail "privilege separation is not on"
[ -n "$CPID" ] || fail "no daemon process under $HPID"
ps=/proc/$HPID/status st=/proc/$CPID/status
field() { sed -n "s/^$1:[[:space:]]*//p" "$2"; }
[ "$(field CapEff "$st")" = 0000000000000000 ] || fail "daemon CapEff $(field CapEff "$st")"
[ "$(field CapPrm "$st")" = 0000000000000000 ] || fail "daemon CapPrm $(field CapPrm "$st")"
[ "$(field CapBnd "$st")" = 0000000000000000 ] || fail "daemon CapBnd $(field CapBnd "$st")"
[ "$(field Seccomp "$st")" = 2 ] || fail "daemon Seccomp $(field Seccomp "$st")"
[ "$(field NoNewPrivs "$st")" = 1 ] || fail "daemon NoNewPrivs $(field NoNewPrivs "$st")"
field Uid "$st" | grep -q "^$UID_T[[:space:]]*$UID_T[[:space:]]*$UID_T[[:space:]]*$UID_T$" ||
	fail "daemon Uid $(field Uid "$st")"
# the parent: root, limited to the unit's bounding set, under the unit's filters
field Uid "$ps" | grep -q '^0[[:space:]]' || fail "the parent is not root"
bnd=$(field CapBnd "$ps")
want=$(python3 -c 'print("%016x" % sum(1 << c for c in (12, 21, 23, 1, 7, 6, 8, 5)))')
[ "$bnd" = "$want" ] || fail "parent CapBnd $bnd, want the unit's $want"
[ "$(field Seccomp "$ps")" = 2 ] || fail "parent Seccomp $(field Seccomp "$ps")"
pf=$(field Seccomp_filters "$ps") cf=$(field Seccomp_filters "$st")
if [ -n "$pf" ] && [ -n "$cf" ]; then
	[ "$cf" -gt "$pf" ] || fail "the daemon has no seccomp filter of its own ($cf filters, parent $pf)"
fi
echo "ok: daemon pid $CPID uid $UID_T CapEff 0 CapBnd 0 Seccomp 2 (${cf:-?} filters; parent ${pf:-?}, CapBnd $bnd)"

# the host change goes through the parent, under the unit's filters
for i in $(seq 100); do [ "$(cat /proc/sys/net/core/somaxconn)" = 1024 ] && break; sleep 0.1; done
[ "$(cat /proc/sys/net/core/somaxconn)" = 1024 ] || fail "the policy's host sysctl did not change"
"$B/vtune" status --control "$TMP/ctl.sock" >"$TMP/status" 2>&1 || fail "vtune status: $(cat "$TMP/status")"
"$B/vtune" revert --all --control "$TMP/ctl.sock" >"$TMP/revert" 2>&1 || fail "revert: $(cat "$TMP/revert")"
for i in $(seq 30); do [ "$(cat /proc/sys/net/core/somaxconn)" = 128 ] && break; sleep 0.1; done
[ "$(cat /proc/sys/net/core/somaxconn)" = 128 ] || fail "revert did not restore the host sysctl"
echo "ok: host sysctl set and reverted through the privileged parent"
grep -q 'privops: refused\|corrupt\|Operation not permitted' "$TMP/hostd.log" && fail "refusals in the log"
# files the daemon made: UMask=0077
m=$(stat -c %a "$TMP/state/host-journal")
[ "$m" = 600 ] || fail "journal mode $m under UMask=0077"

kill -TERM "$HPID"
for i in $(seq 50); do kill -0 "$HPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$HPID" 2>/dev/null && fail "hostd still running 5 s after SIGTERM (the parent cannot signal the daemon?)"
wait "$HPID"; rc=$?
HPID=
[ "$rc" = 0 ] || fail "hostd exited $rc on SIGTERM"
kill -0 "$CPID" 2>/dev/null && fail "the daemon process is still running"
echo "PASS: test-unit-privsep"
exit 0
