#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# hostile_guests: fake guests for vtune-hostd's sim backend (python3 playing
# QEMU's side of each agent channel: hostd connects to DIR/NAME.sock), well
# behaved ones and attackers, plus the driver of test-hostile-guests.sh.
#
#   good DIR N [--prefix P] [--overflows X] [--period S]
#       N well-behaved guests P0..P{N-1} in one process: answer hello, report
#       every S seconds (guest.tcp.listen_overflows = X), ack applies; each
#       listener accepts again after hostd goes away (restart tests).
#   attack KIND PATH SECONDS
#       one hostile guest on PATH running attack KIND for SECONDS.
#   drive --hostd-pid PID --vtune V --control C --dir D --log L --journal J
#         --root R [--good N] [--seconds S] [--only KIND,...]
#       run every attack in turn next to the good guests, sample
#       `vtune status --json` during each, check and print the table.
import json
import os
import select
import socket
import subprocess
import sys
import time

HELLO = (b'\xff\n{"v":1,"type":"hello","role":"agent","version":"0.1.0",'
         b'"min_v":1,"max_v":1,"caps":["sysctl"]}\n')


def listen(path):
    """A listening unix socket that appears whole at path."""
    try:
        os.unlink(path + ".tmp")
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path + ".tmp")
    srv.listen(16)
    os.rename(path + ".tmp", path)
    return srv


def report(seq, metrics, **extra):
    rep = {"v": 1, "type": "report", "seq": seq, "mono_ns": time.monotonic_ns(),
           "interval_s": 1, "sample": {"metrics": metrics}}
    rep.update(extra)
    return (json.dumps(rep) + "\n").encode()


# ---- well-behaved guests ----

class Good:
    """One well-behaved guest: its listener and, when hostd is connected,
    its channel."""

    def __init__(self, path, overflows, period):
        self.path, self.overflows, self.period = path, overflows, period
        self.srv = listen(path)
        self.srv.setblocking(False)
        self.c = None
        self.somaxconn = 128
        self.applies = 0

    def accept(self):
        c, _ = self.srv.accept()
        if self.c:
            self.c.close()
        self.c, self.buf, self.hello, self.seq, self.next = c, b"", False, 0, 0.0
        c.setblocking(False)

    def drop(self):
        if self.c:
            self.c.close()
        self.c = None

    def send(self, data):
        try:
            self.c.sendall(data)
        except OSError:
            self.drop()

    def readable(self):
        try:
            d = self.c.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            d = b""
        if not d:
            self.drop()
            return
        self.buf += d
        while self.c and b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            line = line.replace(b"\xff", b"").strip()
            if not line:
                continue
            m = json.loads(line)
            if m["type"] == "hello":
                if not self.hello:
                    self.hello = True
                    self.send(HELLO)
            elif m["type"] == "apply":
                self.applies += 1
                res = []
                for ch in m["changes"]:
                    old = str(self.somaxconn)
                    if ch["key"] == "net.core.somaxconn":
                        self.somaxconn = int(ch["value"])
                    res.append({"key": ch["key"], "old": old, "new": ch["value"]})
                self.send((json.dumps({"v": 1, "type": "ack", "id": m["id"],
                                       "results": res}) + "\n").encode())

    def tick(self, now):
        if self.c and self.hello and now >= self.next:
            self.next = now + self.period
            self.seq += 1
            self.send(report(self.seq, {"guest.tcp.listen_overflows": self.overflows,
                                        "guest.cpu.steal": 1.0,
                                        "guest.sysctl.somaxconn": self.somaxconn}))


def run_good(argv):
    d, n = argv[0], int(argv[1])
    prefix, overflows, period = "good", 50.0, 1.0
    i = 2
    while i < len(argv):
        if argv[i] == "--prefix":
            prefix = argv[i + 1]
        elif argv[i] == "--overflows":
            overflows = float(argv[i + 1])
        elif argv[i] == "--period":
            period = float(argv[i + 1])
        i += 2
    guests = [Good(os.path.join(d, "%s%d.sock" % (prefix, k)), overflows, period)
              for k in range(n)]
    while True:
        rd = [g.srv for g in guests] + [g.c for g in guests if g.c]
        r, _, _ = select.select(rd, [], [], 0.05)
        for g in guests:
            if g.srv in r:
                g.accept()
            elif g.c and g.c in r:
                g.readable()
        now = time.monotonic()
        for g in guests:
            g.tick(now)


# ---- attackers ----

def session(srv, deadline):
    """Accept hostd, read its hello, say hello back; None when it did not
    come before the deadline."""
    srv.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        c, _ = srv.accept()
    except OSError:
        return None
    c.settimeout(5)
    try:
        c.recv(4096)
        c.sendall(HELLO)
    except OSError:
        pass
    return c


def drain(c):
    """Read what hostd sent without blocking (the attacker reads nothing
    else; hostd's error lines are rate-limited anyway)."""
    try:
        while select.select([c], [], [], 0)[0]:
            if not c.recv(65536):
                return False
    except OSError:
        return False
    return True


def attack_flood(srv, end):
    """10 000 valid reports a second, in 10 ms batches of 100."""
    seq = 0
    while time.monotonic() < end:
        c = session(srv, end)
        if not c:
            return
        try:
            while time.monotonic() < end:
                t = time.monotonic()
                batch = b"".join(report(seq + k + 1, {"guest.tcp.listen_overflows": 1.0})
                                 for k in range(100))
                seq += 100
                c.sendall(batch)
                drain(c)
                left = 0.01 - (time.monotonic() - t)
                if left > 0:
                    time.sleep(left)
        except OSError:
            pass  # disconnected for flooding: hostd reconnects after its backoff
        c.close()


def attack_longline(srv, end):
    """A 10 MB line (no newline until the end), then good reports, again."""
    seq = 0
    chunk = b"x" * 65536
    while time.monotonic() < end:
        c = session(srv, end)
        if not c:
            return
        try:
            while time.monotonic() < end:
                c.sendall(b'{"v":1,"type":"report","pad":"')
                for _ in range(160):  # 160 * 64 KiB = 10 MiB
                    c.sendall(chunk)
                c.sendall(b'"}\n')
                for _ in range(3):
                    seq += 1
                    c.sendall(report(seq, {"guest.tcp.listen_overflows": 1.0}))
                    drain(c)
                    time.sleep(0.3)
        except OSError:
            pass
        c.close()


def attack_slowloris(srv, end):
    """One byte a second, never a newline."""
    while time.monotonic() < end:
        c = session(srv, end)
        if not c:
            return
        try:
            while time.monotonic() < end:
                c.sendall(b"{")
                if not drain(c):
                    break
                time.sleep(1)
        except OSError:
            pass
        c.close()


BAD_LINES = [
    b"{not json}\n",
    b'{"v":1,"type":"report",}\n',
    b"[1,2,3]\n",
    b'{"v":1,"type":"report","seq":1,"mono_ns":1,"interval_s":1,"sample":{"metrics":{"guest.cpu.steal":NaN}}}\n',
    b'{"v":1,"type":"report","seq":\xc0\x80}\n',              # overlong UTF-8
    b'{"v":1,"type":"error","reason":"\xed\xa0\x80"}\n',        # a surrogate
    b'{"v":1,"type":"error","reason":"\xf4\x90\x80\x80"}\n',    # > U+10FFFF
    b'{"v":1,"type":"error","reason":"\xc3"}\n',                # truncated sequence
    b'{"v":1,"type":"error","reason":"a\x00b"}\n',              # NUL
    b'{"v":1,"type":"error","reason":"\\u0000"}\n',
    b'{"v":1,"type":"error","reason":"\\ud800"}\n',             # lone surrogate escape
    b'{"v":1,"type":"hello","type":"hello"}\n',                 # duplicate key
    b"[" * 5000 + b"]" * 5000 + b"\n",                          # deep nesting
    b'{"v":1,"type":"report","seq":99999999999999999999999}\n',
    b'{"v":1,"type":"apply","id":1,"rule":"x","changes":[]}\n', # host-only type
    b'{"v":1,"type":"nosuch"}\n',
    b"\xfe\xfe\xfe\xfe\n",
    b'\'single\'\n',
]


def attack_badjson(srv, end):
    """Invalid JSON and invalid UTF-8, 12 lines a second (under the rate
    limit, so every one is decoded and refused) and one good report."""
    i, seq = 0, 0
    while time.monotonic() < end:
        c = session(srv, end)
        if not c:
            return
        try:
            while time.monotonic() < end:
                for _ in range(12):
                    c.sendall(BAD_LINES[i % len(BAD_LINES)])
                    i += 1
                seq += 1
                c.sendall(report(seq, {"guest.tcp.listen_overflows": 1.0}))
                drain(c)
                time.sleep(1)
        except OSError:
            pass
        c.close()


BAD_NUMBERS = [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400", b"1e300",
               b"-1", b"-1e300", b"1e16", b'"5"', b"true", b"null", b"{}", b"[]",
               b"0.5e99999", b"1.5e15", b"-1e-300"]


def attack_badnums(srv, end):
    """Reports whose metric values are NaN, infinite, huge, negative or not
    numbers; one good report first so the guest has a latest view."""
    seq = 0
    while time.monotonic() < end:
        c = session(srv, end)
        if not c:
            return
        try:
            seq += 1
            c.sendall(report(seq, {"guest.tcp.listen_overflows": 1.0, "guest.cpu.steal": 2.0}))
            while time.monotonic() < end:
                for v in BAD_NUMBERS:
                    for name in (b"guest.tcp.listen_overflows", b"guest.cpu.steal",
                                 b"guest.sysctl.somaxconn"):
                        seq += 1
                        c.sendall(b'{"v":1,"type":"report","seq":%d,"mono_ns":1,"interval_s":1,'
                                  b'"sample":{"metrics":{"%s":%s}}}\n' % (seq, name, v))
                        drain(c)
                        time.sleep(0.06)  # ~16 lines/s: under the rate limit
                        if time.monotonic() >= end:
                            break
        except OSError:
            pass
        c.close()


def attack_unknown(srv, end):
    """Valid reports carrying hundreds of unknown fields, unknown metrics,
    unknown message types and acks for ids never sent."""
    seq = 0
    while time.monotonic() < end:
        c = session(srv, end)
        if not c:
            return
        try:
            while time.monotonic() < end:
                seq += 1
                extra = {"x%d" % k: k for k in range(300)}
                mets = {"guest.tcp.listen_overflows": 1.0}
                mets.update({"guest.nosuch.m%d" % k: k for k in range(500)})
                mets.update({"vendor.m%d" % k: k for k in range(200)})
                c.sendall(report(seq, mets, **extra))
                c.sendall(b'{"v":1,"type":"future_thing","id":3}\n')
                c.sendall(b'{"v":1,"type":"ack","id":424242,"results":[],"more":1}\n')
                c.sendall(b'{"v":7,"type":"report","seq":1,"mono_ns":1,"interval_s":1,"sample":{}}\n')
                c.sendall(b'{"v":1,"type":"hello","role":"agent","version":"9.9.9","min_v":1,'
                          b'"max_v":65535,"caps":["a","b"],"shiny":true}\n')
                drain(c)
                time.sleep(0.5)
        except OSError:
            pass
        c.close()


def attack_reconnect(srv, end):
    """A listener that accepts and closes at once, in a loop; every other
    time after saying hello (which resets hostd's backoff)."""
    srv.settimeout(0.2)
    k = 0
    while time.monotonic() < end:
        try:
            c, _ = srv.accept()
        except OSError:
            continue
        k += 1
        if k % 2 == 0:
            try:
                c.sendall(HELLO)
            except OSError:
                pass
        c.close()


def attack_trap(srv, end):
    """Reports that WOULD make hostd act on the host if believed: a metric
    far outside its range, and host.* names inside a guest report."""
    seq = 0
    while time.monotonic() < end:
        c = session(srv, end)
        if not c:
            return
        try:
            while time.monotonic() < end:
                seq += 1
                c.sendall(b'{"v":1,"type":"report","seq":%d,"mono_ns":1,"interval_s":1,'
                          b'"sample":{"metrics":{"guest.tcp.listen_overflows":1e300}}}\n' % seq)
                seq += 1
                c.sendall(b'{"v":1,"type":"report","seq":%d,"mono_ns":1,"interval_s":1,'
                          b'"sample":{"metrics":{"guest.tcp.listen_overflows":2e15}}}\n' % seq)
                seq += 1
                # in range for the guest metric, with host metrics it may not name
                c.sendall(report(seq, {"guest.tcp.listen_overflows": 1.0,
                                       "host.tap.tx_drops": 1e9, "host.bridge_nf": 1,
                                       "host.dom0.busy": 100, "host.offloads_off": 4}))
                drain(c)
                time.sleep(0.5)
        except OSError:
            pass
        c.close()


def attack_bloat(srv, end):
    """Lines that cost hostd the most memory per byte: 21 000 empty
    objects (over the 4096 objects-and-arrays limit: refused), and the
    largest report that is allowed (4000 empty objects and 25 000 numbers
    in ~63 KiB), which hostd keeps as the guest's latest sample."""
    over = b",".join([b"{}"] * 21000)
    worst = b",".join([b"{}"] * 4000) + b"," + b",".join([b"0"] * 25000)
    seq = 0
    while time.monotonic() < end:
        c = session(srv, end)
        if not c:
            return
        try:
            while time.monotonic() < end:
                for body in (over, worst):
                    seq += 1
                    c.sendall(b'{"v":1,"type":"report","seq":%d,"mono_ns":1,"interval_s":1,'
                              b'"sample":{"metrics":{"guest.tcp.listen_overflows":1},'
                              b'"x":[%s]}}\n' % (seq, body))
                drain(c)
                time.sleep(0.25)
        except OSError:
            pass
        c.close()


ATTACKS = {
    "flood": (attack_flood, 12),        # past the 10 s sustained-flooding limit
    "longline": (attack_longline, 8),
    "slowloris": (attack_slowloris, 13),  # past the 10 s partial-line limit
    "badjson": (attack_badjson, 8),
    "badnums": (attack_badnums, 8),
    "unknown": (attack_unknown, 8),
    "reconnect": (attack_reconnect, 8),
    "trap": (attack_trap, 8),
    "bloat": (attack_bloat, 8),
}


def run_attack(argv):
    kind, path, secs = argv[0], argv[1], float(argv[2])
    srv = listen(path)
    ATTACKS[kind][0](srv, time.monotonic() + secs)


# ---- the driver ----

def vm_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status(vtune, control):
    out = subprocess.run([vtune, "status", "--json", "--control", control],
                         capture_output=True, timeout=10)
    if out.returncode != 0:
        raise RuntimeError("vtune status: %s" % out.stderr.decode(errors="replace"))
    d = json.loads(out.stdout)
    return {g["name"]: g for g in d["guests"]}, d


def check_attack(kind, h, start_log, log_lines, journal_before, o):
    """What must hold for the hostile guest h (its last status) after
    attack kind; returns a list of problems."""
    bad = []
    name = "evil-" + kind
    mine = [l for l in log_lines if ("guest %s:" % name) in l]
    warn = [l for l in mine if "channel closed" not in l and "connected to" not in l
            and "agent " not in l and "found" not in l and "gone" not in l]
    if h is None:
        return ["the hostile guest never appeared in status"]
    if kind == "flood":
        if h["dropped"] < 1000:
            bad.append("flood: only %d lines dropped" % h["dropped"])
        if h["disconnects"] < 1 or "flooding" not in h["last_close"] + " ".join(mine):
            bad.append("flood: not disconnected for flooding (%s)" % h["last_close"])
        if not any("throttled" in l for l in mine):
            bad.append("flood: no 'throttled' log line")
    elif kind == "longline":
        if h["invalid"] < 1:
            bad.append("longline: overlong line not counted")
        if h["reports"] < 2:
            bad.append("longline: good reports after the long line not taken (%d)" % h["reports"])
    elif kind == "slowloris":
        if h["disconnects"] < 1 or "partial line" not in " ".join(mine):
            bad.append("slowloris: not disconnected for its partial line (%s)" % h["last_close"])
    elif kind == "badjson":
        if h["invalid"] < 50:
            bad.append("badjson: only %d invalid lines counted" % h["invalid"])
        if h["reports"] < 3:
            bad.append("badjson: the good reports between were not taken")
    elif kind == "badnums":
        if h["bad_reports"] + h["invalid"] < 50:
            bad.append("badnums: only %d bad reports" % (h["bad_reports"] + h["invalid"]))
        gm = h.get("guest_metrics") or {}
        for k, v in gm.items():
            if not isinstance(v, (int, float)) or v != v or v < -1e12 or v > 1e15:
                bad.append("badnums: %s = %r believed" % (k, v))
        if gm.get("guest.tcp.listen_overflows", 1.0) != 1.0 or gm.get("guest.cpu.steal", 2.0) != 2.0:
            bad.append("badnums: latest view changed: %r" % gm)
    elif kind == "unknown":
        if h["unknown_fields"] < 300 or h["unknown_metrics"] < 500:
            bad.append("unknown: unknown fields/metrics not counted (%d, %d)"
                       % (h["unknown_fields"], h["unknown_metrics"]))
        if h["reports"] < 3 or h["unknown_acks"] < 1:
            bad.append("unknown: reports %d, unknown acks %d" % (h["reports"], h["unknown_acks"]))
    elif kind == "reconnect":
        if h["disconnects"] < 2:
            bad.append("reconnect: only %d disconnects" % h["disconnects"])
        if h["disconnects"] > 12:
            bad.append("reconnect: %d reconnects in 8 s: no backoff" % h["disconnects"])
    elif kind == "bloat":
        if h["invalid"] < 5 or h["reports"] < 5:
            bad.append("bloat: over-limit lines not refused or the largest allowed "
                       "report not taken (invalid %d, reports %d)" % (h["invalid"], h["reports"]))
    elif kind == "trap":
        if h["bad_reports"] < 2 or h["unknown_metrics"] < 2:
            bad.append("trap: out-of-range reports / host names not refused (%d, %d)"
                       % (h["bad_reports"], h["unknown_metrics"]))
        gm = h.get("guest_metrics") or {}
        if any(k.startswith("host.") for k in gm) or gm.get("guest.tcp.listen_overflows", 0) > 1e14:
            bad.append("trap: guest metrics believed: %r" % gm)
        hm = h.get("host_metrics") or {}
        if hm.get("host.tap.tx_drops", 0) != 0 or hm.get("host.bridge_nf", 0) != 0 or \
                "host.dom0.busy" in hm or "host.offloads_off" in hm:
            bad.append("trap: the guest's host.* names reached the host view: %r" % hm)
        with open(o["journal"]) as f:
            recs = [json.loads(l) for l in f if l.strip()]
        for r in recs[journal_before:]:
            if r.get("side") == "host" or r.get("domain") == name:
                bad.append("trap: journal record for the hostile guest / host: %r" % r)
        for rel, want in (("proc/sys/net/core/somaxconn", "128"),
                          ("proc/sys/net/core/netdev_max_backlog", "1000")):
            with open(os.path.join(o["root"], rel)) as f:
                got = f.read().strip()
            if got != want:
                bad.append("trap: host %s is %s, not %s" % (rel, got, want))
        if any("trap-" in l for l in log_lines):
            bad.append("trap: a trap rule fired: %s" % [l for l in log_lines if "trap-" in l][:2])
    # rate-limited logging: a handful of lines per attack, not one per line
    if len(warn) > 12:
        bad.append("%s: %d log lines about the hostile guest (not rate-limited)" % (kind, len(warn)))
    return bad


def drive(argv):
    o = {"good": 10, "seconds": None, "only": None}
    i = 0
    while i < len(argv):
        o[argv[i][2:].replace("-", "_")] = argv[i + 1]
        i += 2
    pid, ngood = int(o["hostd_pid"]), int(o["good"])
    good = ["good%d" % k for k in range(ngood)]
    kinds = o["only"].split(",") if o["only"] else list(ATTACKS)
    me = os.path.abspath(__file__)
    failures, rows = [], []

    # all good guests connected and reporting first
    t0 = time.monotonic()
    while True:
        g, _ = status(o["vtune"], o["control"])
        ok = [n for n in good if n in g and g[n]["report_age_s"] is not None
              and g[n]["report_age_s"] <= 2]
        if len(ok) == ngood:
            break
        if time.monotonic() - t0 > 30:
            print("FAIL: good guests not all reporting: %s" % sorted(set(good) - set(ok)))
            return 1
        time.sleep(0.3)

    for kind in kinds:
        secs = float(o["seconds"] or ATTACKS[kind][1])
        if kind in ("flood", "slowloris") and o["seconds"]:
            secs = max(secs, ATTACKS[kind][1])
        name = "evil-" + kind
        path = os.path.join(o["dir"], name + ".sock")
        with open(o["log"], "rb") as f:
            log_start = len(f.read())
        with open(o["journal"]) as f:
            jbefore = sum(1 for l in f if l.strip())
        rss0, cpu0 = vm_kb(pid, "VmRSS"), cpu_s(pid)
        att = subprocess.Popen([sys.executable, me, "attack", kind, path, str(secs)])
        t0 = time.monotonic()
        samples, served_all, max_age, hwm, hostile = 0, ngood, 0.0, 0, None
        problems = []
        time.sleep(0.5)
        while time.monotonic() - t0 < secs:
            try:
                g, _ = status(o["vtune"], o["control"])
            except Exception as e:  # hostd down or not answering
                problems.append("status failed: %s" % e)
                break
            samples += 1
            served = 0
            for n in good:
                a = g.get(n, {}).get("report_age_s")
                if a is not None and a <= 2.0:
                    served += 1
                max_age = max(max_age, a if a is not None else 99.0)
            served_all = min(served_all, served)
            hostile = g.get(name, hostile)
            hwm = max(hwm, vm_kb(pid, "VmHWM"))
            time.sleep(0.8)
        att.wait()
        try:
            g, _ = status(o["vtune"], o["control"])
            hostile = g.get(name, hostile)
        except Exception as e:
            problems.append("status after the attack failed: %s" % e)
        rss1, cpu1 = vm_kb(pid, "VmRSS"), cpu_s(pid)
        hwm = max(hwm, vm_kb(pid, "VmHWM"))
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        with open(o["log"], "rb") as f:
            f.seek(log_start)
            lines = f.read().decode(errors="replace").splitlines()
        if served_all < ngood:
            problems.append("only %d/%d good guests served on time in every sample"
                            % (served_all, ngood))
        if samples < 4:
            problems.append("only %d status samples" % samples)
        problems += check_attack(kind, hostile, log_start, lines, jbefore, o)
        try:
            os.kill(pid, 0)
        except OSError:
            problems.append("hostd died")
        if hwm > 64 * 1024:
            problems.append("hostd peak RSS %d KiB > 64 MiB" % hwm)
        if hwm - rss0 > 16 * 1024:
            problems.append("hostd RSS grew by %d KiB during the attack (> 16 MiB)" % (hwm - rss0))
        h = hostile or {}
        seen = ", ".join("%s %d" % (k, h[k]) for k in
                         ("reports", "dropped", "invalid", "bad_reports", "unknown_fields",
                          "unknown_metrics", "unknown_acks", "disconnects") if h.get(k))
        if h.get("last_close"):
            seen += "; closed: " + h["last_close"]
        rows.append((kind, "%d/%d" % (served_all, ngood), max_age, rss0, rss1, hwm,
                     cpu1 - cpu0, samples, seen, "ok" if not problems else "FAIL"))
        print("attack %-9s served %d/%d max age %.2fs rss %d->%d KiB peak %d KiB cpu %.2fs [%s] %s"
              % (kind, served_all, ngood, max_age, rss0, rss1, hwm, cpu1 - cpu0, seen,
                 "; ".join(problems) or "ok"), flush=True)
        failures += ["%s: %s" % (kind, p) for p in problems]
        # let hostd notice the socket is gone before the next attack
        time.sleep(0.5)
        if not os.path.exists("/proc/%d" % pid):
            break

    print()
    print("| attack | good guests served | max report age | hostd RSS before -> after | hostd peak RSS (VmHWM) | hostd CPU | samples | hostile guest (status counters) | result |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %.2f s | %d -> %d KiB | %d KiB | %.2f s | %d | %s | %s |" % r)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "good":
        run_good(argv)
    elif cmd == "attack":
        run_attack(argv)
    elif cmd == "drive":
        sys.exit(drive(argv))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
