#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 60
# test-prometheus-rules: contrib/prometheus's recording and alerting rules
# pass `promtool check rules`, their unit tests pass `promtool test rules`,
# and every alert has a test in which it fires and one in which it does not.
set -u
SRC=${VTUNE_SRC:-$PWD}
P=$SRC/contrib/prometheus
fail() { echo "FAIL: test-prometheus-rules: $*" >&2; exit 1; }
command -v promtool >/dev/null || { echo "SKIP: test-prometheus-rules needs promtool (Debian package prometheus)"; exit 77; }
command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null \
	|| { echo "SKIP: test-prometheus-rules needs python3-yaml"; exit 77; }

promtool check rules "$P/vtune-recording.yml" "$P/vtune-alerts.yml" || fail "promtool check rules"
out=$(promtool test rules "$P"/tests/*.test.yml 2>&1) || fail "promtool test rules: $out"
echo "$out"
python3 - "$P" <<'PY' || fail "an alert without a firing and a quiet test"
import glob, sys, yaml
p = sys.argv[1]
alerts = [r["alert"] for g in yaml.safe_load(open(p + "/vtune-alerts.yml"))["groups"]
          for r in g["rules"] if "alert" in r]
fires, quiet = set(), set()
for f in glob.glob(p + "/tests/*.test.yml"):
    for t in yaml.safe_load(open(f))["tests"]:
        for a in t.get("alert_rule_test", []):
            (fires if a.get("exp_alerts") else quiet).add(a["alertname"])
bad = [a for a in alerts if a not in fires or a not in quiet]
for a in alerts:
    print("alert %-36s fires: %-3s quiet: %s" % (a, "yes" if a in fires else "NO", "yes" if a in quiet else "NO"))
sys.exit(1 if bad else 0)
PY
echo "PASS: test-prometheus-rules"
