#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# Scenario conntrack-full on the real kernel. conntrack counts per network
# namespace but nf_conntrack_max is global (read-only inside a child
# namespace), so this one runs on loopback in the initial namespace, with
# conntrack switched on only by an nftables table made here (vtune_scn_PID,
# deleted in the trap with this test's conntrack entries). A global
# nf_conntrack_max of 512 is filled by the server-side TIME_WAIT entries
# (120 s) of the first 512 connections; after that new connections are
# dropped (ETIMEDOUT). The agent (initial namespace) fires the conntrack-full
# rule: nf_conntrack_max x2 (bounded below by the allow-list floor) and the
# TIME_WAIT / established timeouts lowered. Then the load is measured again:
# the new entries still outnumber the raised max within seconds, but after
# the first "table full" the kernel's conntrack GC evicts TIME_WAIT entries
# when the table is nearly full, so the count levels off below the max
# (seen: about 86% of 16384 at 15k connections/s, for 10 s, no drop).
# `vtune revert --all` puts all three back exactly; the trap restores the
# machine's own nf_conntrack_max and timeouts.
SCN="conntrack-full"
. "$(dirname "$0")/scenario-lib.sh"
PORT=$((18000 + $$ % 1000))
TABLE=vtscn_ct_$$
LOAD="-t 2 -c 16 --timeout 1"
IMPAIRED_MAX=512
flush() { conntrack -D -p tcp --orig-port-dst $PORT > /dev/null 2>&1; }
cleanup() {
	scn_kill
	nft delete table inet "$TABLE" 2>/dev/null
	flush
	scn_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
scn_need nft conntrack ss
scn_policy conntrack-full
[ -r /proc/sys/net/netfilter/nf_conntrack_max ] || modprobe nf_conntrack 2>/dev/null
[ -w /proc/sys/net/netfilter/nf_conntrack_max ] || { echo "SKIP: scenario $SCN: nf_conntrack_max not writable here"; exit 77; }

CT=/proc/sys/net/netfilter
KEYS="net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_time_wait"
for k in $KEYS; do scn_save_sysctl "$k"; done
orig_max=$(cat $CT/nf_conntrack_max)
knobs() { sysctl -n $KEYS | tr '\n' ' '; }

nft -f - <<NFT || fail "cannot add nftables table $TABLE"
table inet $TABLE {
	chain in { type filter hook input priority 0; policy accept; ct state new,established accept; }
	chain out { type filter hook output priority 0; policy accept; ct state new,established accept; }
}
NFT
"$V" bench crr --serve 127.0.0.1:$PORT -t 1 > "$W/server.log" 2>&1 &
scn_bg $!
scn_wait_port "" 127.0.0.1 $PORT

ctdrops() { conntrack -S 2>/dev/null | tr ' ' '\n' | awk -F= '$1 == "drop" { s += $2 } END { print s + 0 }'; }
# measure NAME: 3 s of load; sets NAME_rate, NAME_err, NAME_desc
measure() {
	x0=$(ctdrops)
	scn_crr "$W/$1.json" "" $LOAD -d 3 127.0.0.1:$PORT
	x=$(($(ctdrops) - x0))
	eval "$1_rate=\$(scn_rate \"\$W/\$1.json\") $1_err=\$(scn_errors \"\$W/\$1.json\") $1_ctd=$x"
	eval "$1_desc=\"\$(scn_errdesc \"\$W/\$1.json\"), conntrack \$(cat $CT/nf_conntrack_count)/\$(cat $CT/nf_conntrack_max), $x dropped\""
}

# The unimpaired reference first, on the machine's own nf_conntrack_max.
flush
measure ref
echo "unimpaired (nf_conntrack_max $orig_max): ${ref_rate}/s, $ref_desc"
flush

sysctl -qw net.netfilter.nf_conntrack_max=$IMPAIRED_MAX || fail "cannot set nf_conntrack_max"
before=$(knobs)
measure imp
echo "impaired ($before): ${imp_rate}/s, $imp_desc"
[ "$imp_err" -gt 0 ] || fail "impairment did not show: no errors with nf_conntrack_max $IMPAIRED_MAX ($imp_desc)"

"$V" bench crr $LOAD -d 6 127.0.0.1:$PORT --json > "$W/during.json" 2>&1 &
LD=$!; scn_bg $LD
sleep 0.5
"$A" run --standalone -p "$POL" \
	-J "$W/journal" -i 0.5 --duration 4 -v > "$W/agent.log" 2>&1 || fail "agent exited non-zero"
wait $LD
ch=$(scn_journal_check "$W/journal" net.netfilter.nf_conntrack_max conntrack-full) || exit 1
tw=$(scn_journal_check "$W/journal" net.netfilter.nf_conntrack_tcp_timeout_time_wait conntrack-full) || exit 1
scn_journal_check "$W/journal" net.netfilter.nf_conntrack_tcp_timeout_established conntrack-full > /dev/null || exit 1
now=$(knobs)
set -- $now
[ "$1" -gt $IMPAIRED_MAX ] || fail "nf_conntrack_max is $1 after the rule, want > $IMPAIRED_MAX"
echo "after the rule: $now (during the agent: $(scn_rate "$W/during.json")/s, $(scn_errdesc "$W/during.json"))"

measure fix
echo "with vtune ($now): ${fix_rate}/s, $fix_desc"
[ $((fix_err * 10)) -lt "$imp_err" ] || fail "errors did not fall below 10% of impaired ($fix_err vs $imp_err)"
[ $((fix_ctd * 10)) -lt "$imp_ctd" ] || fail "conntrack drops did not fall below 10% of impaired ($fix_ctd vs $imp_ctd)"

"$V" revert --all --journal "$W/journal" > "$W/revert.log" 2>&1 || { cat "$W/revert.log"; fail "revert exited non-zero"; }
after=$(knobs)
[ "$after" = "$before" ] || fail "after revert: '$after', want '$before'"
floor=""
[ "$1" = $((IMPAIRED_MAX * 2)) ] || floor=" (x2 = $((IMPAIRED_MAX * 2)), raised to the allow-list floor)"
scn_result "scenario conntrack-full: impaired ${imp_rate}/s ($imp_desc), with vtune ${fix_rate}/s ($fix_desc), unimpaired ${ref_rate}/s ($ref_desc); nf_conntrack_max $ch$floor, time_wait timeout $tw; reverted"
