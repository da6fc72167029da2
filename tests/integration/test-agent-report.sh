#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 60
# `vtune-agent report` (text and JSON) for a guest with no host daemon, on
# replayed captures (rates over their /proc/uptime): the 6.18 seeds capture
# (a listener at its open-file limit, TIME_WAIT overflow, a SYN flood line)
# gives findings in this VM with what the standalone agent would change;
# the same capture with steal time added to t1's /proc/stat (the one figure
# a capture under TCG lacks) also gives the host-side cause, marked
# "outside this VM — ask your provider" with its evidence. Nothing changes.
set -u
B=${VTUNE_BUILD:?VTUNE_BUILD not set}
S=${VTUNE_SRC:-$(pwd)}
A=$B/vtune-agent
FX=$S/tests/fixtures/host-6.18-seeds
fail() { echo "FAIL: $*"; exit 1; }
W=$(mktemp -d /tmp/vtrep.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT

# ---- the capture as it is ----
"$A" report --policy "$S/policies/default.yaml" --root "$FX/t0" --then "$FX/t1" --json \
	> "$W/r1.json" 2> "$W/r1.err" || fail "report: $(cat "$W/r1.err")"
[ ! -s "$W/r1.err" ] || fail "report said: $(cat "$W/r1.err")"
python3 - "$W/r1.json" <<'PY' || fail "report JSON: $(head -c 1500 "$W/r1.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert abs(d["interval_s"] - 3.25) < 1e-6, d["interval_s"]      # the captures' uptime
f = {x["rule"]: x for x in d["findings"]}
for r in ("nofile-near-limit", "time-wait-buckets-full", "syn-flood-logged"):
    assert r in f and not f[r]["outside_vm"] and f[r]["where"] == "guest", (r, list(f))
assert "guest.proc.at_nofile=1" in f["nofile-near-limit"]["evidence"], f["nofile-near-limit"]
kinds = [i["kind"] for i in f["nofile-near-limit"]["items"]]
assert "nofile" in kinds, kinds
tw = [i for i in f["time-wait-buckets-full"]["items"] if i["kind"] == "sysctl"][0]
assert tw["old"] == "32" and tw["new"] == "4096", tw   # the allow-list's floor
assert "steal-high" not in f
# cookies sent and none came back: a SYN flood, said, and no queue grown
# for it (a burst of real clients would return its cookies); slow start
# after idle is on
assert "syn-flood" in f and "syn-queue-full" not in f, list(f)
assert all(i["kind"] == "note" for i in f["syn-flood"]["items"]), f["syn-flood"]
ss = [i for i in f["slow-start-after-idle"]["items"] if i["kind"] == "sysctl"][0]
assert ss["old"] == "1" and ss["new"] == "0", ss
assert "Possible SYN flooding" in d["kernel_log"], d["kernel_log"]
PY
"$A" report --policy "$S/policies/default.yaml" --root "$FX/t0" --then "$FX/t1" > "$W/r1.txt" 2>&1 ||
	fail "text report"
grep -q '^  \[this VM\] nofile-near-limit: ' "$W/r1.txt" || fail "text: $(cat "$W/r1.txt")"
grep -q 'the standalone agent would set: sysctl net.ipv4.tcp_max_tw_buckets 32 -> 4096' "$W/r1.txt" ||
	fail "text: no planned change: $(cat "$W/r1.txt")"
grep -q '^  kernel log: TCP: request_sock_TCP: Possible SYN flooding on port 10.97.0.1:9400' "$W/r1.txt" ||
	fail "text: no kernel log line"

# ---- with steal: a cause outside this VM ----
cp -r "$FX/t0" "$W/t0" && cp -r "$FX/t1" "$W/t1" || fail "copy"
awk '$1 ~ /^cpu[0-9]*$/ { $9 += ($1 == "cpu" ? 200 : 100) } { print }' "$FX/t1/proc/stat" > "$W/t1/proc/stat"
"$A" report --policy "$S/policies/default.yaml" --root "$W/t0" --then "$W/t1" --json > "$W/r2.json" ||
	fail "report with steal"
python3 - "$W/r2.json" <<'PY' || fail "report JSON with steal: $(head -c 1500 "$W/r2.json")"
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["rule"]: x for x in d["findings"]}
s = f["steal-high"]
assert s["outside_vm"] and s["where"] == "host" and s["advice"] == "outside this VM \u2014 ask your provider", s
assert "guest.cpu.steal=" in s["evidence"], s
ask = s["items"][0]
assert ask["side"] == "host" and "pinned or dedicated vCPUs" in ask["text"], ask
assert d["metrics"]["guest.cpu.steal"] > 10
PY
"$A" report --policy "$S/policies/default.yaml" --root "$W/t0" --then "$W/t1" > "$W/r2.txt" || fail "text"
grep -q '^  \[outside this VM — ask your provider\] steal-high: ' "$W/r2.txt" || fail "text: $(cat "$W/r2.txt")"
grep -q '^      ask: steal' "$W/r2.txt" || fail "text: no ask line"

# ---- captures without /proc/uptime: said, and --interval used ----
"$A" report --policy "$S/policies/default.yaml" --root "$S/tests/fixtures/debian-6.1/t0" \
	--then "$S/tests/fixtures/debian-6.1/t1" --no-netlink --interval 0.5 --json > "$W/r3.json" 2> "$W/r3.err" ||
	fail "report on old captures"
grep -q "has no proc/uptime: rates over --interval 0.50 s" "$W/r3.err" || fail "no word on the missing uptime"
python3 - "$W/r3.json" <<'PY' || fail "report on old captures: $(head -c 1500 "$W/r3.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["interval_s"] == 0.5
# 250 accepts in the interval, nothing staying open: one connection per request
f = {x["rule"]: x for x in d["findings"]}
n = [i["text"] for i in f["short-connections"]["items"]][0]
assert n.startswith("clients open a connection per request: keep-alive or pooling removes this cost"), n
assert "500 accepts/s" in n, n
PY
echo "PASS: vtune-agent report: guest findings with their changes, steal outside this VM with evidence, rates over the captures' uptime"
