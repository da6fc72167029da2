#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 60
# `vtune-agent once` in a network namespace this test makes: the guest
# baseline is applied and journaled, a second run changes nothing (and
# exits 0), and `vtune revert --all` puts every original value back.
set -u
B=${VTUNE_BUILD:-$PWD/build}
S=${VTUNE_SRC:-$PWD}
NS=vtonce-$$
W=$(mktemp -d)
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$W"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
N="ip netns exec $NS"

ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" link add v0 type veth peer name v1
$N sysctl -qw net.core.somaxconn=128 net.ipv4.tcp_max_syn_backlog=256 \
	net.ipv4.tcp_slow_start_after_idle=1 net.ipv4.tcp_tw_reuse=2
rps() { $N cat /sys/class/net/v0/queues/rx-0/rps_cpus; }
before="$($N sysctl -n net.core.somaxconn net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_slow_start_after_idle net.ipv4.tcp_tw_reuse | tr '\n' ' ') $(rps)"

$N "$B/vtune-agent" once -p "$S/policies/default.yaml" -J "$W/journal" > "$W/once1" 2>&1 ||
	{ cat "$W/once1"; fail "first run exited $?"; }
cat "$W/once1"
[ "$($N sysctl -n net.core.somaxconn)" = 4096 ] || fail "somaxconn not 4096"
[ "$($N sysctl -n net.ipv4.tcp_max_syn_backlog)" = 4096 ] || fail "tcp_max_syn_backlog not 4096"
[ "$($N sysctl -n net.ipv4.tcp_slow_start_after_idle)" = 0 ] || fail "slow start after idle not 0"
[ "$($N sysctl -n net.ipv4.tcp_tw_reuse)" = 1 ] || fail "tcp_tw_reuse not 1"
[ "$(rps)" = 3 ] || [ "$(nproc)" -lt 2 ] || fail "RPS mask on v0 is $(rps), want 3 (2 CPUs)"
grep -q '"op":"set".*net.core.somaxconn' "$W/journal" || fail "no journal record for somaxconn"
records=$(wc -l < "$W/journal")

$N "$B/vtune-agent" once -p "$S/policies/default.yaml" -J "$W/journal" > "$W/once2" 2>&1 ||
	{ cat "$W/once2"; fail "second run exited non-zero"; }
grep -q '0 knob(s) changed, baseline already in place' "$W/once2" || { cat "$W/once2"; fail "second run changed something"; }
[ "$(wc -l < "$W/journal")" = "$records" ] || fail "second run wrote to the journal"

$N "$B/vtune" revert --all --journal "$W/journal" || fail "revert exited non-zero"
after="$($N sysctl -n net.core.somaxconn net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_slow_start_after_idle net.ipv4.tcp_tw_reuse | tr '\n' ' ') $(rps)"
[ "$before" = "$after" ] || fail "after revert: '$after', want '$before'"
echo "ok: baseline applied, idempotent, reverted exactly ($before)"
