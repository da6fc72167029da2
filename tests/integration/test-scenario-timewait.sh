#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 90
# Scenario time-wait-buckets-full on the real kernel, in a network namespace
# made here with net.ipv4.tcp_max_tw_buckets 64 (a per-namespace sysctl):
# `vtune bench crr` against its own server, which closes first, leaves a
# TIME_WAIT socket per connection; past 64 the kernel destroys them at once
# and counts TCPTimeWaitOverflow. The agent (run --standalone, the default
# rule with a short `for`) sees guest.tcp.tw_overflows and doubles
# tcp_max_tw_buckets, here to the allow-list's floor of 4096 (journaled,
# within the allow-list's memory bound). Effect verification judges it:
# kept (then `vtune revert --all`, in the namespace, puts 64 back) or, when
# the accept rate fell or the overflows did not, undone by the agent itself
# with its figures and the rule quarantined.
SCN="timewait"
. "$(dirname "$0")/scenario-lib.sh"
NS=vttw$$
PORT=9362
cleanup() {
	scn_kill
	ip netns del "$NS" 2>/dev/null
	scn_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
scn_need ss
scn_policy time-wait-buckets-full
ip netns add "$NS" || fail "cannot add namespace $NS"
ip -n "$NS" link set lo up
IN="ip netns exec $NS"
$IN sysctl -qw net.ipv4.tcp_max_tw_buckets=64 || fail "cannot set tcp_max_tw_buckets in $NS"
tw() { $IN sysctl -n net.ipv4.tcp_max_tw_buckets; }
ovf() { $IN awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "TCPTimeWaitOverflow") c = i; h = 1 } else print $c }' /proc/net/netstat; }

$IN "$V" bench crr --serve 127.0.0.1:$PORT -t 1 > "$W/server.log" 2>&1 &
scn_bg $!
scn_wait_port "$IN" 127.0.0.1 $PORT
o0=$(ovf)
scn_crr "$W/load1.json" "$IN" -t 1 -c 4 -d 2 127.0.0.1:$PORT
o1=$(ovf)
[ $((o1 - o0)) -gt 100 ] || fail "TCPTimeWaitOverflow rose by $((o1 - o0)) only under load"
tws=$($IN ss -Htan state time-wait | wc -l)
[ "$tws" -le 64 ] || fail "$tws TIME_WAIT sockets with 64 buckets"

# the agent during more load
$IN "$A" run --standalone --policy "$POL" --interval 0.5 --journal "$W/journal" --duration 6 \
	> "$W/agent.log" 2>&1 &
apid=$!
scn_bg $apid
scn_crr "$W/load2.json" "$IN" -t 1 -c 4 -d 4 127.0.0.1:$PORT
wait $apid
rec=$(scn_journal_check "$W/journal" net.ipv4.tcp_max_tw_buckets time-wait-buckets-full) || exit 1
case $rec in "64 -> "*) ;; *) fail "journal says $rec, want 64 -> N" ;; esac
grep -q "keep-alive, or letting the clients close first" "$W/agent.log" || fail "no note in the agent's log"
# the change is judged over its window (effect verification): 4096 buckets
# fill within a second at these rates, so it may not help; then vtune
# undoes it itself, with its figures, and quarantines the rule
if grep -q '"op":"reverted".*"key":"net.ipv4.tcp_max_tw_buckets".*reverted: ' "$W/journal"; then
	[ "$(tw)" = 64 ] || fail "undone by verification, yet tcp_max_tw_buckets is $(tw)"
	grep -q 'rule time-wait-buckets-full: reverted: .*the rule is quarantined' "$W/agent.log" ||
		fail "no verdict with its figures in the agent's log"
	n=$(grep -c '"op":"set".*"key":"net.ipv4.tcp_max_tw_buckets"' "$W/journal")
	[ "$n" = 1 ] || fail "the quarantined rule changed it again ($n changes)"
	verdict=$(sed -n 's/.*rule time-wait-buckets-full: reverted: \(.*\); undoing.*/\1/p' "$W/agent.log" | head -n 1)
	scn_result "scenario $SCN: 64 TIME_WAIT buckets, TCPTimeWaitOverflow +$((o1 - o0)) in 2 s of load; vtune: tcp_max_tw_buckets $rec, judged and undone by vtune ($verdict), quarantined"
	exit 0
fi
after=$(tw)
[ "$rec" = "64 -> $after" ] || fail "journal says $rec, the kernel $after"
grep -q 'rule time-wait-buckets-full: kept' "$W/agent.log" || fail "kept without a verdict in the log"
$IN "$V" revert --all --journal "$W/journal" > "$W/revert.log" 2>&1 || { cat "$W/revert.log"; fail "revert failed"; }
[ "$(tw)" = 64 ] || fail "revert left tcp_max_tw_buckets at $(tw)"
scn_result "scenario $SCN: 64 TIME_WAIT buckets, TCPTimeWaitOverflow +$((o1 - o0)) in 2 s of load; vtune: tcp_max_tw_buckets 64 -> $after, kept; revert: 64"
