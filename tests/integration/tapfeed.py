#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tapfeed: broadcast frames into a bridge port at a steady rate, so that a
simulated guest's tap carries the packets a real guest's load would (the
host view's host.tap.tx_packets backs the fake agent's figures: a host rule
never fires on a guest's claim alone).

tapfeed.py IFACE [RATE [SECONDS]]  (run inside the namespace; RATE frames/s,
default 2000; SECONDS default 120). Stop it with a signal. The frames are of
a local experimental EtherType (0x88b5): no firewall, conntrack or IP stack
sees them."""
import socket
import sys
import time

iface = sys.argv[1]
rate = float(sys.argv[2]) if len(sys.argv) > 2 else 2000.0
secs = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x02" + b"\x88\xb5" + b"vtune-tapfeed".ljust(60, b".")
tick = 0.02
burst = max(1, int(rate * tick))
end = time.monotonic() + secs
nxt = time.monotonic()
while time.monotonic() < end:
    for _ in range(burst):
        try:
            s.send(frame)
        except OSError:
            pass
    nxt += tick
    d = nxt - time.monotonic()
    if d > 0:
        time.sleep(d)
