#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 300
# test-crash-revert: fault injection. vtune-hostd (sim backend, one fake
# guest) applies a three-knob HOST action (tcp_fin_timeout, somaxconn,
# tcp_max_syn_backlog in a network namespace this test makes) and is killed
# with SIGKILL by the test-only hook (VTUNE_FAULT=POINT:N,
# tests/tools/journal_fault.c: in the test builds BUILD/tests/fault/) at
# every step: before the journal record, after it, after the write, after
# the mark, of knob 1, 2 and 3 (so also between knobs); >= 100 runs, the
# originals different each run. After each crash `vtune revert --all`
# (hostd is dead: the local revert path) must restore every original value
# exactly. The same for vtune-agent run --standalone applying a three-knob
# guest rule, for journals whose last record is torn or corrupt, and for a
# hostd restarted after the crash (it completes the change) then stopped.
set -u
B=${VTUNE_BUILD:-$PWD/build}
# the test builds with the VTUNE_FAULT hook (mk/testtools.mk); vtune as shipped
H=$B/tests/fault/vtune-hostd
V=$B/vtune
A=$B/tests/fault/vtune-agent
HERE=$(cd "$(dirname "$0")" && pwd)
KNOBS="net.ipv4.tcp_fin_timeout net.core.somaxconn net.ipv4.tcp_max_syn_backlog"

# ---- outside: make the network namespace, run the test in it ----
if [ -z "${VTUNE_CRASH_NETNS:-}" ]; then
	[ -x "$H" ] && [ -x "$V" ] && [ -x "$A" ] || { echo "FAIL: test-crash-revert: build first (make)" >&2; exit 1; }
	command -v python3 >/dev/null || { echo "SKIP: test-crash-revert needs python3"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "SKIP: test-crash-revert needs root (network namespace)"; exit 77; }
	host_before=$(for k in $KNOBS; do sysctl -n "$k"; done | tr '\n' ' ')
	NS=vtune-crash-$$
	inner=
	trap '[ -n "$inner" ] && kill "$inner" 2>/dev/null && wait "$inner"; ip netns del "$NS" 2>/dev/null; exit 1' INT TERM HUP
	if ip netns add "$NS" 2>/dev/null; then
		VTUNE_CRASH_NETNS=$NS ip netns exec "$NS" sh "$0" & inner=$!
		wait "$inner"; rc=$?
		ip netns del "$NS"
	elif unshare -n true 2>/dev/null; then
		VTUNE_CRASH_NETNS=unshare unshare -n sh "$0" & inner=$!
		wait "$inner"; rc=$?
	else
		echo "SKIP: test-crash-revert: cannot make a network namespace"; exit 77
	fi
	host_after=$(for k in $KNOBS; do sysctl -n "$k"; done | tr '\n' ' ')
	if [ "$host_before" != "$host_after" ]; then
		echo "FAIL: test-crash-revert: the host's own sysctls changed: $host_before -> $host_after" >&2
		exit 1
	fi
	exit $rc
fi

# ---- inside the namespace ----
TMP=$(mktemp -d) || exit 1
PIDS=
fail() {
	echo "FAIL: test-crash-revert: $*" >&2
	echo "--- last log" >&2; tail -n 25 "$TMP/run.log" >&2 2>/dev/null
	echo "--- journal" >&2; cat "$TMP/journal" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ "$(ip -o link | wc -l)" -le 1 ] || fail "not in a fresh network namespace: $(ip -o link)"
for k in $KNOBS; do
	f=/proc/sys/$(echo "$k" | tr . /)
	[ -w "$f" ] || { echo "SKIP: test-crash-revert: $k is not per-namespace here"; exit 77; }
done

sysctl_path() { echo "/proc/sys/$(echo "$1" | tr . /)"; }
PATHS=$(for k in $KNOBS; do sysctl_path "$k"; done)
# the values, each followed by a space (one cat: dash's read takes a byte
# at a time, and /proc/sys gives only the first one that way)
read_all() { cat $PATHS | tr '\n' ' '; }
set_all() { # VALUE1 VALUE2 VALUE3
	for f in $PATHS; do echo "$1" > "$f"; shift; done
}

NEW="15 8192 16384"
write_policy() { # FILE SIDE RULE CONDITION
	{
		echo "version: 1"
		echo "rules:"
		echo "  - name: $3"
		echo "    when: $4"
		echo "    improve: none # fake figures: only the guards are checked"
		echo "    cooldown: 1h"
		echo "    $2:"
		set -- $NEW
		for k in $KNOBS; do
			echo "      - sysctl: $k"
			echo "        set: $1"
			shift
		done
	} > "$1"
}
write_policy "$TMP/host.yaml" host crash-host "guest.tcp.listen_overflows > 10/s"
write_policy "$TMP/guest.yaml" guest crash-guest "guest.tcp.inuse >= 0"
"$H" -n --backend sim --uri "$TMP" --policy "$TMP/host.yaml" >/dev/null || fail "host policy refused"

mkdir "$TMP/guests"
python3 "$HERE/hostile_guests.py" good "$TMP/guests" 1 --prefix crash --overflows 50 --period 0.1 &
PIDS="$PIDS $!"
for i in $(seq 100); do [ -S "$TMP/guests/crash0.sock" ] && break; sleep 0.1; done
[ -S "$TMP/guests/crash0.sock" ] || fail "the fake guest did not start"

# The knob values expected right after a kill at POINT of knob K (1..3):
# knobs before K have the new value, knob K has it once written.
expect_at() { # POINT K ORIG1 ORIG2 ORIG3
	pt=$1 kk=$2; shift 2
	set -- "$1" "$2" "$3" $NEW
	out= idx=1
	for o in "$1" "$2" "$3"; do
		eval "n=\${$((idx + 3))}"
		if [ "$idx" -lt "$kk" ] ||
		   { [ "$idx" = "$kk" ] && { [ "$pt" = after_write ] || [ "$pt" = after_mark ]; }; }; then
			out="$out$n "
		else
			out="$out$o "
		fi
		idx=$((idx + 1))
	done
	echo "$out"
}

RUNS=0 KNOBS_OK=0 KNOBS_ALL=0 TRIED=

# One crash run. WHO (hostd|agent) POINT K RUN# [TEAR]
crash_run() {
	who=$1 pt=$2 kk=$3 i=$4 tear=${5:-}
	o1=$((30 + i % 60)) o2=$((1000 + i)) o3=$((2000 + 3 * i))
	set_all $o1 $o2 $o3
	orig="$o1 $o2 $o3 "
	[ "$(read_all)" = "$orig" ] || fail "cannot set the originals: $(read_all)"
	rm -f "$TMP/journal"
	echo "=== run $i: $who killed at $pt:$kk${tear:+, journal torn: $tear}" >> "$TMP/run.log"
	if [ "$who" = hostd ]; then
		VTUNE_FAULT=$pt:$kk timeout 20 "$H" --backend sim --uri "$TMP/guests" \
			--policy "$TMP/host.yaml" --interval 0.1 --journal "$TMP/journal" \
			--control "$TMP/ctl.sock" --root / >> "$TMP/run.log" 2>&1
		rc=$?
	else
		VTUNE_FAULT=$pt:$kk timeout 20 "$A" run --standalone --policy "$TMP/guest.yaml" \
			--interval 0.1 --journal "$TMP/journal" --root / --duration 15 \
			>> "$TMP/run.log" 2>&1
		rc=$?
	fi
	[ "$rc" = 137 ] || fail "run $i: $who at $pt:$kk exited $rc, not killed (137)"
	want=$(expect_at "$pt" "$kk" $o1 $o2 $o3)
	[ "$(read_all)" = "$want" ] || fail "run $i: after the kill at $pt:$kk the knobs are $(read_all), expected $want"
	case $tear in
	'') ;;
	restart) # systemd restarts hostd: it finishes the change; stop it, revert
		"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/host.yaml" --interval 0.1 \
			--journal "$TMP/journal" --control "$TMP/ctl.sock" --root / \
			>> "$TMP/run.log" 2>&1 &
		hp=$!
		# up, with a report from the guest, then a few evaluations
		for n in $(seq 100); do
			"$V" status --json --control "$TMP/ctl.sock" 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if any(g["reports"] > 0 for g in json.load(sys.stdin)["guests"]) else 1)
' 2>/dev/null && break
			sleep 0.1
		done
		sleep 0.3
		for n in $(seq 100); do [ "$(read_all)" = "$NEW " ] && break; sleep 0.1; done
		kill -TERM $hp; wait $hp || fail "run $i: restarted hostd did not stop cleanly"
		[ "$(read_all)" = "$NEW " ] || fail "run $i: the restarted hostd left $(read_all), not $NEW"
		;;
	half) # the last record cut in the middle: no newline
		python3 - "$TMP/journal" <<'PY'
import sys
p = sys.argv[1]; d = open(p, "rb").read()
start = d.rstrip(b"\n").rfind(b"\n") + 1
open(p, "wb").write(d[:start + (len(d) - start) // 2])
PY
		;;
	nonl) truncate -s -1 "$TMP/journal" ;; # only the final newline lost
	append) # a torn append: half of a further record, no newline
		tail -n 1 "$TMP/journal" | head -c 40 >> "$TMP/journal" ;;
	garbage) printf '{"seq":99,"op":"set","side\001\377}\n' >> "$TMP/journal" ;;
	zeros) head -c 300 /dev/zero >> "$TMP/journal" ;; # a crash that left a hole
	esac
	if [ "$tear" = garbage ]; then
		# a whole line that fails its checksum is damage, not a crash: kept,
		# listed on stderr, exit 1; the intact records are all reverted
		"$V" revert --all --journal "$TMP/journal" --root / >> "$TMP/run.log" 2> "$TMP/rv.err" \
			&& fail "run $i: vtune revert exited 0 over a damaged record"
		grep -q 'bad checksum: skipped, nothing restored from it' "$TMP/rv.err" \
			|| fail "run $i: damage not said: $(cat "$TMP/rv.err")"
	else
		"$V" revert --all --journal "$TMP/journal" --root / >> "$TMP/run.log" 2>&1 \
			|| fail "run $i: vtune revert failed after $who at $pt:$kk${tear:+ ($tear)}"
	fi
	got=$(read_all)
	set -- $got
	for o in $o1 $o2 $o3; do
		KNOBS_ALL=$((KNOBS_ALL + 1))
		[ "$1" = "$o" ] && KNOBS_OK=$((KNOBS_OK + 1))
		shift
	done
	[ "$got" = "$orig" ] || fail "run $i: $who at $pt:$kk${tear:+ ($tear)}: revert left $got, originals $orig"
	# every set record that survived (the open repaired the journal) is
	# now marked reverted
	nset=$(grep -c '"op":"set"' "$TMP/journal")
	[ "$tear" != garbage ] || nset=$((nset - 1)) # the damaged line, kept
	nrev=$(grep -c '"op":"reverted"' "$TMP/journal")
	# the torn tail was cut away: whole JSON records only (damage stays)
	[ -z "$tear" ] || [ "$tear" = garbage ] || python3 -c '
import json, sys
d = open(sys.argv[1], "rb").read()
assert not d or d.endswith(b"\n"), "no final newline"
for l in d.split(b"\n")[:-1]:
    json.loads(l)
' "$TMP/journal" 2>>"$TMP/run.log" || fail "run $i: the journal still has a torn record"
	[ "$nrev" = "$nset" ] || fail "run $i: $nset set records, $nrev reverted"
	# a second revert finds nothing to do
	"$V" revert --all --journal "$TMP/journal" --root / > "$TMP/again" 2>&1; rc=$?
	[ "$rc" = 0 ] || { [ "$tear" = garbage ] && [ "$rc" = 1 ]; } \
		|| fail "run $i: second revert failed: $(cat "$TMP/again")"
	[ "$(read_all)" = "$orig" ] || fail "run $i: second revert changed the knobs"
	RUNS=$((RUNS + 1))
	case " $TRIED " in *" $who:$pt:$kk "*) ;; *) TRIED="$TRIED $who:$pt:$kk" ;; esac
}

T0=$(date +%s)
POINTS="before_intent after_intent after_write after_mark"
# 1. hostd, 9 rounds of 4 points x 3 knobs = 108 runs.
i=0
ROUNDS=${VTUNE_CRASH_ROUNDS:-9} # fewer only to debug the test
for round in $(seq "$ROUNDS"); do
	for kk in 1 2 3; do
		for pt in $POINTS; do
			crash_run hostd "$pt" "$kk" "$i"
			i=$((i + 1))
		done
	done
done
HOSTD_RUNS=$RUNS
# 2. the agent (run --standalone, a three-knob guest rule): every point once.
for kk in 1 2 3; do
	for pt in $POINTS; do
		crash_run agent "$pt" "$kk" "$i"
		i=$((i + 1))
	done
done
AGENT_RUNS=$((RUNS - HOSTD_RUNS))
# 3. torn / corrupt last records after a crash. (A torn "set" record is only
# torn before its knob was written: the record is fsync'd before the write,
# so tearing the last "set" is tried only at after_intent.)
crash_run hostd after_mark 3 "$i" half; i=$((i + 1))
crash_run hostd after_mark 2 "$i" half; i=$((i + 1))
crash_run hostd after_intent 3 "$i" half; i=$((i + 1))
crash_run hostd after_intent 1 "$i" half; i=$((i + 1))
crash_run hostd after_mark 3 "$i" nonl; i=$((i + 1))
crash_run hostd after_mark 2 "$i" nonl; i=$((i + 1))
crash_run hostd after_mark 3 "$i" append; i=$((i + 1))
crash_run hostd after_write 3 "$i" append; i=$((i + 1))
crash_run hostd after_mark 1 "$i" garbage; i=$((i + 1))
crash_run hostd after_write 3 "$i" garbage; i=$((i + 1))
crash_run hostd after_write 3 "$i" zeros; i=$((i + 1))
crash_run agent after_mark 3 "$i" half; i=$((i + 1))
crash_run agent after_intent 2 "$i" half; i=$((i + 1))
TORN_RUNS=$((RUNS - HOSTD_RUNS - AGENT_RUNS))
# 4. killed, restarted (it completes the change on its own), stopped, then
# reverted: still the originals from before the crash.
for kk in 1 2 3; do
	for pt in $POINTS; do
		crash_run hostd "$pt" "$kk" "$i" restart
		i=$((i + 1))
	done
done
RESTART_RUNS=$((RUNS - HOSTD_RUNS - AGENT_RUNS - TORN_RUNS))
T1=$(date +%s)

ntried=$(echo $TRIED | wc -w)
echo "kill points tried: $ntried (hostd and agent x {$POINTS} x knob 1..3)"
echo "runs: $RUNS (hostd $HOSTD_RUNS, agent $AGENT_RUNS, torn/corrupt journal $TORN_RUNS, killed + restarted + stopped $RESTART_RUNS) in $((T1 - T0)) s"
echo "originals restored: $KNOBS_OK/$KNOBS_ALL knob values ($RUNS/$RUNS runs)"
[ "$KNOBS_OK" = "$KNOBS_ALL" ] || fail "not every original restored"
[ "$HOSTD_RUNS" -ge 100 ] || [ "$ROUNDS" != 9 ] || fail "fewer than 100 hostd runs"
echo "PASS: test-crash-revert"
exit 0
