#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 120
# How the agents are linked (Makefile: AGENT_VIEW, AGENT_ORDER):
# 1. Both agents take the guest view of the action table (and drop unused
#    sections, --gc-sections): the executors of
#    the actions only vtune-hostd carries out (bridge_nf, offload, pin,
#    sriov) and hostnet's VF knob kind are not in them, and are in
#    vtune-hostd; the guest actions' executors are in the agents.
# 2. The static agent's text starts with what runs (mk/agent.order): the
#    sample loop's parser and glibc's start-up are in its first 512 KiB, the
#    YAML scanner (the standalone fallback only) is not.
set -u
B=${VTUNE_BUILD:-$PWD/build}
S=${VTUNE_SRC:-$PWD}
fail=0
bad() { echo "FAIL: test-agent-static-link: $*"; fail=1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM

[ -x "$B/vtune-agent.static" ] || make -C "$S" -s B="$B" "$B/vtune-agent.static" >/dev/null 2>&1 ||
	{ echo "FAIL: test-agent-static-link: cannot build $B/vtune-agent.static"; exit 1; }

HOST_ONLY="act_bridge_nf_exec act_offload_exec act_pin_exec act_sriov_exec hostnet_vf_ops"
GUEST="act_sysctl_exec act_rps_exec act_irq_exec act_channels_exec act_nofile_exec act_note_exec"
for prog in vtune-agent vtune-agent.static vtune-hostd; do
	nm "$B/$prog" | awk '{print $NF}' | sort -u > "$W/$prog.syms" || bad "nm $prog"
done
has() { grep -qx "$2" "$W/$1.syms"; }
for s in $HOST_ONLY; do
	for prog in vtune-agent vtune-agent.static; do
		has $prog "$s" && bad "$prog links $s (a host action's executor)"
	done
	has vtune-hostd "$s" || bad "vtune-hostd lacks $s"
done
for s in $GUEST; do
	for prog in vtune-agent vtune-agent.static; do
		has $prog "$s" || bad "$prog lacks $s (a guest action's executor)"
	done
done

# 2. where the ordered symbols landed
text=$(readelf -SW "$B/vtune-agent.static" | sed -n 's/.* \.text  *PROGBITS  *\([0-9a-f]*\) .*/\1/p')
[ -n "$text" ] || bad "no .text in the static agent"
at() { nm "$B/vtune-agent.static" | awk -v s="$1" '$NF == s {print $1; exit}'; }
off() { a=$(at "$1"); [ -n "$a" ] && [ -n "$text" ] && echo $((0x$a - 0x$text)); }
for s in gv_parse_nstat __libc_start_main_impl; do
	o=$(off $s)
	[ -n "$o" ] && [ "$o" -lt 524288 ] || bad "$s at ${o:-?} bytes into .text, not in the first 512 KiB"
done
o=$(off yaml_parser_scan)
[ -z "$o" ] || [ "$o" -ge 524288 ] || bad "yaml_parser_scan in the first 512 KiB of .text ($o)"

[ $fail = 0 ] && echo "ok: test-agent-static-link: host executors only in vtune-hostd, the static agent's text in run order"
exit $fail
