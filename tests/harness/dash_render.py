#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# dash_render.py: draw a Grafana dashboard's panels from a live Prometheus,
# without Grafana (Debian 12 does not package it): every panel's own PromQL
# is run against Prometheus' HTTP API (instant queries for stat and table
# panels, range queries over the last SECONDS for time series), laid out by
# its gridPos, and written as one self-contained HTML page (SVG lines, HTML
# tables) that headless Chromium can screenshot. Variables: $host and $guest
# are all (.*), $top 5; a panel repeated by guest is drawn for the 3 guests
# that lose the most accepts. A helper of tests/integration/test-fleet.sh.
#
#   dash_render.py DASHBOARD.json http://127.0.0.1:9090 OUT.html [SECONDS]
# (SECONDS: the time range drawn, default 300)
import html, json, sys, time, urllib.parse, urllib.request

dash_path, prom, out = sys.argv[1:4]
SPAN = float(sys.argv[4]) if len(sys.argv) > 4 else 300.0
dash = json.load(open(dash_path))
VARS = {"$__rate_interval": "30s", "$__interval": "5s", "$host": ".*", "$top": "5"}
COLORS = ["#5794f2", "#f2495c", "#73bf69", "#ff9830", "#b877d9", "#fade2a", "#8ab8ff", "#ff7383"]
END = time.time()
START = END - SPAN


def api(path, **params):
    u = prom + path + "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(u, timeout=10) as r:
        d = json.load(r)
    if d.get("status") != "success":
        raise SystemExit("dash_render: %s: %s" % (params.get("query"), d))
    return d["data"]["result"]


def subst(s, guest):
    for k, v in VARS.items():
        s = s.replace(k, v)
    return s.replace("$guest", guest)


def legend(fmt, metric):
    if not fmt:
        return ",".join("%s=%s" % kv for kv in sorted(metric.items()) if kv[0] != "__name__") or "value"
    out = fmt
    for k, v in metric.items():
        out = out.replace("{{%s}}" % k, v)
    return out


def fmt_value(v, unit):
    if unit == "percentunit":
        return "%.1f%%" % (100 * v)
    if unit in ("cps", "pps", "reqps"):
        return "%.1f/s" % v
    return "%g" % round(v, 2)


def timeseries(p, guest, w, h):
    series = []
    for t in p["targets"]:
        for r in api("/api/v1/query_range", query=subst(t["expr"], guest), start=START, end=END, step=max(1, SPAN / 120)):
            pts = [(float(a), float(b)) for a, b in r["values"]]
            series.append((legend(t.get("legendFormat"), r["metric"]), pts))
    unit = p["fieldConfig"]["defaults"].get("unit", "none")
    W, H, L, B = w - 20, h - 70, 60, 20
    ys = [y for _, pts in series for _, y in pts] or [0]
    ymax = max(ys) * 1.1 or 1
    svg = ['<svg width="%d" height="%d">' % (W, H + B)]
    for i in range(5):
        y = H - H * i / 4
        svg.append('<line x1="%d" x2="%d" y1="%.0f" y2="%.0f" stroke="#333"/>' % (L, W, y, y))
        svg.append('<text x="%d" y="%.0f" fill="#999" font-size="11" text-anchor="end">%s</text>'
                   % (L - 4, y + 4, fmt_value(ymax * i / 4, unit)))
    for i in range(6):
        x = L + (W - L) * i / 5
        svg.append('<text x="%.0f" y="%d" fill="#999" font-size="11" text-anchor="middle">%s</text>'
                   % (x, H + 15, time.strftime("%H:%M:%S", time.localtime(START + SPAN * i / 5))))
    items = []
    for k, (name, pts) in enumerate(series):
        c = COLORS[k % len(COLORS)]
        path = " ".join("%.1f,%.1f" % (L + (W - L) * (x - START) / SPAN, H - H * y / ymax) for x, y in pts)
        svg.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (c, path))
        last = pts[-1][1] if pts else float("nan")
        items.append('<span style="color:%s">&#9632;</span> %s <b>%s</b>' % (c, html.escape(name), fmt_value(last, unit)))
    svg.append("</svg>")
    if not series:
        return '<div class="empty">no data</div>'
    return "".join(svg) + '<div class="legend">' + " &nbsp; ".join(items) + "</div>"


def stat(p, guest):
    r = api("/api/v1/query", query=subst(p["targets"][0]["expr"], guest))
    unit = p["fieldConfig"]["defaults"].get("unit", "none")
    vals = ", ".join(fmt_value(float(x["value"][1]), unit) for x in r) or "no data"
    return '<div class="stat">%s</div>' % vals


def table(p, guest):
    rows, cols = [], []
    for t in p["targets"]:
        for r in api("/api/v1/query", query=subst(t["expr"], guest)):
            m = dict(r["metric"])
            m.pop("__name__", None)
            m["Value"] = fmt_value(float(r["value"][1]), p["fieldConfig"]["defaults"].get("unit", "none"))
            rows.append(m)
            cols += [k for k in m if k not in cols]
    if not rows:
        return '<div class="empty">no data</div>'
    cols = [c for c in cols if c not in ("job",)]
    h = "".join("<th>%s</th>" % html.escape(c) for c in cols)
    b = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape(r.get(c, "")) for c in cols) for r in rows)
    return "<table><tr>%s</tr>%s</table>" % (h, b)


# the guests a repeated panel is drawn for
lost = api("/api/v1/query", query="topk(3, vtune:guest_accepts_lost:rate1m)")
guests = [r["metric"]["guest"] for r in sorted(lost, key=lambda r: -float(r["value"][1]))] or [".*"]

cells, ymax = [], 0
shift = 0
for p in sorted(dash["panels"], key=lambda p: (p["gridPos"]["y"], p["gridPos"]["x"])):
    g = p["gridPos"]
    reps = guests if p.get("repeat") == "guest" else [".*"]
    for k, guest in enumerate(reps):
        y = g["y"] + shift + k * g["h"]
        w, h = g["w"] * 64, g["h"] * 34
        title = p["title"].replace("$top", VARS["$top"]).replace("$guest", guest)
        body = {"timeseries": lambda: timeseries(p, guest, w, h), "stat": lambda: stat(p, guest),
                "table": lambda: table(p, guest)}.get(p["type"], lambda: "")()
        cells.append('<div class="panel" style="left:%dpx;top:%dpx;width:%dpx;height:%dpx">'
                     '<div class="title">%s</div>%s</div>'
                     % (g["x"] * 64 + 8, y * 34 + 60, w - 8, h - 8, html.escape(title), body))
        ymax = max(ymax, (y + g["h"]) * 34 + 60)
    if p.get("repeat") == "guest" and g["x"] + g["w"] >= 24:
        shift += (len(reps) - 1) * g["h"]

page = """<!doctype html><meta charset="utf-8"><title>%s</title>
<style>
body{background:#111217;color:#ccccdc;font:13px sans-serif;margin:0;width:1560px;height:%dpx;position:relative}
.hdr{padding:10px 16px;font-size:15px}.hdr small{color:#999}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:3px;overflow:hidden}
.title{padding:6px 8px;font-weight:bold}.stat{font-size:34px;padding:4px 12px;color:#73bf69}
.legend{padding:2px 8px;font-size:11px}.empty{padding:20px;color:#777}
table{border-collapse:collapse;margin:0 8px;font-size:12px}td,th{border-bottom:1px solid #2c3235;padding:3px 8px;text-align:left}
</style>
<div class="hdr">%s <small>&mdash; the panels of %s, each drawn from its own PromQL against
Prometheus %s at %s by tests/harness/dash_render.py (not Grafana); $host, $guest = all, $top = 5</small></div>
%s""" % (html.escape(dash["title"]), ymax + 20, html.escape(dash["title"]), html.escape(dash_path.split("/")[-1]),
         html.escape(prom), time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(END)), "\n".join(cells))
open(out, "w").write(page)
print("dash_render: %d panels -> %s" % (len(cells), out))
