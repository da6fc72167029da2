# SPDX-License-Identifier: GPL-2.0-or-later
"""benchlib: what the bench parts share.

 - Rounds: median and min-max of a figure measured in rounds, and a verdict
   that holds only when every round agrees: "met" when all rounds meet the
   target, "MISSED" when none does, and otherwise "spread too wide" (how
   many rounds of how many meet), never a verdict the spread cannot carry.
   Compare two things by interleaving their rounds and taking the ratio
   round by round.
 - Processes: CPU and memory of a process from /proc.
 - The host side of an agent's channel (a fake vtune-hostd) for RSS runs.
 - Network namespaces made and removed here.
"""
import os, socket, subprocess, threading, time

CLK = os.sysconf("SC_CLK_TCK")


def median(v):
    v = sorted(x for x in v if x is not None)
    if not v:
        return None
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def spread(v, fmt="%.1f", unit=""):
    """'med (min-max, N rounds)' of the rounds, or 'n/a'."""
    v = [x for x in v if x is not None]
    if not v:
        return "n/a"
    u = " " + unit if unit else ""
    if len(v) == 1:
        return (fmt % v[0]) + u + " (1 round)"
    return "%s%s (%s–%s, %d rounds)" % (fmt % median(v), u, fmt % min(v), fmt % max(v), len(v))


def verdict(values, ok):
    """'met' / 'MISSED' when every round agrees, else says the spread is
    too wide to decide; None when there is nothing to judge."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    k = sum(1 for x in v if ok(x))
    if k == len(v):
        return "met"
    if k == 0:
        return "MISSED"
    return "spread too wide: %d of %d rounds meet" % (k, len(v))


def ratios(a, b):
    """Round-by-round a/b of two interleaved series."""
    return [x / y for x, y in zip(a, b) if x is not None and y]


def cpu_ns(pid):
    """(schedstat run ns of all threads, utime+stime ns) of a process"""
    run = 0
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
            run += int(f.read().split()[0])
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    return run, (int(st[11]) + int(st[12])) * 1e9 / CLK


def kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def _fake_host(srv, stop, got):
    """The host side of the agent's channel: hello, then count reports."""
    srv.settimeout(0.2)
    while not stop.is_set():
        try:
            c, _ = srv.accept()
            break
        except socket.timeout:
            continue
    else:
        return
    c.sendall(b'\xff\n{"v":1,"type":"hello","role":"host","version":"0.1.0","min_v":1,"max_v":1,"caps":[]}\n')
    c.settimeout(0.2)
    while not stop.is_set():
        try:
            d = c.recv(65536)
        except socket.timeout:
            continue
        if not d:
            break
        got[0] += d.count(b'"type":"report"')
    c.close()


def agent_rss(prog, tmp, key, secs, netns=None, extra=()):
    """Run `prog run` reporting every 0.1 s to a fake host over a unix
    socket for secs seconds (in netns if given); its VmHWM, RssAnon (KiB)
    and reports, just before it is stopped."""
    path = "%s/%s.sock" % (tmp, key)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    stop, got = threading.Event(), [0]
    t = threading.Thread(target=_fake_host, args=(srv, stop, got))
    t.start()
    cmd = [prog, "run", "--device", path, "--interval", "0.1", "--journal", "%s/%s.journal" % (tmp, key)]
    cmd += list(extra)
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open("%s/%s.log" % (tmp, key), "w"))
    res = {}
    try:
        time.sleep(secs)
        # ip netns exec execs the program: the same pid
        res = {"hwm_kib": kib(p.pid, "VmHWM"), "anon_kib": kib(p.pid, "RssAnon"), "reports": got[0]}
    finally:
        p.terminate()
        p.wait()
        stop.set()
        t.join()
        srv.close()
    return res


class Netns:
    """A network namespace with lo up, removed on exit (with whatever runs
    in it killed first)."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        return self

    def exec(self, cmd):
        return ["ip", "netns", "exec", self.name] + list(cmd)

    def __exit__(self, *exc):
        pids = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True).stdout.split()
        for p in pids:
            try:
                os.kill(int(p), 15)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        return False
