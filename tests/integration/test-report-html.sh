#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 180
# test-report-html: `vtune report` against vtune-hostd on the sim backend with
# fake guests (one contended by the host, one healthy): after ~15 s of
# history, --html writes a page that headless Chromium renders with charts
# holding data; --json parses; --from a saved capture gives the live diagnosis.
set -u
B=${VTUNE_BUILD:-$PWD/build}
H=$B/vtune-hostd
V=${VTUNE_CLI:-$B/vtune}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d) || exit 1
PIDS=
HPID=

fail() {
	echo "FAIL: test-report-html: $*" >&2
	echo "--- hostd log" >&2; tail -n 30 "$TMP/hostd.log" >&2 2>/dev/null
	exit 1
}
cleanup() {
	for p in $HPID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $HPID $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$CHROMIUM" ] || { echo "SKIP: test-report-html needs $CHROMIUM"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: test-report-html needs python3"; exit 77; }
[ -x "$H" ] && [ -x "$V" ] || fail "no $H or $V: build first (make)"
"$V" report --help >/dev/null 2>&1 || fail "$V has no report command"

mkdir "$TMP/guests"
cat > "$TMP/policy.yaml" <<'YAML'
version: 1
rules:
  - name: accept-overflow
    when: guest.tcp.listen_overflows > 10/s
    for: 1s
    cooldown: 1h
    guest:
      - sysctl: net.core.somaxconn
        set: 4096
YAML

# The QEMU side of a guest's channel and an agent behind it, reporting a
# guest view that moves a little every report:
# fakeguest GUEST OVERFLOWS STEAL LOG [--host-metric NAME=VALUE...] &
# (exec: $! is the guest itself)
fakeguest() {
	g=$1 ov=$2 st=$3 log=$4; shift 4
	if [ "$ov" = 0.0 ]; then full=0 queue=3; else full=1 queue=128; fi
	exec python3 "$HERE/fakeguest.py" --socket "$TMP/guests/$g.sock" --log "$log" --period 0.5 \
		--sysctl net.core.somaxconn=128 \
		--wobbling-metric guest.tcp.listen_overflows="$ov" --wobbling-metric guest.cpu.steal="$st" \
		--wobbling-metric guest.tcp.passive_opens=3000 --metric guest.cpu.busy_max=60.0 \
		--metric guest.net.rx_drops=0 --metric guest.softnet.dropped=0 \
		--metric guest.listen.full=$full --metric guest.cpus=4 \
		--metric guest.sysctl.somaxconn=@net.core.somaxconn \
		--sample 'listeners=[{"family": "ipv4", "addr": "0.0.0.0", "port": 80, "queue": '$queue', "backlog": 128, "fill": 1}]' \
		--sample 'cpu={"per_cpu": [{"cpu": 0, "busy": 60.0, "softirq": 20.0, "steal": '$st', "user": 30, "system": 10}, {"cpu": 1, "busy": 20.0, "softirq": 1.0, "steal": '$st', "user": 15, "system": 4}]}' \
		--sample 'softnet={"net_rx_hot_cpu": 0}' \
		"$@"
}

# busy: overflows while the host makes it wait (vCPU delay 35 %); calm: fine.
# (each guest writes its host view, $TMP/guests/<name>.host, before its socket)
fakeguest busy 50.0 2.0 "$TMP/busy.log" --host-metric host.vcpu.delay=35 --host-metric host.vcpu.delay_max=50 \
	--host-metric host.cpu.busy_max=70 --host-metric host.bridge_nf=1 --host-metric host.tap.tx_drops=0 \
	--host-metric host.sriov.free_vfs=2 & PIDS="$PIDS $!"
fakeguest calm 0.0 0.5 "$TMP/calm.log" --host-metric host.vcpu.delay=1 --host-metric host.cpu.busy_max=20 \
	--host-metric host.bridge_nf=0 & PIDS="$PIDS $!"
for i in $(seq 50); do [ -S "$TMP/guests/busy.sock" ] && [ -S "$TMP/guests/calm.sock" ] && break; sleep 0.1; done

"$H" --backend sim --uri "$TMP/guests" --policy "$TMP/policy.yaml" --interval 0.5 \
	--journal "$TMP/journal" --control "$TMP/ctl.sock" --root "$TMP/root" -v \
	>"$TMP/hostd.log" 2>&1 & HPID=$!

# ~15 s of history
sleep 15
kill -0 "$HPID" 2>/dev/null || fail "hostd died"

# --save + text, then --from the same capture: the same diagnosis.
"$V" report --control "$TMP/ctl.sock" --save "$TMP/saved.json" >"$TMP/live.txt" 2>"$TMP/err" \
	|| fail "report: $(cat "$TMP/err")"
grep -q 'GUEST VIEW' "$TMP/live.txt" || fail "no side-by-side table: $(cat "$TMP/live.txt")"
# the diagnosis lines, each joined with its wrapped continuation lines
diag() { awk '/^  diagnosis/ { if (l != "") print l; l = $0; next }
	      /^                 / && l != "" { sub(/^ +/, " "); l = l $0; next }
	      { if (l != "") print l; l = "" } END { if (l != "") print l }' "$1"; }
diag "$TMP/live.txt" >"$TMP/live.diag"
grep -q 'host contention' "$TMP/live.diag" || fail "busy: no host contention: $(cat "$TMP/live.txt")"
grep -q 'no bottleneck found' "$TMP/live.diag" || fail "calm: not healthy: $(cat "$TMP/live.txt")"
grep -q 'bridge-nf on with many new connections' "$TMP/live.diag" || fail "busy: no bridge-nf finding"
tr -s ' \n' '  ' < "$TMP/live.txt" | grep -q 'net.core.somaxconn .* -> 4096 (rule accept-overflow)' \
	|| fail "the journal's change is not shown: $(cat "$TMP/live.txt")"
"$V" report --from "$TMP/saved.json" >"$TMP/from.txt" 2>"$TMP/err" || fail "--from: $(cat "$TMP/err")"
diag "$TMP/from.txt" >"$TMP/from.diag"
cmp -s "$TMP/live.diag" "$TMP/from.diag" || fail "--from diagnosis differs: $(diff "$TMP/live.diag" "$TMP/from.diag")"

# --json parses, with the same diagnosis strings as the text.
"$V" report --control "$TMP/ctl.sock" --json >"$TMP/report.json" 2>"$TMP/err" || fail "--json: $(cat "$TMP/err")"
python3 - "$TMP/report.json" "$TMP/from.diag" "$TMP/saved.json" <<'PY' || fail "--json is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
g = {x["name"]: x for x in d["guests"]}
assert set(g) == {"busy", "calm"}, g.keys()
assert any(x["rule"] == "host-contention" for x in g["busy"]["diagnosis"]), g["busy"]["diagnosis"]
assert g["calm"]["diagnosis"][0]["rule"] == "healthy", g["calm"]["diagnosis"]
assert "history" not in g["busy"]
# the text of --from the saved capture has the same diagnosis lines
saved = json.load(open(sys.argv[3]))
# 30 min in HIST_MAX_POINTS (720): one point per 2.5 s at a 0.5 s interval
assert len(saved["guests"][0]["history"]["t"]) >= 5, "little history"
texts = ["  diagnosis [%s] %s" % (x["side"], x["text"]) for n in ("busy", "calm") for x in g[n]["diagnosis"]]
lines = open(sys.argv[2]).read().splitlines()
for t in texts:
    # rates move between two captures: compare up to the first digit
    assert any(l.split("(")[0] == t.split("(")[0] for l in lines), (t, lines)
PY

# --guest: one guest; --watch: refreshes, clearing the screen, until stopped.
"$V" report --control "$TMP/ctl.sock" --guest calm >"$TMP/calm.txt" 2>&1 || fail "--guest: $(cat "$TMP/calm.txt")"
grep -q '^guest calm' "$TMP/calm.txt" && ! grep -q '^guest busy' "$TMP/calm.txt" || fail "--guest calm: $(cat "$TMP/calm.txt")"
"$V" report --control "$TMP/ctl.sock" --guest nope >/dev/null 2>"$TMP/err" && fail "--guest nope succeeded"
grep -q "no guest named 'nope'" "$TMP/err" || fail "--guest nope: $(cat "$TMP/err")"
timeout -s INT 2.5 "$V" report --control "$TMP/ctl.sock" --watch 1 >"$TMP/watch.txt" 2>&1
[ "$(grep -o "$(printf '\033')\[2J" "$TMP/watch.txt" | wc -l)" -ge 2 ] || fail "--watch did not refresh"

# --html: a self-contained page with charts holding data.
"$V" report --control "$TMP/ctl.sock" --html "$TMP/page.html" --minutes 5 2>"$TMP/err" \
	|| fail "--html: $(cat "$TMP/err")"
grep -qi '<script[^>]*src\|<link\|https\?://[a-z]' "$TMP/page.html" \
	&& ! grep -q 'xmlns="http://www.w3.org/2000/svg"' "$TMP/page.html" && fail "the page is not self-contained"
grep -o '<[^>]*\(src\|href\)=[^>]*>' "$TMP/page.html" | grep -q . && fail "the page loads something"
[ "$(grep -c '<svg ' "$TMP/page.html")" = 6 ] || fail "want 6 charts (3 per guest)"

U=$TMP/chrome-profile
mkdir "$U"
CHROME="$CHROMIUM --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync --user-data-dir=$U"
timeout 60 $CHROME --screenshot="$TMP/shot.png" --window-size=1280,2000 "file://$TMP/page.html" \
	>"$TMP/chrome.log" 2>&1
[ -s "$TMP/shot.png" ] || fail "no screenshot: $(tail -5 "$TMP/chrome.log")"
timeout 60 $CHROME --dump-dom "file://$TMP/page.html" >"$TMP/dom.html" 2>>"$TMP/chrome.log"
python3 - "$TMP/shot.png" "$TMP/dom.html" <<'PY' || fail "the rendered page is blank or has no data"
import re, struct, sys, zlib
png = open(sys.argv[1], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", png[16:24])
assert w >= 1000 and h >= 1000, (w, h)
# decode the image (8-bit RGB/RGBA, no interlace) and count distinct colours
pos, idat, ct = 8, b"", None
while pos < len(png):
    n, typ = struct.unpack(">I4s", png[pos:pos + 8])
    data = png[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        bd, ct = data[8], data[9]
        assert bd == 8 and data[12] == 0, "unexpected PNG format"
    elif typ == b"IDAT":
        idat += data
    pos += 12 + n
bpp = {2: 3, 6: 4}[ct]
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = set()
i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, stride, bpp * 2):
            colours.add(bytes(line[x:x + 3]))
    prev = line
assert len(colours) > 20, "blank screenshot: %d colours" % len(colours)
# the series colours of the charts are on screen
for rgb in ((0x1f, 0x77, 0xb4), (0xd6, 0x27, 0x28)):
    assert bytes(rgb) in colours, "no %r in the screenshot" % (rgb,)
dom = open(sys.argv[2]).read()
svgs = re.findall(r'<svg[^>]*data-series="([^"]*)"[^>]*data-points="(\d+)"', dom)
assert len(svgs) == 6, svgs
assert all(int(p) >= 5 for _, p in svgs), svgs
assert ("guest.cpu.steal,host.vcpu.delay", svgs[0][1]) in svgs, svgs
assert len(re.findall(r"<polyline", dom)) >= 8, "few lines drawn"
# round y ticks: 0 and multiples of one step of 1, 2 or 5 times a power of ten
for svg in re.findall(r"<svg.*?</svg>", dom, re.S):
    ticks = [t for t in re.findall(r'class="ytick"[^>]*>([^<]*)<', svg)]
    assert ticks and ticks[0] == "0", ticks
    def val(t):
        m = {"k": 1e3, "M": 1e6, "G": 1e9}
        return float(t[:-1]) * m[t[-1]] if t[-1] in m else float(t)
    left = [val(t) for t in re.findall(r'class="ytick" x="%s"[^>]*>([^<]*)<' % re.search(r'class="ytick" x="([0-9.]+)"', svg).group(1), svg)]
    step = left[1] - left[0]
    mant = step / 10 ** __import__("math").floor(__import__("math").log10(step))
    assert any(abs(mant - m) < 1e-6 for m in (1, 2, 5)), ("not a round step", left)
    assert all(abs(v - i * step) < 1e-6 * max(1, step) for i, v in enumerate(left)), left
    # a labelled time axis with several times of day, the same on every chart
    assert 'class="xaxis"' in svg and "time of day" in svg, "no time axis label"
    xt = re.findall(r'class="xtick"[^>]*>(\d\d:\d\d(?::\d\d)?)<', svg)
    assert len(xt) >= 3, ("few time ticks", xt)
    # legends in words (the catalogue's help), not metric names
    for name in re.findall(r'class="legend"[^>]*>([^<]*)<', svg):
        assert not re.search(r"\b(guest|host)\.[a-z_]+\.[a-z_]+", name), ("internal name in legend", name)
        assert name.startswith(("guest: ", "host: ")), name
# the span said matches the data: "N s of data" on the page and each chart
spans = [int(x) for x in re.findall(r'data-span="(\d+)"', dom)]
said = re.search(r'class="history">(\d+) s of data<', dom)
assert said and abs(int(said.group(1)) - max(spans)) <= 1, (said and said.group(0), spans)
assert "minutes of data" not in dom
# vtune's change (the accept-overflow rule fired) is marked on busy's charts
marks = re.findall(r'<g class="change"><title>([^<]*)</title>', dom)
assert marks and any("somaxconn" in m for m in marks), marks
PY

# REPORT_KEEP=DIR keeps the page, the screenshot and the outputs to look at
[ -n "${REPORT_KEEP:-}" ] && mkdir -p "$REPORT_KEEP" &&
	cp "$TMP/page.html" "$TMP/shot.png" "$TMP/live.txt" "$TMP/saved.json" "$TMP/report.json" "$REPORT_KEEP/"

kill -TERM "$HPID"; wait "$HPID"; HPID=
grep -q 'AddressSanitizer\|runtime error' "$TMP/hostd.log" && fail "sanitizer errors in the hostd log"
echo "PASS: test-report-html"
exit 0
