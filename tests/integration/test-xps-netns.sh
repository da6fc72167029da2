#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 60
# The "xps" action on the real kernel, in a network namespace this test
# makes: a veth with 4 transmit queues gets each CPU on a queue of its own
# (queue q: the CPUs c with c mod 4 = q), journaled; a second run changes
# nothing; `vtune revert --all` puts every mask back to what it was.
set -u
B=${VTUNE_BUILD:-$PWD/build}
NS=vtxps-$$
W=$(mktemp -d)
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$W"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
N="ip netns exec $NS"
[ "$(nproc)" -ge 2 ] || { echo "SKIP: one CPU: nothing to spread"; exit 77; }

ip netns add "$NS" || exit 1
ip -n "$NS" link add name v0 numtxqueues 4 numrxqueues 4 type veth peer name v1 numtxqueues 1 numrxqueues 1 ||
	fail "cannot make a veth with 4 queues"
printf 'version: 1\nbaseline:\n  - xps: spread\nrules: []\n' > "$W/p.yaml"
masks() { $N sh -c 'for q in /sys/class/net/v0/queues/tx-*; do printf "%s " "$(cat "$q/xps_cpus")"; done'; }
before=$(masks)

$N "$B/vtune-agent" once -p "$W/p.yaml" -J "$W/journal" > "$W/once1" 2>&1 ||
	{ cat "$W/once1"; fail "first run exited non-zero"; }
cat "$W/once1"
# the queues' masks as the kernel prints them, from the CPU count
want=$(python3 -c "
import os
n = os.cpu_count()
print(' '.join(format(sum(1 << c for c in range(q, n, 4)), 'x') for q in range(4)) + ' ')")
[ "$(masks | sed 's/\(^\| \)0*\([0-9a-f]\)/\1\2/g')" = "$want" ] || fail "v0's masks are '$(masks)', want '$want'"
! grep -qF '"v1\/tx-' "$W/journal" || fail "v1 has one transmit queue and was changed"
grep -qF '"kind":"rps","target":"v0\/tx-0","key":"xps_cpus"' "$W/journal" || fail "no journal record for v0/tx-0"

$N "$B/vtune-agent" once -p "$W/p.yaml" -J "$W/journal" > "$W/once2" 2>&1 ||
	{ cat "$W/once2"; fail "second run exited non-zero"; }
grep -q '0 knob(s) changed' "$W/once2" || { cat "$W/once2"; fail "second run changed something"; }

$N "$B/vtune" revert --all --journal "$W/journal" || fail "revert exited non-zero"
[ "$(masks)" = "$before" ] || fail "after revert v0's masks are '$(masks)', were '$before'"
echo "PASS: xps on a 4-queue veth: $want; reverted"
