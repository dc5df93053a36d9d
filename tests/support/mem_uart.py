"""A UART that hands out bytes held in memory, for GNSS tests and benchmarks.

Runs inside the MicroPython unix port: `any()` and `readinto(buf, n)` as on
machine.UART, copying byte by byte in Python so that the reader's own
allocation is all a heap measure sees; `write` swallows what the firmware
sends. `p` is the read position (set it to 0 to replay the stream).
"""


class CopyUart:
    def __init__(self, data):
        self.data = data
        self.p = 0

    def any(self):
        return len(self.data) - self.p

    def readinto(self, buf, n):
        data = self.data
        p = self.p
        for i in range(n):
            buf[i] = data[p + i]
        self.p = p + n
        return n

    def write(self, b):
        return len(b)
