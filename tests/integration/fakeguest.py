#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# fakeguest.py: a fake guest for the integration tests (a helper, not a test).
# It plays QEMU's side of one guest's agent channel, with an agent behind it:
# listens on a unix socket (DIR/<name>.sock for the sim backend), answers
# vtune-hostd's hello, sends a report every --period seconds once hello is
# done, and acks applies, changing the sysctls it tracks.
#
#   python3 fakeguest.py --socket DIR/busy.sock --log busy.log \
#       --metric guest.tcp.listen_overflows=50.0 \
#       --sysctl net.core.somaxconn=128 \
#       --metric guest.sysctl.somaxconn=@net.core.somaxconn
#
# Values are JSON literals (50 is an integer, 50.0 a float); "@KEY" stands for
# the current value of a --sysctl KEY. --counter NAME=RATE reports a raw
# counter (guest.*_total) growing by RATE per second since the fake started.
import argparse, json, math, os, socket, sys, time, select


def pair(s):
    k, sep, v = s.partition("=")
    if not sep or not k:
        raise argparse.ArgumentTypeError("want NAME=VALUE, got %r" % s)
    return k, v


def jval(v):
    if v.startswith("@"):
        return v
    try:
        return json.loads(v)
    except ValueError:
        raise argparse.ArgumentTypeError("not a JSON value: %r" % v)


def metric(kind):
    def parse(s):
        k, v = pair(s)
        return kind, k, jval(v)
    return parse


ap = argparse.ArgumentParser(description="fake guest: QEMU's side of an agent channel")
ap.add_argument("--socket", required=True, help="unix socket to listen on (appears whole, by rename)")
ap.add_argument("--mode", type=lambda s: int(s, 8), default=None,
                help="chmod the socket to this octal mode (e.g. 0777: hostd's user may connect)")
ap.add_argument("--log", default=None, help="append 'got <message>' for each message received")
ap.add_argument("--period", type=float, default=0.5, help="seconds between reports (also interval_s)")
ap.add_argument("--metric", dest="metrics", action="append", type=metric("fixed"), default=[],
                metavar="NAME=VALUE", help="a metric in each report's sample.metrics")
ap.add_argument("--wobbling-metric", dest="metrics", action="append", type=metric("wobble"),
                metavar="NAME=VALUE",
                help="a metric reported as VALUE * (1 + 0.3 sin(seq / 3)): it moves every report")
ap.add_argument("--counter", dest="metrics", action="append", type=metric("counter"),
                metavar="NAME=RATE", help="a raw counter growing by RATE per second (an integer)")
ap.add_argument("--sample", action="append", type=pair, default=[], metavar="KEY=JSON",
                help="another member of each report's sample (listeners, cpu, ...)")
ap.add_argument("--field", action="append", type=pair, default=[], metavar="KEY=JSON",
                help="another top-level member of each report")
ap.add_argument("--sysctl", action="append", type=pair, default=[], metavar="KEY=VALUE",
                help="a sysctl the guest tracks: applies to it change it, acks give its old value")
ap.add_argument("--ack-old-from", default=None, metavar="KEY",
                help="the --sysctl whose value is the 'old' of every ack result (default: the first)")
ap.add_argument("--ack-sets", choices=("same-key", "any-key"), default="same-key",
                help="same-key: an apply changes the --sysctl of its key; any-key: every apply "
                     "changes the --ack-old-from sysctl, whatever its key")
ap.add_argument("--no-ack", action="store_true", help="never ack an apply")
ap.add_argument("--host-metric", action="append", type=pair, default=[], metavar="NAME=VALUE",
                help="write the sim backend's host view: lines 'NAME VALUE' in <socket minus .sock>.host")
ap.add_argument("--metric-file", default=None, metavar="PATH",
                help="'NAME VALUE' lines read before each report, over the --metric values "
                     "(a test changes the guest's load by rewriting it)")
a = ap.parse_args()

sysctls = {k: int(v) for k, v in a.sysctl}
oldkey = a.ack_old_from or (a.sysctl[0][0] if a.sysctl else None)
samples = [(k, json.loads(v)) for k, v in a.sample]
fields = [(k, json.loads(v)) for k, v in a.field]

if a.host_metric:
    host = (a.socket[:-5] if a.socket.endswith(".sock") else a.socket) + ".host"
    with open(host + ".tmp", "w") as f:
        f.write("".join("%s %s\n" % (k, v) for k, v in a.host_metric))
    os.rename(host + ".tmp", host)

t0 = time.time() - 1000  # counters start at 1000 x RATE, as on a guest up for a while
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(a.socket + ".tmp"); srv.listen(1)
if a.mode is not None:
    os.chmod(a.socket + ".tmp", a.mode)
os.rename(a.socket + ".tmp", a.socket)   # appears whole: hostd sees a socket
out = open(a.log, "a", buffering=1) if a.log else None


def value(v):
    return sysctls[v[1:]] if isinstance(v, str) and v.startswith("@") else v


while True:
    c, _ = srv.accept()
    buf, hello, seq, nxt = b"", False, 0, 0.0
    while True:
        r, _, _ = select.select([c], [], [], 0.1)
        if r:
            try:
                d = c.recv(65536)
            except OSError:
                d = b""
            if not d:
                break
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                line = line.replace(b"\xff", b"").strip()
                if not line:
                    continue
                m = json.loads(line)
                if out:
                    out.write("got " + json.dumps(m, sort_keys=True) + "\n")
                if m["type"] == "hello" and not hello:
                    hello = True
                    c.sendall(b'\xff\n{"v":1,"type":"hello","role":"agent","version":"0.1.0","min_v":1,"max_v":1,"caps":["sysctl"]}\n')
                elif m["type"] == "apply" and not a.no_ack:
                    res = []
                    for ch in m["changes"]:
                        old = str(sysctls[oldkey]) if oldkey else ""
                        if a.ack_sets == "any-key" and oldkey:
                            sysctls[oldkey] = int(ch["value"])
                        elif ch["key"] in sysctls:
                            sysctls[ch["key"]] = int(ch["value"])
                        res.append({"key": ch["key"], "old": old, "new": ch["value"]})
                    c.sendall((json.dumps({"v": 1, "type": "ack", "id": m["id"], "results": res}) + "\n").encode())
        if hello and time.time() >= nxt:
            nxt = time.time() + a.period
            seq += 1
            w = 1 + 0.3 * math.sin(seq / 3.0)
            met = {}
            for kind, k, v in a.metrics:
                v = value(v)
                met[k] = v * w if kind == "wobble" else int(v * (time.time() - t0)) if kind == "counter" else v
            if a.metric_file:
                try:
                    for l in open(a.metric_file):
                        k, _, v = l.strip().partition(" ")
                        if k and v:
                            met[k] = json.loads(v)
                except (OSError, ValueError):
                    pass
            s = {"metrics": met}
            s.update(samples)
            rep = {"v": 1, "type": "report", "seq": seq, "mono_ns": int(time.monotonic() * 1e9),
                   "interval_s": a.period, "sample": s}
            rep.update(fields)
            try:
                c.sendall((json.dumps(rep) + "\n").encode())
            except OSError:
                break
    c.close()
