# SPDX-License-Identifier: GPL-2.0-or-later
# scenario-lib.sh: shell functions shared by tests/integration/test-scenario-*.sh
# (sourced, not a test: the runner only runs test-*.sh).
#
# A scenario impairs the real kernel, measures the failure with
# `vtune bench crr`, runs `vtune-agent run --standalone` with a scenario
# policy (tests/fixtures/policies/scenario-*.yaml: the default rule with a
# short `for`/cooldown) while the load goes on, checks the journal and the
# knob, measures again, reverts and checks the original values are back.
# Every scenario prints one result line and appends it to
# $VTUNE_BUILD/scenarios.txt.
#
# Before sourcing, the test sets SCN (its name). After sourcing it has:
#   B S V A W     build dir, source dir, vtune, vtune-agent, scratch dir
#   fail MSG      print FAIL, the agent log if any, and exit 1
#   scn_cleanup   the common part of the trap (the test calls it last)

set -u
B=${VTUNE_BUILD:-$PWD/build}
S=${VTUNE_SRC:-$PWD}
V=$B/vtune
A=$B/vtune-agent
W=$(mktemp -d /tmp/vtscn.XXXXXX) || exit 1
PIDS=""
RESULTS=$B/scenarios.txt

# On stderr, so that it shows from inside $(...) too (there it only ends the
# subshell: write x=$(...) || exit 1).
fail() {
	{
		echo "FAIL: scenario $SCN: $*"
		if [ -s "$W/agent.log" ]; then
			echo "--- agent log"; tail -n 40 "$W/agent.log"
		fi
		if [ -s "$W/journal" ]; then
			echo "--- journal"; cat "$W/journal"
		fi
	} >&2
	exit 1
}

scn_need() {
	if [ "$(id -u)" != 0 ]; then echo "SKIP: scenario $SCN needs root"; exit 77; fi
	for t in ip python3 "$@"; do
		command -v "$t" >/dev/null 2>&1 || { echo "SKIP: scenario $SCN needs $t"; exit 77; }
	done
	[ -x "$V" ] && [ -x "$A" ] || fail "no $V or $A: build first (make)"
}

# Remember a process started in the background, to stop it in the trap.
scn_bg() { PIDS="$PIDS $1"; }

scn_kill() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=""
}

# Global (initial namespace) sysctls: save the value once, restore in the trap.
scn_save_sysctl() {
	grep -q "^$1=" "$W/globals" 2>/dev/null && return 0
	v=$(sysctl -n "$1") || fail "cannot read $1"
	printf '%s=%s\n' "$1" "$v" >> "$W/globals"
}

scn_restore_sysctls() {
	[ -f "$W/globals" ] || return 0
	while IFS= read -r kv; do
		k=${kv%%=*}; v=${kv#*=}
		[ "$(sysctl -n "$k" 2>/dev/null)" = "$v" ] || sysctl -qw "$k=$v" ||
			echo "WARNING: scenario $SCN: could not restore $k=$v" >&2
	done < "$W/globals"
}

scn_cleanup() {
	scn_kill
	scn_restore_sysctls
	rm -rf "$W"
}

# scn_wait_port PREFIX ADDR PORT: wait (up to 3 s) for a listener.
scn_wait_port() {
	pre=$1; port=$3
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		$pre ss -Hlnt "sport = :$port" 2>/dev/null | grep -q LISTEN && return 0
		sleep 0.2
	done
	fail "no listener on $2:$port"
}

# scn_crr OUT PREFIX ARGS...: run `vtune bench crr ARGS --json` (under the
# command prefix PREFIX, e.g. "ip netns exec NS", or "" for none) into OUT.
scn_crr() {
	out=$1; pre=$2; shift 2
	$pre "$V" bench crr "$@" --json > "$out" 2> "$out.err"
	rc=$?
	[ -s "$out" ] || { cat "$out.err"; fail "bench crr $* printed nothing (exit $rc)"; }
}

# Fields of a bench crr JSON file.
scn_rate() { python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["conn_per_s"])' "$1"; }
scn_errors() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["errors"])' "$1"; }
# "errors 42 ETIMEDOUT" / "errors 30 EADDRNOTAVAIL+2 ETIMEDOUT" / "no errors"
scn_errdesc() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["errors_by_errno"]
if not d["errors"]:
    print("no errors")
else:
    print("errors " + "+".join("%d %s" % (n, k) for k, n in sorted(e.items(), key=lambda x: -x[1])))
PY
}
# scn_errno FILE ERRNO: the count for one errno name
scn_errno() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["errors_by_errno"].get(sys.argv[2], 0))' "$1" "$2"; }

# scn_journal_check JOURNAL KEY RULE: the journal holds a "set" record for
# KEY made by RULE and an "applied" record for it. Prints "OLD NEW".
scn_journal_check() {
	python3 - "$1" "$2" "$3" <<'PY' || fail "journal: no set+applied record for $2 by rule $3"
import json, sys
path, key, rule = sys.argv[1:4]
recs = [json.loads(l) for l in open(path) if l.strip()]
sets = [r for r in recs if r.get("op") == "set" and r.get("key") == key and r.get("rule") == rule]
applied = {r.get("ref") for r in recs if r.get("op") == "applied"}
ok = [r for r in sets if r["seq"] in applied]
if not ok:
    sys.exit(1)
print(ok[0].get("old", ""), "->", ok[-1].get("new", ""))
PY
}

# scn_journal_has JOURNAL KIND RULE: an applied record of KIND (e.g. rps) by RULE
scn_journal_kind() {
	python3 - "$1" "$2" "$3" <<'PY' || fail "journal: no applied $2 record by rule $3"
import json, sys
path, kind, rule = sys.argv[1:4]
recs = [json.loads(l) for l in open(path) if l.strip()]
sets = [r for r in recs if r.get("op") == "set" and r.get("kind") == kind and r.get("rule") == rule]
applied = {r.get("ref") for r in recs if r.get("op") == "applied"}
ok = [r for r in sets if r["seq"] in applied]
if not ok:
    sys.exit(1)
for r in ok:
    print(r.get("target", ""), r.get("old", ""), "->", r.get("new", ""))
PY
}

# scn_result LINE: print the scenario's result line and put it in the
# results file (one line per scenario: a new run replaces its old line).
scn_result() {
	echo "$*"
	mkdir -p "$(dirname "$RESULTS")" || return 0
	{ grep -v "^scenario $SCN:" "$RESULTS" 2>/dev/null; echo "$*"; } > "$W/results.new" &&
		cat "$W/results.new" > "$RESULTS"
}

# scn_ge A B: A >= B for decimal numbers
scn_ge() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }

# scn_policy RULE: sets POL to the scenario policy for RULE, after checking that it is
# the rule of policies/default.yaml with only `for` and `cooldown` changed
# (so a change of the default's thresholds or actions shows up here).
scn_policy() {
	fx=$S/tests/fixtures/policies/scenario-$1.yaml
	python3 - "$S/policies/default.yaml" "$fx" "$1" <<'PY' || fail "$fx is not the default rule $1 with a short for/cooldown: update it"
import re, sys
def rule(path, name):
    out, on = [], False
    for line in open(path):
        if re.match(r"^  - name: ", line):
            on = line.strip() == "- name: " + name
        elif re.match(r"^\S", line):
            on = False
        if not on or re.match(r"^\s*(#.*)?$", line) or re.match(r"^    (for|cooldown):", line):
            continue
        out.append(line.rstrip())
    return out
d, f = rule(sys.argv[1], sys.argv[3]), rule(sys.argv[2], sys.argv[3])
if not d or d != f:
    import difflib
    print("\n".join(difflib.unified_diff(d, f, "default.yaml", "fixture", lineterm="")))
    sys.exit(1)
PY
	POL=$fx
}

# scn_p999 FILE: p99.9 of connect + request/response latency, in ms
scn_p999() { python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["latency_us"]; print("%.0f" % ((l["connect"]["p99_9"] + l["reqresp"]["p99_9"]) / 1000.0))' "$1"; }
