"""A stream (hex on stdin) read by poll() with a 200-byte budget from two
UARTs: one with readinto(buf) only (machine.UART with timeout=0) and one with
any() and readinto(buf, n). Prints per UART its class, the largest read, whether
the whole stream arrived, and the good and bad-checksum sentence counts.
"""

import sys
from binascii import unhexlify

import clock
import gnss

data = unhexlify(sys.stdin.read().strip())


class Plain:
    # readinto(buf) only, returns None when empty (machine.UART with timeout=0)
    def __init__(self):
        self.p = 0

    def readinto(self, buf):
        if self.p >= len(data):
            return None
        n = min(len(buf), len(data) - self.p)
        for i in range(n):
            buf[i] = data[self.p + i]
        self.p += n
        return n


class WithAny(Plain):
    def any(self):
        return len(data) - self.p

    def readinto(self, buf, n):
        assert n <= self.any() and n <= len(buf)
        for i in range(n):
            buf[i] = data[self.p + i]
        self.p += n
        return n


for cls in (Plain, WithAny):
    r = gnss.GnssReader(cls(), clock.VirtualClock())
    r.max_bytes_per_poll = 200
    reads = []
    while True:
        n = r.poll()
        if not n:
            break
        reads.append(n)
    print(cls.__name__, max(reads), sum(reads) == len(data), r.good, r.bad_checksum)
